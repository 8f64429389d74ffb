"""Model-free baselines: the input in dB, power and magnitude, pooled to a grid, and the band prior, by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.errors import ConfigError
from specxai_bench.methods import METHODS, AttributionError
from specxai_bench.methods.base import upsample
from specxai_bench.methods.grid import pool, to_grid

TARGETS = torch.zeros(2, dtype=torch.long)


@pytest.fixture
def images() -> torch.Tensor:
    return torch.rand(2, 1, 64, 64, generator=torch.Generator().manual_seed(0))


def make(spec: str, axis: FrequencyAxis | None = None):
    method = METHODS.create(spec, torch.nn.Identity())  # model-free: the model is never called
    return method.with_axis(axis) if axis is not None else method


def test_default_input_energy_is_the_db_image_with_the_key_it_always_had(images):
    method = make("input_energy")
    assert json.dumps(method.options(), sort_keys=True) == "{}"  # stored rows keep their key
    torch.testing.assert_close(method.attribute(images, TARGETS), images[:, 0], rtol=0, atol=0)
    assert METHODS.get("input_energy").family == "baseline"


def test_power_and_magnitude_by_hand(images):
    # x = (dB + 80) / 80 (0 = -80 dB re the image's maximum): power = 10 ** (8 (x - 1)), magnitude its root
    x = images[:, 0].double()
    power = make("input_energy@scale=power").attribute(images, TARGETS).double()
    magnitude = make("input_energy@scale=magnitude").attribute(images, TARGETS).double()
    torch.testing.assert_close(power, 10 ** (8 * (x - 1)), rtol=1e-5, atol=0)
    torch.testing.assert_close(magnitude, power.sqrt(), rtol=1e-5, atol=0)
    top = torch.ones(1, 1, 4, 4)  # 0 dB: power 1; the floor (-80 dB): 1e-8
    assert make("input_energy@scale=power").attribute(top, TARGETS[:1]).max().item() == pytest.approx(1.0)
    assert make("input_energy@scale=power").attribute(0 * top, TARGETS[:1]).max().item() == pytest.approx(1e-8)


def test_grid_pools_the_map_as_a_coarse_method_is_upsampled(images):
    method = make("input_energy@scale=power,grid=2x2")
    out = method.attribute(images, TARGETS)
    full = make("input_energy@scale=power").attribute(images, TARGETS)
    torch.testing.assert_close(out, to_grid(full, (2, 2)))
    # the cell means, upsampled as CAM's cells are
    torch.testing.assert_close(out, upsample(pool(full, (2, 2)), (64, 64)))
    torch.testing.assert_close(pool(full, (2, 2))[0, 0, 0], full[0, :32, :32].mean())
    assert method.native_resolution(64) == (2, 2) and make("input_energy").native_resolution(64) == (64, 64)
    assert method.options() == {"scale": "power", "grid": "2x2"}


def test_options_are_checked():
    with pytest.raises(ConfigError, match="scale"):
        make("input_energy@scale=decibel")
    with pytest.raises(ConfigError, match="ROWSxCOLS"):
        make("input_energy@grid=7")
    with pytest.raises(ConfigError, match="below_hz"):
        make("band_prior@below_hz=0")


def test_band_prior_is_uniform_below_4khz_on_a_full_band_axis(images):
    axis = FrequencyAxis(0.0, 8000.0, 64)  # rows of 125 Hz: centres below 4 kHz are rows 0..31
    out = make("band_prior", axis).attribute(images, TARGETS)
    assert (out[:, :32] == 1).all() and (out[:, 32:] == 0).all()
    low = make("band_prior@below_hz=1000", axis).attribute(images, TARGETS)
    assert low[0, :, 0].sum().item() == 8  # centres 62.5 ... 937.5 Hz
    assert make("band_prior@below_hz=1000", axis).options() == {"below_hz": 1000.0}
    assert make("band_prior", axis).options() == {}
    same = make("band_prior", FrequencyAxis(0.0, 4000.0, 64)).attribute(images, TARGETS)
    assert (same == 1).all()  # on a 0-4 kHz image it is the uniform map


def test_band_prior_needs_the_axis_and_says_so(images):
    with pytest.raises(AttributionError, match="with_axis"):
        make("band_prior").attribute(images, TARGETS)
    with pytest.raises(AttributionError, match="rows"):
        make("band_prior", FrequencyAxis(0.0, 8000.0, 32)).attribute(images, TARGETS)


def test_with_axis_is_a_copy_that_keeps_the_options():
    method = make("input_energy@scale=power")
    clone = method.with_axis(FrequencyAxis(0.0, 4000.0, 8))
    assert clone is not method and method.axis is None and clone.axis.fmax == 4000.0
    assert clone.options() == method.options()


def test_every_baseline_is_marked_as_one():
    for name in ("input_energy", "uniform", "random", "band_prior"):
        assert METHODS.get(name).family == "baseline"
    assert np.all([METHODS.get(n).family != "baseline" for n in ("cam", "gradcam", "integrated_gradients")])
