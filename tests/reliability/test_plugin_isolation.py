"""Plugins cannot corrupt each other's results (runner.run_method, runtime/isolation.py, registry.py).

Each test is one way a plugin damaged the rows of others in a smoke run: a method that changes
the weights, a metric that zeroes the maps it is given, a timeout swallowed by the plugin, a
``sys.exit`` inside a method, a metric returning inf, a plugin package that fails to import.
"""

from __future__ import annotations

import json
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest
import torch

from specxai_bench.cli import main
from specxai_bench.errors import UnknownNameError
from specxai_bench.methods import METHODS, AttributionMethod
from specxai_bench.metrics import METRICS, Metric, ScoringBatch
from specxai_bench.registry import Registry
from specxai_bench.runtime.isolation import ModelGuard, call_plugin


class FlipsConv1(AttributionMethod):
    """Changes the weights through ``.data`` (invisible to autograd's version counters)."""

    name = "test_flips_conv1"

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        self.model.backbone.conv1.weight.data.mul_(-1.0)
        return images[:, 0]


DELETION = "band_deletion@n_bands=4"  # a metric that reads the model, at a few forward passes per sample


class FlipsConv1Metric(Metric):
    """A metric that changes the weights: the metrics after it in the same batch read the model too."""

    name = "test_flips_conv1_metric"
    task_kinds = ("vowel", "voicing")

    def score(self, batch: ScoringBatch) -> np.ndarray:
        batch.model.backbone.conv1.weight.data.mul_(-1.0)
        return np.zeros(len(batch.attributions))


class FlipsConv1Once(FlipsConv1):
    """Changes the weights on its first call only (a plugin whose damage does not repeat)."""

    name = "test_flips_conv1_once"
    calls = 0

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        type(self).calls += 1
        if type(self).calls == 1:
            self.model.backbone.conv1.weight.data.mul_(-1.0)
        return images[:, 0]


class ZeroesMaps(Metric):
    name = "test_zeroes_maps"
    task_kinds = ("vowel", "voicing")

    def score(self, batch: ScoringBatch) -> np.ndarray:
        batch.attributions.zero_()
        batch.images.zero_()
        return np.zeros(len(batch.attributions))


class SwallowsTimeout(AttributionMethod):
    """Catches its own timeout (``except Exception``) and carries on for 2 s, then returns zeros."""

    name = "test_swallows_timeout"

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        start = time.monotonic()
        while time.monotonic() - start < 2.0:
            try:
                time.sleep(0.02)
            except Exception:
                pass
        return torch.zeros(images.shape[0], *images.shape[-2:])


class SwallowsEverything(SwallowsTimeout):
    """The same with a bare ``except:`` (it also swallows BaseException)."""

    name = "test_swallows_everything"

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        start = time.monotonic()
        while time.monotonic() - start < 2.0:
            try:
                time.sleep(0.02)
            except:  # noqa: E722 (the point of the test)
                pass
        return torch.zeros(images.shape[0], *images.shape[-2:])


class CallsExit(AttributionMethod):
    name = "test_calls_exit"

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        sys.exit(0)


class ReturnsInf(Metric):
    name = "test_returns_inf"
    task_kinds = ("vowel", "voicing")

    def score(self, batch: ScoringBatch) -> np.ndarray:
        out = np.ones(len(batch.attributions))
        out[0] = np.inf
        return out


class ReturnsNaN(ReturnsInf):
    name = "test_returns_nan"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        out = np.ones(len(batch.attributions))
        out[0] = np.nan
        return out


class DeclaresNaN(ReturnsNaN):
    name = "test_declares_nan"
    nan_means = "a test outcome"


