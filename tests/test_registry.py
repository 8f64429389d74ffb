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


# ---- specs: NAME@KEY=VALUE options parsed against the plugin's keyword-only arguments ----

from specxai_bench.errors import ConfigError  # noqa: E402
from specxai_bench.registry import format_value, parse_spec, split_specs  # noqa: E402


def spec_registry() -> Registry:
    reg: Registry = Registry("widget", Base)

    @reg.register()
    class Tunable(Base):
        name = "tunable"

        def __init__(self, model=None, *, layer: str = "layer4", steps: int = 8, scale: float = 1.0,
                     formants: tuple[int, ...] = (1, 2, 3), seed: int | None = None, signed: bool = False) -> None:
            if steps < 1:
                raise ValueError(f"steps must be >= 1, got {steps}")
            self.model, self.kw = model, dict(layer=layer, steps=steps, scale=scale, formants=formants, seed=seed,
                                              signed=signed)

    reg.alias("tunable_f1", "tunable@formants=1")
    return reg


def test_spec_options_are_parsed_by_their_annotation():
    reg = spec_registry()
    made = reg.create("tunable@layer=layer3,steps=4,scale=0.5,formants=1+3,seed=none,signed=true", "model")
    assert made.model == "model"
    assert made.kw == dict(layer="layer3", steps=4, scale=0.5, formants=(1, 3), seed=None, signed=True)
    assert reg.create("tunable@seed=7").kw["seed"] == 7
    assert format_value((1, 3)) == "1+3" and format_value(0.5) == "0.5" and format_value(True) == "true"


def test_unknown_option_keys_and_bad_values_are_refused_naming_them():
    reg = spec_registry()
    with pytest.raises(ConfigError, match="has no option 'stepz'; its options: layer, steps, scale, formants"):
        reg.create("tunable@stepz=3")
    with pytest.raises(ConfigError, match="option steps='many'"):
        reg.create("tunable@steps=many")
    with pytest.raises(ConfigError, match=r"tunable@steps=0: steps must be >= 1"):  # the plugin's own check
        reg.create("tunable@steps=0")
    with pytest.raises(ConfigError, match="given twice"):
        parse_spec("tunable@steps=1,steps=2")
    with pytest.raises(ConfigError, match="write KEY=VALUE"):
        parse_spec("tunable@steps")
    with pytest.raises(UnknownNameError, match="unknown widget 'nosuch'"):
        reg.resolve("nosuch@steps=1")


def test_a_comma_list_splits_into_specs_and_options_continue_their_spec():
    assert split_specs("gradcam@layer=layer3,cam") == ["gradcam@layer=layer3", "cam"]
    assert split_specs("input_energy@scale=power,grid=7x7,cam") == ["input_energy@scale=power,grid=7x7", "cam"]
    assert split_specs(["a@x=1", "y=2", "b"]) == ["a@x=1,y=2", "b"]  # an argv already split at commas
    with pytest.raises(ConfigError, match="follows no NAME@"):
        split_specs("grid=7x7,cam")


def test_aliases_expand_and_resolve_keeps_specs_in_order():
    reg = spec_registry()
    assert str(reg.expand("tunable_f1")) == "tunable@formants=1"
    assert str(reg.expand("tunable_f1@steps=2")) == "tunable@formants=1,steps=2"
    assert reg.create("tunable_f1").kw["formants"] == (1,)
    assert reg.get("tunable_f1") is reg.get("tunable") and "tunable_f1" in reg
    assert reg.resolve("tunable@steps=2,formants=1,tunable") == ["tunable@steps=2,formants=1", "tunable"]
    with pytest.raises(PluginError, match="already taken"):
        reg.alias("tunable_f1", "tunable@formants=2")


def test_plus_in_a_plain_option_asks_for_each_value_and_tuples_stay_tuples():
    reg = spec_registry()
    assert reg.resolve("tunable@layer=a+b,steps=2+4,formants=1+2") == [
        "tunable@layer=a,steps=2,formants=1+2", "tunable@layer=a,steps=4,formants=1+2",
        "tunable@layer=b,steps=2,formants=1+2", "tunable@layer=b,steps=4,formants=1+2"]
    assert reg.resolve("tunable@scale=1e+3") == ["tunable@scale=1e+3"]  # one float, not two values
    assert reg.resolve("tunable_f1@steps=1+2") == ["tunable_f1@steps=1", "tunable_f1@steps=2"]
    with pytest.raises(ConfigError, match="option steps='x'"):
        reg.resolve("tunable@steps=1+x")


def test_registered_keeps_the_declaration_order():
    reg = make()
    assert reg.registered() == ["gradcam", "gradcam_pp", "cam"] and reg.names() == ["cam", "gradcam", "gradcam_pp"]
