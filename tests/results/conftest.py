"""A real smoke run (two tasks) shared by the report and HTML tests."""

from __future__ import annotations

import pytest


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