def test_a_method_that_changes_the_weights_cannot_change_later_rows(plugins, grid, tmp_path):
    plugins(FlipsConv1)
    clean = grid.run(tmp_path / "clean", grid.model(), ["cam", "gradcam"], ["formant_band_mass"])
    model = grid.model()
    dirty = grid.run(tmp_path / "dirty", model, ["test_flips_conv1", "cam", "gradcam"], ["formant_band_mass"])
    for method in ("cam", "gradcam"):
        assert grid.values(dirty.rows, method, "formant_band_mass") == grid.values(clean.rows, method,
                                                                                    "formant_band_mass")
    flipped = dirty.rows[dirty.rows["method"] == "test_flips_conv1"]
    assert flipped["value"].isna().all()
    assert flipped["error"].fillna("").str.contains("changed the model .*backbone.conv1.weight", regex=True).all()
    reference = grid.model().state_dict()
    assert all(torch.equal(v, reference[k]) for k, v in model.state_dict().items())  # restored
    assert any("test_flips_conv1" in f and "changed the model" in f for f in dirty.failures)


def test_a_metric_that_changes_the_weights_cannot_change_the_next_metrics_rows(plugins, grid, tmp_path):
    plugins(FlipsConv1Metric)
    clean = grid.run(tmp_path / "clean", grid.model(), ["cam"], [DELETION])
    model = grid.model()
    dirty = grid.run(tmp_path / "dirty", model, ["cam"], ["test_flips_conv1_metric", DELETION])
    expected = grid.values(clean.rows, "cam", DELETION)
    assert all(v is not None for v in expected)
    assert grid.values(dirty.rows, "cam", DELETION) == expected  # scored on the restored model
    assert grid.values(dirty.rows, "cam", "test_flips_conv1_metric") == [None] * len(expected)
    reference = grid.model().state_dict()
    assert all(torch.equal(v, reference[k]) for k, v in model.state_dict().items())  # restored


def test_the_model_is_checked_once_per_batch_and_a_batch_that_changed_it_is_replayed(plugins, grid, tmp_path,
                                                                                       monkeypatch):
    checks = []
    real_check = ModelGuard.check
    monkeypatch.setattr(ModelGuard, "check", lambda self: checks.append(1) or real_check(self))
    # two batches of three, each a method call and two metric calls: one check per batch
    grid.run(tmp_path / "clean", grid.model(), ["cam"], ["formant_band_mass", DELETION])
    assert len(checks) == 2
    # damage that does not repeat: the replay of the first batch, checked after every call, finds none,
    # so every row of it stands and equals a clean run's
    plugins(FlipsConv1Once, FlipsConv1)
    monkeypatch.setattr(FlipsConv1Once, "calls", 0)
    checks.clear()
    once = grid.run(tmp_path / "once", grid.model(), ["test_flips_conv1_once"], [DELETION])
    assert len(checks) == 1 + 2 + 1  # batch 1: its check, then one per call of its replay; batch 2: its check
    assert all(v is not None for v in grid.values(once.rows, "test_flips_conv1_once", DELETION))
    assert not once.failures
    always = grid.run(tmp_path / "always", grid.model(), ["test_flips_conv1"], [DELETION])
    assert grid.values(always.rows, "test_flips_conv1", DELETION) == [None] * 6 and always.failures


def test_a_metric_cannot_change_the_maps_the_next_metric_scores(plugins, grid, tmp_path):
    plugins(ZeroesMaps)
    alone = grid.run(tmp_path / "alone", grid.model(), ["saliency"], ["formant_band_mass", "band_deletion"])
    after = grid.run(tmp_path / "after", grid.model(), ["saliency"], ["test_zeroes_maps", "formant_band_mass",
                                                                   "band_deletion"])
    for metric in ("formant_band_mass", "band_deletion"):
        expected = grid.values(alone.rows, "saliency", metric)
        assert any(v is not None for v in expected)
        assert grid.values(after.rows, "saliency", metric) == expected
    assert not after.failures


