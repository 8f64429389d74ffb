"""Captum adapters: GradientSHAP's seeding, Occlusion's window geometry, option checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from specxai_bench.methods import METHODS

from .conftest import tiny_images, tiny_model

TARGETS = torch.tensor([0, 2])


def test_gradient_shap_is_seeded_per_sample_and_leaves_global_rngs_alone() -> None:
    model, images = tiny_model(), tiny_images(2, 32)
    torch.manual_seed(123)
    np.random.seed(123)
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    seed0 = METHODS.get("gradient_shap")(model, n_samples=4, seed=0)
    first = seed0.attribute(images, TARGETS)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state)
    torch.testing.assert_close(METHODS.get("gradient_shap")(model, n_samples=4, seed=0).attribute(images, TARGETS),
                               first, rtol=0, atol=0)
    other = METHODS.get("gradient_shap")(model, n_samples=4, seed=1).attribute(images, TARGETS)
    assert not torch.allclose(other, first)
    swapped = seed0.attribute(images.flip(0), TARGETS.flip(0))  # batch order does not matter
    torch.testing.assert_close(swapped.flip(0), first, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(("px", "window", "stride", "grid"), [(224, 16, 8, 27), (64, 5, 2, 31), (32, 2, 1, 31)])
def test_occlusion_window_scales_with_image_size(px: int, window: int, stride: int, grid: int) -> None:
    method = METHODS.get("occlusion")(tiny_model())
    assert method.geometry((px, px)) == ((window, window), (stride, stride))
    assert method.native_resolution(px) == (grid, grid)
    fixed = METHODS.get("occlusion")(tiny_model(), window=8, stride=4, reference_px=None)
    assert fixed.geometry((px, px)) == ((8, 8), (4, 4))


def test_occlusion_of_a_silent_image_is_zero() -> None:
    """Occluding with silence changes nothing on a silent image: every window's drop is 0."""
    method = METHODS.get("occlusion")(tiny_model(), window=8, stride=8, reference_px=None)
    maps = method.attribute(torch.zeros(1, 1, 32, 32), TARGETS[:1])
    assert maps.abs().max() < 1e-5  # float noise of batched vs single forward passes only


@pytest.mark.parametrize(("name", "options", "match"), [
    ("occlusion", {"stride": 32}, "stride"),
    ("occlusion", {"window": 0}, "window"),
    ("gradient_shap", {"stdevs": -1.0}, "stdevs"),
    ("gradient_shap", {"n_samples": 0}, "n_samples"),
])
def test_bad_options_fail_at_construction(name: str, options: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        METHODS.get(name)(tiny_model(), **options)
