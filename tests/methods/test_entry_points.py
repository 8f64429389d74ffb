"""A method from an installed distribution's entry point shows in `list methods` and runs.

The distribution is built in tmp_path (a module plus a ``*.dist-info`` folder whose
``entry_points.txt`` declares the group ``specxai_bench.methods``) and put on ``sys.path``, which
is where ``importlib.metadata.entry_points`` looks. The METHODS registry is given a copy of its
plugins and a fresh entry-point flag for the test; both are restored afterwards.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
import torch

from specxai_bench.cli import main
from specxai_bench.methods import METHODS
from specxai_bench.registry import Registry

from .conftest import tiny_images, tiny_model

PLUGIN = '''
"""A third-party method: the image's dB values squared."""
import torch
from specxai_bench.methods import AttributionMethod


class SquaredEnergy(AttributionMethod):
    name = "squared_energy"
    family = "baseline"
    description = "the image's values squared (test plugin)"
    cost = "none"

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return images[:, 0] ** 2
'''


def install_distribution(root: Path, module: str, source: str, entry_points: str) -> None:
    """Write ``module.py`` and a minimal ``*.dist-info`` for it under ``root``."""
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


@pytest.fixture
def isolated_registries(monkeypatch: pytest.MonkeyPatch):
    """Let a registry load entry points again, and forget what the test registers, afterwards."""
    def isolate(*registries: Registry) -> None:
        for registry in registries:
            registry.names()  # built-ins first, so they stay in the restored registry
            monkeypatch.setattr(registry, "_items", dict(registry._items))
            monkeypatch.setattr(registry, "_entry_points_loaded", False)
    yield isolate


@pytest.fixture
def plugin_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_registries):
    isolated_registries(METHODS)  # before the path changes: the original keeps only what it had
    install_distribution(tmp_path, "specxai_test_plugin", PLUGIN,
                         "[specxai_bench.methods]\nsquared_energy = specxai_test_plugin:SquaredEnergy\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("specxai_test_plugin", None)


def test_entry_point_plugin_is_listed_and_runs(plugin_on_path, capsys: pytest.CaptureFixture) -> None:
    assert main(["list", "methods", "--probe"]) == 0  # --probe: each grid measured on a model
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()[2:] if line.strip()}
    assert set(rows) >= set(METHODS.names()) | {"squared_energy"}
    assert "(test plugin)" in rows["squared_energy"]
    assert "7x7" in rows["gradcam_pp"] and "27x27" in rows["occlusion"] and "224x224" in rows["saliency"]

    images = tiny_images(2, 32)
    maps = METHODS.get("squared_energy")(tiny_model()).attribute(images, torch.tensor([0, 1]))
    torch.testing.assert_close(maps, images[:, 0] ** 2)


def test_registry_is_restored_after_the_plugin_test() -> None:
    assert "squared_energy" not in METHODS
