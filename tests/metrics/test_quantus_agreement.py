"""Our vectorised metrics equal Quantus' RelevanceMassAccuracy, PointingGame and Sparseness given
the same maps and masks (Quantus called through metrics/quantus_adapters.py, whose flags avoid its
batch-max normalisation and pass A+ where our definitions use A+)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

pytest.importorskip("quantus")

from specxai_bench.data.spectrogram import FrequencyAxis  # noqa: E402
from specxai_bench.metrics import ScoringBatch  # noqa: E402
from specxai_bench.metrics import quantus_adapters as q
from specxai_bench.metrics.complexity import Sparseness  # noqa: E402
from specxai_bench.metrics.linguistic import FormantBandMass, FormantPointingGame  # noqa: E402


@pytest.fixture(scope="module")
def batch() -> ScoringBatch:
    rng = np.random.default_rng(7)
    b, size = 8, 48
    maps = rng.standard_normal((b, size, size)).astype(np.float32)
    maps[1] = np.abs(maps[1])  # all positive
    maps[2, 5:9, :] = maps[2].max() + 1.0  # a plateau of tied maxima across the F1 rows and outside
    maps[3] = np.round(maps[3])  # many ties
    formants = np.stack([rng.uniform(300, 900, (b, size)), rng.uniform(900, 2500, (b, size)),
                         rng.uniform(2500, 3500, (b, size))], -1)
    return ScoringBatch(torch.from_numpy(maps), torch.rand(b, 1, size, size), torch.zeros(b, dtype=torch.long),
                        np.full((b, size), 120.0), formants, FrequencyAxis(0.0, 4000.0, size))


@pytest.mark.parametrize("formants", [(1,), (2,), (3,), (1, 2, 3)])
def test_formant_band_mass_equals_relevance_mass_accuracy(batch, formants):
    metric = FormantBandMass(formants=formants)
    mask = metric.mask(batch)
    assert mask.any((1, 2)).all()  # Quantus turns an empty mask into NaN too; keep them non-empty here
    ours = metric.score(batch)
    theirs = q.relevance_mass_accuracy(batch.attributions.numpy(), mask)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


@pytest.mark.parametrize("formants", [(1,), (1, 2, 3)])
def test_formant_pointing_game_equals_pointing_game(batch, formants):
    metric = FormantPointingGame(formants=formants)
    ours = metric.score(batch)
    theirs = q.pointing_game(batch.attributions.numpy(), metric.mask(batch))
    assert np.isfinite(ours).all() and 0 < ours.sum() < len(ours)  # both outcomes occur
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_sparseness_equals_quantus_sparseness(batch):
    ours = Sparseness().score(batch)
    theirs = q.sparseness(batch.attributions.numpy().astype(np.float64))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_quantus_defaults_depend_on_batch_composition_ours_do_not(batch):
    """Quantus' default normalise=True divides by the whole batch's max |A|: a faint map next to a
    strong one is pushed down to its 1e-7 offset, and its score changes with its batch mates."""
    import quantus

    maps = np.abs(batch.attributions.numpy()).astype(np.float64)
    maps[0] *= 1e-5  # a faint map in a batch of strong ones
    x, y = np.zeros((len(maps), 1, *maps.shape[1:]), np.float32), np.zeros(len(maps), np.int64)
    default = quantus.Sparseness(disable_warnings=True)
    in_batch = default(model=None, x_batch=x, y_batch=y, a_batch=maps.copy(), channel_first=True)[0]
    alone = default(model=None, x_batch=x[:1], y_batch=y[:1], a_batch=maps[:1].copy(), channel_first=True)[0]
    assert abs(in_batch - alone) > 1e-3
    ours = Sparseness()
    full = ours.score(replace(batch, attributions=torch.from_numpy(maps)))
    one = ours.score(replace(batch, attributions=torch.from_numpy(maps[:1])))
    assert full[0] == pytest.approx(one[0], abs=1e-12)
