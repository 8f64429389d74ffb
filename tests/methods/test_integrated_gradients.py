"""Integrated Gradients from silence: completeness, and the convergence delta it records.

Completeness: sum of attributions = f(x)[target] - f(silence)[target] up to the quadrature error.
An untrained ReLU network's path is jagged, so this needs many steps: at 256 Gauss-Legendre steps
the gap is ~1 % here; 3 % is the tolerance.
"""

from __future__ import annotations

import pytest
import torch

from specxai_bench.methods import METHODS

from .conftest import tiny_images, tiny_model

TARGETS = torch.tensor([0, 2])


def test_completeness_from_silence() -> None:
    model, images = tiny_model(), tiny_images(2, 32)
    method = METHODS.get("integrated_gradients")(model, n_steps=256, internal_batch_size=256)
    attributions = method.attribute(images, TARGETS)
    with torch.no_grad():
        gap = (model(images) - model(torch.zeros_like(images)))[torch.arange(2), TARGETS]
    total = attributions.sum((1, 2))
    torch.testing.assert_close(total, gap, rtol=0.03, atol=1e-3 * gap.abs().max().item())
    # the recorded convergence delta is exactly this gap, per sample
    torch.testing.assert_close(method.last_delta, total - gap, rtol=0, atol=1e-5)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="n_steps"):
        METHODS.get("integrated_gradients")(tiny_model(), n_steps=0)
    with pytest.raises(TypeError, match="nsteps"):
        METHODS.get("integrated_gradients")(tiny_model(), nsteps=32)
