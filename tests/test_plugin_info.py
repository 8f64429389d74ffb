"""The metadata `list` reads from the plugin sources equals what the imported classes say."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from specxai_bench.methods import METHODS
from specxai_bench.metrics import METRICS
from specxai_bench.plugin_info import BUILTINS, REQUIRED, builtin_plugins, class_info

REGISTRIES = {"method": METHODS, "metric": METRICS}
# what `list` shows of each kind must be readable statically for every built-in plugin
SHOWN = {"method": ("name", "family", "description", "cost", "uses_layer"),
         "metric": ("name", "version", "family", "higher_is_better", "task_kinds", "role", "description")}


@pytest.mark.parametrize("kind", sorted(BUILTINS))
def test_static_metadata_equals_the_imported_classes(kind: str) -> None:
    registry = REGISTRIES[kind]
    static = {p.name: p for p in builtin_plugins(kind)}
    builtin = {n for n in registry.names() if registry.get(n).__module__.startswith(BUILTINS[kind][0])}
    assert set(static) == builtin  # every registered class is found, nothing else
    for name, info in static.items():
        cls = registry.get(name)
        assert info.source == f"{cls.__module__}:{cls.__qualname__}"
        assert set(SHOWN[kind]) <= set(info.attributes), (name, set(SHOWN[kind]) - set(info.attributes))
        for key, value in info.attributes.items():
            assert getattr(cls, key) == value, (name, key)
        options = {k: o.default for k, o in registry.options(name).items()}
        assert info.options == options, name
        imported = class_info(cls, options, f"{BUILTINS[kind][0]}.base")
        assert {k: imported.attributes[k] for k in info.attributes} == info.attributes
        assert info.hooks == imported.hooks, name


def test_metadata_reads_constants_inheritance_and_required_options(tmp_path, monkeypatch) -> None:
    """A default named by a module constant, an attribute inherited through two bases (C3 order), and an
    option without a default."""
    import specxai_bench.plugin_info as pi

    source = textwrap.dedent('''
        from .base import METHODS, AttributionMethod
        LAYERS = ("a", "b", "c")
        DEFAULT = LAYERS[-1]

        class Left(AttributionMethod):
            family = "left"

        class Right(AttributionMethod):
            family = "right"
            cost = "right's"

        @METHODS.register("both")
        class Both(Left, Right):
            def __init__(self, model, *, layer: str = DEFAULT, k: int, scale: float = 2 ** 0.5) -> None:
                pass
    ''')
    trees = {"specxai_bench.methods.fake": pi.ast.parse(source)}
    real = pi._module_tree
    monkeypatch.setattr(pi, "_module_tree", lambda m: trees.get(m) or real(m))
    classes = {}
    imported = pi._imports(trees["specxai_bench.methods.fake"], "specxai_bench.methods.fake")
    for node in trees["specxai_bench.methods.fake"].body:
        if isinstance(node, pi.ast.ClassDef):
            classes[("specxai_bench.methods.fake", node.name)] = pi._read_class(
                node, "specxai_bench.methods.fake", {"Left", "Right", "Both"}, imported, "METHODS")
    both = classes[("specxai_bench.methods.fake", "Both")]
    assert both.registered_as == "both"
    assert both.init_options == {"layer": "c", "k": REQUIRED, "scale": "2 ** 0.5"}
    mro = pi._mro(("specxai_bench.methods.fake", "Both"), classes)
    assert [k[1] for k in mro] == ["Both", "Left", "Right"]  # Python's own order for this hierarchy
    attributes = {}
    for k in reversed(mro):
        attributes.update(classes[k].attributes)
    assert attributes["family"] == "left" and attributes["cost"] == "right's"


def test_reading_the_metadata_imports_no_plugin_library() -> None:
    code = ("import sys; from specxai_bench.plugin_info import plugins; ps = plugins('method') + plugins('metric'); "
            "heavy = [m for m in ('torch', 'captum', 'zennit', 'quantus', 'pytorch_grad_cam', 'scipy.signal') "
            "if m in sys.modules]; print(len(ps), heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) == len(METHODS.names()) + len(METRICS.names()) and out[1] == "[]"
