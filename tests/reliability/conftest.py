"""Shared fixtures for the reliability tests: test-only plugins, a tiny grid, a trained smoke output.

``plugins`` registers test-only methods and metrics into copies of the registries (restored
afterwards). ``grid`` runs :func:`specxai_bench.runner.run_method` on a tiny untrained ResNet-18
and six random 32 px images: no corpus, no training. ``trained`` is a smoke run's output folder
(voicing, cam), made once per session; a test copies its checkpoints so its own run loads them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import numpy as np
import pandas as pd
import pytest
import torch

from specxai_bench.data.datasets import TaskData
from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.data.tasks import get_task
from specxai_bench.experiment import RunConfig
from specxai_bench.methods import METHODS
from specxai_bench.metrics import METRICS
from specxai_bench.model.classifier import SpectrogramClassifier
from specxai_bench.results.store import ResultStore
from specxai_bench.runner import TaskOutcome, run_method

PX, N = 32, 6


@pytest.fixture(autouse=True, scope="package")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``plugins(cls, ...)``: register test-only plugin classes for this test only."""
    for registry in (METHODS, METRICS):
        registry.names()  # built-ins first, so they stay in the restored registry
        monkeypatch.setattr(registry, "_items", dict(registry._items))

    def register(*classes: type) -> None:
        for cls in classes:
            (METHODS if hasattr(cls, "_attribute") else METRICS).register()(cls)

    return register


def tiny_model() -> SpectrogramClassifier:
    torch.manual_seed(0)
    return SpectrogramClassifier("resnet18", 5).eval()


def tiny_data() -> TaskData:
    images = torch.rand(N, 1, PX, PX, generator=torch.Generator().manual_seed(0))
    formants = np.tile(np.array([500.0, 1500.0, 2500.0]), (N, PX, 1))
    return TaskData(images, torch.arange(N) % 5, tuple(f"s{i}" for i in range(N)), ("iy",) * N,
                    tuple(f"spk{i % 3}" for i in range(N)), ("men",) * N, np.full((N, PX), 120.0), formants,
                    FrequencyAxis(0.0, 4000.0, PX))


def run_grid(out: Path, model: torch.nn.Module, methods: list[str], metrics: list[str],
             call_timeout: float = 600.0) -> SimpleNamespace:
    """Each method spec in turn on the tiny data (batches of 3), scored by ``metrics``: rows and failures."""
    task, data = get_task("vowel5"), tiny_data()
    cfg = RunConfig(methods=tuple(methods), metrics=tuple(metrics), tasks=("vowel5",), output=out,
                    batch_size=3, call_timeout=call_timeout, progress=False)
    outcome = TaskOutcome(task.name, "model0", {})
    with ResultStore(out / "results.sqlite") as store:
        for spec in methods:
            run_method(store, "run0", task, outcome, METHODS.create(spec, model), metrics, data, data.targets,
                       model, cfg, "cpu")
        rows = store.rows_frame()
    return SimpleNamespace(rows=rows, failures=outcome.failures)


def values(rows: pd.DataFrame, method: str, metric: str) -> list[float | None]:
    """The values of one method and metric (a spec: its id is looked up), by sample; never empty."""
    sel = rows[(rows["method"] == method) & (rows["metric"] == METRICS.create(metric).id)].sort_values("sample")
    assert len(sel) == N, f"no rows for {method} / {metric}"
    return [None if pd.isna(v) else float(v) for v in sel["value"]]


@pytest.fixture
def grid() -> SimpleNamespace:
    return SimpleNamespace(model=tiny_model, run=run_grid, values=values)


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished smoke run (task voicing, method cam): its folder holds the trained checkpoint."""
    from specxai_bench.cli import main

    out = tmp_path_factory.mktemp("trained") / "out"
    assert main(["run", "--profile", "smoke", "--tasks", "voicing", "--methods", "cam", "--output", str(out),
                 "--no-progress"]) == 0
    return out


@pytest.fixture
def output_with_model(trained: Path, tmp_path: Path) -> Path:
    """A new output folder that already holds the trained voicing checkpoint (so no training)."""
    out = tmp_path / "out"
    out.mkdir()
    shutil.copytree(trained / "checkpoints", out / "checkpoints")
    return out


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smoke profile's synthetic corpus written out as an aligned corpus (wav + .PHN + .TextGrid)."""
    from specxai_bench.data.corpora.export import export_corpus
    from specxai_bench.data.corpora.synthetic import synthesize
    from specxai_bench.model.profiles import PROFILES

    return export_corpus(synthesize(PROFILES["smoke"].corpus), tmp_path_factory.mktemp("c") / "aligned")


@pytest.fixture
def corpus_copy(exported: Path, tmp_path: Path) -> Path:
    """A private copy of ``exported`` with one alignment per utterance (its .PHN files)."""
    dst = tmp_path / "corpus"
    shutil.copytree(exported, dst)
    for grid in dst.rglob("*.TextGrid"):
        grid.unlink()
    return dst