@pytest.mark.parametrize("plugin", [SwallowsTimeout, SwallowsEverything])
def test_a_plugin_cannot_swallow_its_timeout(plugin, plugins, grid, tmp_path):
    plugins(plugin)
    t0 = time.monotonic()
    res = grid.run(tmp_path, grid.model(), [plugin.name], ["formant_band_mass"], call_timeout=0.2)
    seconds = time.monotonic() - t0
    rows = res.rows
    assert rows["value"].isna().all() and rows["error"].fillna("").str.contains("per-call limit of 0.2 s").all()
    assert len(res.failures) == 2  # both batches failed
    if plugin is SwallowsTimeout:  # the timeout went through its `except Exception`: stopped at once
        assert seconds < 2.0, seconds
    else:  # re-armed until it returned, and its late zeros were discarded
        assert rows["error"].fillna("").str.contains("returned late").all()


def test_a_method_calling_sys_exit_fails_alone_and_the_run_goes_on(plugins, output_with_model, capsys):
    plugins(CallsExit)
    rc = main(["run", "--profile", "smoke", "--tasks", "voicing", "--methods", "test_calls_exit,cam",
               "--output", str(output_with_model), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 3, captured.err[-2000:]
    assert "SystemExit(0): the plugin called sys.exit()" in captured.err
    assert "| cam |" in captured.out  # the later method ran and its table was printed
    manifest = json.loads((output_with_model / "manifest.json").read_text())
    assert any("test_calls_exit" in f and "SystemExit" in f for f in manifest["failures"])


def test_inf_and_undeclared_nan_from_a_metric_are_errors(plugins, grid, tmp_path):
    plugins(ReturnsInf, ReturnsNaN, DeclaresNaN)
    res = grid.run(tmp_path, grid.model(), ["cam"], ["test_returns_inf", "test_returns_nan", "test_declares_nan"])
    rows = res.rows.set_index(["metric", "sample"])
    assert "returned inf" in rows.loc[("test_returns_inf", "s0"), "error"]
    assert "does not declare what NaN means" in rows.loc[("test_returns_nan", "s0"), "error"]
    assert pd.isna(rows.loc[("test_declares_nan", "s0"), "error"])  # a declared outcome: a NaN value, no error
    assert pd.isna(rows.loc[("test_declares_nan", "s0"), "value"])
    assert rows.loc[("test_returns_inf", "s1"), "value"] == 1.0
    assert pd.isna(rows.loc[("test_returns_inf", "s1"), "error"])
    assert sum("test_returns_inf" in f for f in res.failures) == 2  # one per batch (s0 and s3 start them)
    assert not any("test_declares_nan" in f for f in res.failures)


BROKEN = '''
raise ImportError("this plugin needs a library that is not installed")
'''


def test_a_plugin_that_fails_to_import_is_disabled_and_the_rest_run(tmp_path, monkeypatch, capsys):
    # a third-party package whose entry point fails at import
    (tmp_path / "specxai_broken_plugin.py").write_text(BROKEN)
    info = tmp_path / "specxai_broken_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: specxai_broken_plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[specxai_bench.methods]\nbroken = specxai_broken_plugin:Broken\n")
    METHODS.names()
    monkeypatch.setattr(METHODS, "_items", dict(METHODS._items))
    monkeypatch.setattr(METHODS, "_entry_points_loaded", False)
    monkeypatch.setattr(METHODS, "broken", {})
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["list", "methods"]) == 0
    err = capsys.readouterr().err
    assert "entry point 'broken'" in err and "needs a library that is not installed" in err
    assert METHODS.resolve("cam") == ["cam"]
    with pytest.raises(UnknownNameError, match="broken.*failed to load.*not installed"):
        METHODS.resolve("broken")

    # a built-in module that fails at import: the other built-in modules still register
    package = tmp_path / "specxai_test_builtins"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "bad.py").write_text(BROKEN)
    (package / "good.py").write_text(textwrap.dedent('''
        from specxai_bench.methods import AttributionMethod
        from specxai_test_builtins import REGISTRY

        @REGISTRY.register()
        class Good(AttributionMethod):
            name = "good"
    '''))
    registry = Registry("method", AttributionMethod)
    import specxai_test_builtins

    specxai_test_builtins.REGISTRY = registry
    registry.set_builtins_loader(lambda: registry.import_modules("specxai_test_builtins", ("bad", "good")))
    assert registry.names() == ["good"]
    assert "specxai_test_builtins.bad" in next(iter(registry.broken))
    for name in ("specxai_test_builtins", "specxai_test_builtins.good", "specxai_broken_plugin"):
        sys.modules.pop(name, None)


