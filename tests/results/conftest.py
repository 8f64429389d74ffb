"""Shared by the results tests: small result stores written through ResultStore (no training), and a
real smoke run (two tasks) for the report and HTML tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from specxai_bench.results.store import ResultRow, ResultStore

LIFT = "formant_band_lift@F123,w100hz,10pct"  # higher is better
HIGH = "high_band_share@above4000hz"  # lower is better
VOWELS = ("iy", "ae", "ah", "aa", "uw")


def make_store(path: Path, *, task: str = "vowel5", model: str = "m1", run: str = "r1",
               methods: dict[str, float] | None = None, metrics: tuple[str, ...] = (LIFT,),
               speakers: int = 6, per_speaker: int = 5, seed: int = 0, corpus: str = "c0",
               labels: tuple[str, ...] = VOWELS) -> Path:
    """A store with one model: value = the method's level + speaker offset + noise, per metric."""
    methods = methods or {"cam": 1.5, "gradcam": 1.3, "input_energy": 1.7, "uniform": 1.0, "random": 1.0}
    rng = np.random.default_rng(seed)
    rows = []
    for spk in range(speakers):
        offset = rng.normal(0, 0.1)
        for j in range(per_speaker):
            label = labels[j % len(labels)]
            for method, level in methods.items():
                for metric in metrics:
                    value = level + offset + rng.normal(0, 0.05)
                    rows.append(ResultRow(task, model, "true", method, "{}", metric, 1, f"s{spk}/{label}_{j:02d}", label,
                                          f"s{spk}", labels.index(label), value, None, run))
    with ResultStore(path) as store:
        store.write_rows(rows)
        store.write_model(task, model, {"arch": "resnet18", "image_size": 64, "profile": "smoke", "device": "cpu",
                                        "test_accuracy": 0.8, "n_test": speakers * per_speaker,
                                        "config": {"corpus": corpus, "seed": 0}, "config_hash": model})
        store.write_manifest(run, {"run": run, "created": "2026-01-02T03:04:05+0000", "command": "specxai-bench run",
                                   "profile": {"name": "smoke", "arch": "resnet18", "image_size": 64},
                                   "device": "cpu", "device_name": "cpu", "config": {"seed": 0},
                                   "target_class": "true", "corpus": {"name": "synthetic", "fingerprint": corpus},
                                   "versions": {"torch": "x", "specxai_bench": "0.1.0"}})
    return path


@pytest.fixture(scope="session")
def smoke_store(tmp_path_factory):
    """results.sqlite of `run --profile smoke` on voicing and vowel5-4k (cam and three baselines)."""
    from specxai_bench.experiment import RunConfig
    from specxai_bench.runner import run

    out = tmp_path_factory.mktemp("smoke")
    summary = run(RunConfig(methods=("cam", "input_energy", "uniform", "random"),
                            metrics=("f0_band_lift", "formant_band_lift"), tasks=("voicing", "vowel5-4k"),
                            profile="smoke", device="cpu", output=out, progress=False))
    return summary.store_path


@pytest.fixture(scope="session")
def smoke_report(smoke_store, tmp_path_factory):
    """`build_report` on ``smoke_store`` (2 samples per class, 999 resamples, umask 022), once per session:
    (folder, files written, the store's row count before the report)."""
    import os
    import sqlite3

    from specxai_bench.results.aggregate import BoardConfig
    from specxai_bench.results.report import build_report

    with sqlite3.connect(smoke_store) as db:
        rows_before = db.execute("SELECT COUNT(*) FROM rows").fetchone()[0]
    out = tmp_path_factory.mktemp("report")
    old = os.umask(0o022)
    try:
        written = build_report([smoke_store], out, per_class=2, cfg=BoardConfig(n_resamples=999))
    finally:
        os.umask(old)
    return out, written, rows_before
