"""Metrics called as Quantus metrics are: keyword batches in torch or numpy, the same scores as ``score``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from specxai_bench.errors import ConfigError
from specxai_bench.metrics import METRICS


def test_keyword_call_equals_score_in_numpy_and_torch(mk) -> None:
    batch = mk.random_batch(b=4, size=32)
    for spec in ("formant_band_mass", "formant_band_lift@formants=1", "high_band_share", "sparseness"):
        metric = METRICS.create(spec)
        expected = metric.score(batch)
        as_numpy = metric(x_batch=batch.images.numpy(), y_batch=batch.targets.numpy(),
                          a_batch=batch.attributions.numpy(), axis=batch.axis, f0=batch.f0, formants=batch.formants)
        as_torch = metric(x_batch=batch.images[:, 0], y_batch=batch.targets.tolist(),
                          a_batch=batch.attributions[:, None], axis=batch.axis, f0=torch.from_numpy(batch.f0),
                          formants=torch.from_numpy(batch.formants))
        assert as_numpy.dtype == np.float64 and as_numpy.shape == (4,)
        np.testing.assert_allclose(as_numpy, expected, equal_nan=True)
        np.testing.assert_allclose(as_torch, expected, equal_nan=True)


def test_model_side_metric_and_maps_from_a_method_spec(mk) -> None:
    model = mk.TinyNet().eval()
    batch = mk.random_batch(b=3, size=16, model=model)
    deletion = METRICS.create("band_deletion@n_bands=4")
    given = deletion(model=model, x_batch=batch.images, y_batch=batch.targets, a_batch=batch.attributions,
                     axis=batch.axis)
    np.testing.assert_allclose(given, deletion.score(batch), equal_nan=True)
    computed = deletion(model=model, x_batch=batch.images, y_batch=batch.targets, method="saliency", axis=batch.axis)
    from specxai_bench.methods import METHODS

    maps = METHODS.create("saliency", model).attribute(batch.images, batch.targets)
    np.testing.assert_allclose(computed, deletion(model=model, x_batch=batch.images, y_batch=batch.targets,
                                                  a_batch=maps, axis=batch.axis), equal_nan=True)


def test_missing_keywords_are_named(mk) -> None:
    batch = mk.random_batch(b=2, size=16)
    metric = METRICS.create("formant_band_mass")
    with pytest.raises(ConfigError, match="formant_band_mass needs axis="):
        metric(x_batch=batch.images, y_batch=batch.targets, a_batch=batch.attributions, formants=batch.formants)
    with pytest.raises(ConfigError, match="needs formants="):
        metric(x_batch=batch.images, y_batch=batch.targets, a_batch=batch.attributions, axis=batch.axis)
    with pytest.raises(ConfigError, match=r"formants must have shape \(2, 16, 3\)"):
        metric(x_batch=batch.images, y_batch=batch.targets, a_batch=batch.attributions, axis=batch.axis,
               formants=batch.formants[:, :8])
    with pytest.raises(ConfigError, match="give a_batch="):
        metric(x_batch=batch.images, y_batch=batch.targets, axis=batch.axis, formants=batch.formants)
    with pytest.raises(ConfigError, match="a_batch must be"):
        metric(x_batch=batch.images, y_batch=batch.targets, a_batch=batch.attributions[:, :8], axis=batch.axis,
               formants=batch.formants)
    with pytest.raises(TypeError):
        metric(batch.images, batch.targets)  # keywords only, as in Quantus' documented calls