def _degenerate_batch(model: torch.nn.Module) -> ScoringBatch:
    """Samples where metrics are undefined: an all-zero map, a constant map, a map with no formant
    track, and one ordinary map (as a guard against NaN for everything)."""
    from specxai_bench.data.spectrogram import FrequencyAxis

    images, targets = torch.rand(4, 1, 32, 32, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 1, 2, 3])
    maps = METHODS.create("saliency", model).attribute(images, targets)
    maps[0], maps[1] = 0.0, 1.0
    formants = np.tile([500.0, 1500.0, 2500.0], (4, 32, 1))
    formants[2] = np.nan
    return ScoringBatch(maps, images, targets, np.full((4, 32), 120.0), formants, FrequencyAxis(0.0, 8000.0, 32),
                        model, METHODS.create("saliency", model), np.tile([5000.0, 100.0], (4, 1)), CUE_BOXES(4), DURATIONS(4))


def CUE_BOXES(b: int) -> np.ndarray:  # noqa: N802  (the tf-shortcut task's cue and decoy boxes, [B, 2, 4])
    return np.tile([[0.05, 0.11, 4850.0, 5150.0], [0.12, 0.18, 6650.0, 6950.0]], (b, 1, 1))


def DURATIONS(b: int) -> np.ndarray:  # noqa: N802
    return np.full(b, 0.2)


def test_every_metric_that_returns_nan_declares_what_it_means(grid):
    """Contract (every registered metric): NaN only where declared (``nan_means``), never inf."""
    model = grid.model()
    batch = _degenerate_batch(model)
    for name in METRICS.names():
        metric = METRICS.create(name)
        values = np.asarray(metric.score(batch), dtype=np.float64)
        assert not np.isinf(values).any(), f"{name} returned inf: {values}"
        if np.isnan(values).any():
            assert metric.nan_means, f"{name} returns NaN ({values}) but does not say what it means (nan_means)"


def test_every_built_in_plugin_loads_and_leaves_the_model_as_it_found_it(grid):
    """The guard has no false alarms on the built-ins (and none of them failed to import)."""
    assert not METHODS.broken and not METRICS.broken
    model = grid.model()
    guard = ModelGuard(model)
    images, targets = torch.rand(2, 1, 32, 32), torch.tensor([0, 3])
    fast = {"scorecam": "@layer=layer3", "ablationcam": "@layer=layer3", "integrated_gradients": "@n_steps=4",
            "gradient_shap": "@n_samples=2", "occlusion": "@window=16,stride=16"}
    from specxai_bench.data.spectrogram import FrequencyAxis

    axis = FrequencyAxis(0.0, 8000.0, 32)
    for name in METHODS.names():
        method = METHODS.create(name + fast.get(name, ""), model).with_axis(axis)  # as `run` gives it
        maps, error = call_plugin(lambda: method.attribute(images.clone(), targets), name, None, guard)
        assert error is None, f"{name}: {error}"
    maps = METHODS.create("cam", model).attribute(images, targets)
    batch = ScoringBatch(maps, images, targets, np.full((2, 32), 120.0), np.tile([500.0, 1500.0, 2500.0], (2, 32, 1)),
                         axis, model, METHODS.create("cam", model), np.tile([5000.0, 100.0], (2, 1)), CUE_BOXES(2),
                         DURATIONS(2))
    for name in METRICS.names():
        metric = METRICS.create(name)
        _, error = call_plugin(lambda: metric.score(batch), name, None, guard)
        assert error is None, f"{name}: {error}"
