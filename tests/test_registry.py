import pytest

from specxai_bench.errors import UnknownNameError
from specxai_bench.registry import PluginError, Registry


class Base:
    name = ""


def make() -> Registry:
    reg: Registry = Registry("widget", Base)

    @reg.register()
    class GradCam(Base):
        name = "gradcam"

    @reg.register()
    class GradCamPP(Base):
        name = "gradcam_pp"

    @reg.register()
    class Cam(Base):
        name = "cam"

    return reg


def test_duplicate_name_is_refused():
    reg = make()
    with pytest.raises(PluginError, match="already registered"):
        @reg.register()
        class Other(Base):
            name = "cam"


def test_base_class_is_checked():
    reg = make()
    with pytest.raises(PluginError, match="must subclass Base"):
        reg.register("thing")(type("Thing", (), {}))


def test_unknown_name_lists_known_and_suggests():
    reg = make()
    with pytest.raises(UnknownNameError) as info:
        reg.get("gradcm")
    msg = str(info.value)
    assert "did you mean 'gradcam'" in msg.lower()
    assert "cam, gradcam, gradcam_pp" in msg


def test_wildcards_and_resolve():
    reg = make()
    assert reg.list("grad*") == ["gradcam", "gradcam_pp"]
    assert reg.list("grad*", exclude=["*_pp"]) == ["gradcam"]
    assert reg.resolve("cam,grad*") == ["cam", "gradcam", "gradcam_pp"]
    assert reg.resolve("all") == ["cam", "gradcam", "gradcam_pp"]


def test_resolve_reports_every_unknown_name_at_once():
    reg = make()
    with pytest.raises(UnknownNameError) as info:
        reg.resolve("cam,nosuch,zzz*")
    assert "'nosuch'" in str(info.value) and "'zzz*'" in str(info.value)
