"""User weights: a finished torchvision ResNet state dict with --classes, and clear errors when it does not fit."""

from __future__ import annotations

import pytest
import torch
import torchvision

from specxai_bench.errors import CheckpointError, ConfigError
from specxai_bench.experiment import RunConfig, plan
from specxai_bench.model.checkpoints import load_finished_model, resnet_arch

CLASSES = ("iy", "ae", "ah", "aa", "uw")


def save(tmp_path, arch: str, outputs: int, wrapped: bool = False):
    torch.manual_seed(0)
    net = getattr(torchvision.models, arch)(weights=None, num_classes=outputs).eval()
    path = tmp_path / f"{arch}-{outputs}.pt"
    state = net.state_dict()
    torch.save({f"module.{k}": v for k, v in state.items()} if wrapped else state, path)
    return net, path


@pytest.mark.parametrize("arch", ["resnet18", "resnet34", "resnet50", "resnet101"])
def test_architecture_is_read_from_the_state_dict(arch):
    state = getattr(torchvision.models, arch)(weights=None, num_classes=3).state_dict()
    assert resnet_arch(state) == arch


def test_finished_model_outputs_follow_the_tasks_class_order(tmp_path):
    net, path = save(tmp_path, "resnet18", 5, wrapped=True)  # a DataParallel-style state dict
    model_order = ("aa", "ae", "ah", "iy", "uw")  # the order its fc was trained in
    model = load_finished_model(path, "resnet18", model_order, CLASSES)
    x = torch.rand(2, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    mean, std = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    logits = net((x.expand(-1, 3, -1, -1) - mean) / std)  # ImageNet-normalised grey image, three channels
    expected = logits[:, [model_order.index(c) for c in CLASSES]]
    torch.testing.assert_close(model(x), expected)
    assert model.input_norm == "imagenet" and model.layer_root.layer4 is not None


def test_mismatches_name_both_sides(tmp_path):
    _, r50 = save(tmp_path, "resnet50", 5)
    with pytest.raises(CheckpointError, match="holds a resnet50 state dict; the run's architecture is resnet18.*"
                                              "--arch resnet50"):
        load_finished_model(r50, "resnet18", CLASSES, CLASSES)
    _, four = save(tmp_path, "resnet18", 4)
    with pytest.raises(CheckpointError, match=r"its fc has 4 outputs; --classes names 5 \(iy,ae,ah,aa,uw\)"):
        load_finished_model(four, "resnet18", CLASSES, CLASSES)
    (tmp_path / "junk.pt").write_bytes(b"not a state dict")
    with pytest.raises(CheckpointError, match="could not be read as a state dict"):
        load_finished_model(tmp_path / "junk.pt", "resnet18", CLASSES, CLASSES)


def test_plan_checks_classes_weights_and_tasks_before_any_work(tmp_path):
    _, path = save(tmp_path, "resnet18", 5)
    base = dict(methods=("gradcam",), metrics=("formant_band_lift",), profile="smoke")
    checked = plan(RunConfig(tasks=("vowel5-4k",), weights=path, classes=CLASSES, **base))
    assert [t.name for t in checked.tasks] == ["vowel5-4k"]
    with pytest.raises(ConfigError, match="not the classes of task.s. voicing; pass --tasks vowel5,vowel5-4k"):
        plan(RunConfig(tasks=("vowel5-4k", "voicing"), weights=path, classes=CLASSES, **base))
    with pytest.raises(ConfigError, match="give the model with --weights"):
        plan(RunConfig(tasks=("vowel5-4k",), classes=CLASSES, **base))
    with pytest.raises(CheckpointError, match="fc has 5 outputs; --classes names 4"):
        plan(RunConfig(tasks=("vowel5-4k",), weights=path, classes=CLASSES[:4], **base))
    cfg = RunConfig(tasks=("vowel5-4k",), weights=path, classes=CLASSES, **base)
    assert "--classes iy,ae,ah,aa,uw" in cfg.command() and cfg.identity()["classes"] == CLASSES
    assert "classes" not in RunConfig(tasks=("vowel5-4k",), **base).identity()  # old run ids unchanged
