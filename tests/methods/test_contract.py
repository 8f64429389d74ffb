"""The attribution contract, for every registered method (a new plugin is tested the moment it registers).

Each method runs once on a tiny ResNet-18 (48 px: layer4 is 2x2, layer1 12x12), batch 2: a batched
call, the same call again, and each sample alone. The tests below read that one record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import pytest
import torch
from torch import nn

from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.methods import METHODS

from .conftest import tiny_images, tiny_model

PX, BATCH = 48, 2
TARGETS = torch.tensor([0, 2])

# Smaller budgets so the whole contract runs in seconds; the defaults run in benchmarks/method_speed.py
# and in test_default_construction below. Score-/Ablation-CAM do one forward per channel: layer1 has 64.
FAST_OPTIONS: dict[str, dict[str, object]] = {
    "scorecam": {"layer": "layer1", "batch_size": 64},
    "ablationcam": {"layer": "layer1", "batch_size": 64},
    "integrated_gradients": {"n_steps": 8},
    "gradient_shap": {"n_samples": 4},
    "occlusion": {"window": 16, "stride": 16, "reference_px": None},
}

# Methods whose map of a sample depends on the rest of its batch (batch statistics): name -> reason.
# None today: gradient_shap seeds its noise per sample from the image content, and pytorch-grad-cam
# scales each map on its own.
BATCH_DEPENDENT: dict[str, str] = {}

# Methods known to leave parameter .grad filled: name -> reason (strict xfail: fixing one fails loudly).
LEAVES_PARAM_GRADS: dict[str, str] = {}

HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
              "_forward_hooks_with_kwargs", "_forward_pre_hooks_with_kwargs", "_state_dict_hooks")


def _structure(model: nn.Module) -> list[tuple]:
    """Each module's name, identity, type, instance attributes and ``inplace`` flag."""
    return [(name, id(m), type(m), sorted(vars(m)), getattr(m, "inplace", None))
            for name, m in model.named_modules()]


@dataclass
class Record:
    name: str
    images: torch.Tensor
    batched: torch.Tensor
    again: torch.Tensor
    alone: torch.Tensor
    model: nn.Module
    state_before: dict[str, torch.Tensor]
    structure_before: list[tuple]


@cache
def record(name: str) -> Record:
    model = tiny_model()
    images = tiny_images(BATCH, PX)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    structure = _structure(model)
    # every method is given the images' axis as the runner gives it (band_prior reads it, the others ignore it)
    method = METHODS.get(name)(model, **FAST_OPTIONS.get(name, {})).with_axis(FrequencyAxis(0.0, 8000.0, PX))
    batched = method.attribute(images, TARGETS)
    again = method.attribute(images, TARGETS)
    alone = torch.cat([method.attribute(images[i:i + 1], TARGETS[i:i + 1]) for i in range(BATCH)])
    return Record(name, images, batched, again, alone, model, state, structure)


def _params(table: dict[str, str], mark: str) -> list:
    marks = {"skip": pytest.mark.skip, "xfail": lambda reason: pytest.mark.xfail(reason=reason, strict=True)}
    return [pytest.param(n, marks=marks[mark](reason=table[n])) if n in table else n for n in METHODS.names()]


@pytest.fixture(params=METHODS.names())
def rec(request: pytest.FixtureRequest) -> Record:
    return record(request.param)


def test_shape_float_finite(rec: Record) -> None:
    assert rec.batched.shape == (BATCH, PX, PX)
    assert rec.batched.dtype == torch.float32
    assert torch.isfinite(rec.batched).all()


def test_deterministic(rec: Record) -> None:
    torch.testing.assert_close(rec.again, rec.batched, rtol=1e-6, atol=1e-7 * rec.batched.abs().max().item())


@pytest.mark.parametrize("name", _params(BATCH_DEPENDENT, "skip"))
def test_batched_equals_per_sample(name: str) -> None:
    rec = record(name)
    scale = rec.batched.abs().max().item()
    torch.testing.assert_close(rec.batched, rec.alone, rtol=1e-3, atol=1e-4 * scale)


def test_no_hooks_left(rec: Record) -> None:
    for mod_name, module in rec.model.named_modules():
        for hooks in HOOK_DICTS:
            assert not getattr(module, hooks, {}), f"{rec.name} left {hooks} on {mod_name or 'model'}"
    from torch.nn.modules import module as m

    assert not (m._global_forward_hooks or m._global_forward_pre_hooks or m._global_backward_hooks
                or m._global_backward_pre_hooks), f"{rec.name} left a global module hook"


def test_model_unchanged(rec: Record) -> None:
    assert _structure(rec.model) == rec.structure_before, f"{rec.name} changed the model's modules"
    state = rec.model.state_dict()
    assert state.keys() == rec.state_before.keys()
    for key, value in rec.state_before.items():
        assert torch.equal(state[key], value), f"{rec.name} changed {key}"


@pytest.mark.parametrize("name", _params(LEAVES_PARAM_GRADS, "xfail"))
def test_param_grads_untouched(name: str) -> None:
    rec = record(name)
    left = [n for n, p in rec.model.named_parameters() if p.grad is not None]
    assert not left, f"{name} left .grad on {len(left)} parameters, e.g. {left[:2]}"


@pytest.mark.parametrize("name", METHODS.names())
def test_default_construction(name: str) -> None:
    """Defaults construct; options are JSON (result keys); metadata for `list methods` is filled in."""
    cls = METHODS.get(name)
    method = cls(tiny_model())
    json.dumps(method.options(), sort_keys=True)
    assert cls.description and cls.cost and cls.family
    h, w = method.native_resolution(64)
    assert 1 <= h <= 64 and 1 <= w <= 64
    with pytest.raises(TypeError):
        cls(tiny_model(), no_such_option=1)  # a typo fails at once, naming the option
