"""docs/plugins.md runs: its example package is installed from the page's own code blocks.

The ``toml`` block's entry points and the ``python`` block that starts with ``# file: NAME.py``
become a distribution in tmp_path (module + ``*.dist-info/entry_points.txt``) on ``sys.path``; the
registries load it through the entry points, and the page's other ``python`` blocks run in order.
The registries get copies of their plugins for the test, restored afterwards.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

from specxai_bench.methods import METHODS
from specxai_bench.metrics import METRICS

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
FILE_MARK = re.compile(r"# file: (\w+)\.py\n")


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(DOC.read_text()) if lang == language]


@pytest.fixture
def installed_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for registry in (METHODS, METRICS):
        registry.names()  # built-ins first: the restored registry keeps exactly what it had
        monkeypatch.setattr(registry, "_items", dict(registry._items))
        monkeypatch.setattr(registry, "_entry_points_loaded", False)
    (pyproject,) = blocks("toml")
    project = tomllib.loads(pyproject)["project"]
    modules = [(m.group(1), body) for body in blocks("python") if (m := FILE_MARK.match(body))]
    assert modules, "docs/plugins.md needs a python block starting with '# file: NAME.py'"
    for module, body in modules:
        (tmp_path / f"{module}.py").write_text(body)
    info = tmp_path / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items())
        for group, points in project["entry-points"].items()))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield project["entry-points"]
    for module, _ in modules:
        sys.modules.pop(module, None)


def test_example_plugin_installs_and_runs(installed_example: dict) -> None:
    assert set(installed_example) == {"specxai_bench.methods", "specxai_bench.metrics"}
    for name in installed_example["specxai_bench.methods"]:
        assert name in METHODS.names()
    for name in installed_example["specxai_bench.metrics"]:
        assert name in METRICS.names()
    usage = [body for body in blocks("python") if not FILE_MARK.match(body)]
    assert usage, "docs/plugins.md should show the plugins in use"
    namespace: dict[str, object] = {"__name__": "docs_plugins_example"}
    for body in usage:
        exec(compile(body, str(DOC), "exec"), namespace)


def test_registries_are_restored() -> None:
    assert "band_occlusion" not in METHODS and "f1_peak_hit" not in METRICS
