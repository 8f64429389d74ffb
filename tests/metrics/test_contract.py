"""Contract tests driven by the registry: every registered metric, the moment it registers."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from specxai_bench.metrics import METRICS, Metric

NAMES = METRICS.names()
DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
FAMILIES = {"linguistic", "localisation", "ground_truth", "faithfulness", "randomisation", "robustness", "complexity",
            "other"}
# Metrics whose definition gives a number (not NaN) for an all-zero map; none so far.
DEFINED_ON_ZERO_MAPS: set[str] = set()


def scored(name: str, batch) -> np.ndarray:
    return np.asarray(METRICS.get(name)().score(batch))


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name):
    cls = METRICS.get(name)
    assert issubclass(cls, Metric) and cls.name == name
    assert cls.family in FAMILIES and isinstance(cls.higher_is_better, bool)
    assert isinstance(cls.version, int) and cls.version >= 1 and cls.description
    assert cls.task_kinds and set(cls.task_kinds) <= {"vowel", "voicing", "shortcut", "tf-shortcut"}
    m = cls()
    assert m.id.startswith(name) and re.fullmatch(r"[a-z0-9_]+(@[A-Za-z0-9_.,+-]+)?", m.id)


@pytest.mark.parametrize("name", NAMES)
def test_one_float_per_sample_deterministic(name, mk):
    batch = mk.random_batch(b=3, size=32, model=mk.TinyNet())
    out = scored(name, batch)
    assert out.shape == (3,) and out.dtype.kind == "f"
    assert np.isfinite(out).all(), f"{name} gave {out} on a generic batch"
    np.testing.assert_array_equal(out, scored(name, batch))


@pytest.mark.parametrize("name", NAMES)
def test_all_zero_map_gives_nan_not_zero(name, mk):
    batch = mk.random_batch(b=2, size=32, model=mk.TinyNet())
    zero = mk.batch(torch.zeros_like(batch.attributions), axis=batch.axis, formants=batch.formants,
                    images=batch.images, targets=batch.targets, model=batch.model)
    out = scored(name, zero)
    assert out.shape == (2,)
    if name in DEFINED_ON_ZERO_MAPS:
        assert np.isfinite(out).all()
    else:
        assert np.isnan(out).all(), f"{name} gave {out} for an all-zero map"


@pytest.mark.parametrize("name", NAMES)
def test_documented(name):
    """docs/metrics.md is the citable definition: every registered metric's id (with its default
    parameters) and version appear there."""
    text = DOC.read_text(encoding="utf-8")
    cls = METRICS.get(name)
    assert f"`{cls().id}`" in text, f"{cls().id} missing from {DOC}"
    section = text.split(f"`{cls().id}`", 1)[1].split("\n### ", 1)[0]
    assert re.search(rf"version\W+{cls.version}\b", section, re.I), f"{name}: version {cls.version} not documented"
