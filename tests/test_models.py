import pytest
import torch

from specxai_bench.errors import CheckpointError, ConfigError
from specxai_bench.methods import METHODS
from specxai_bench.model.checkpoints import (
    load_backbone_weights,
    load_checkpoint,
    save_checkpoint,
)
from specxai_bench.model.classifier import SpectrogramClassifier


def test_resnet101_trains_one_step_and_gives_a_cam_on_a_tiny_input():
    torch.manual_seed(0)
    model = SpectrogramClassifier("resnet101", 5)
    x, y = torch.rand(2, 1, 32, 32), torch.tensor([0, 3])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = model.backbone.fc.weight.detach().clone()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    assert torch.isfinite(loss) and not torch.equal(before, model.backbone.fc.weight)
    maps = METHODS.get("cam")(model.eval()).attribute(x, y)
    assert maps.shape == (2, 32, 32) and torch.isfinite(maps).all()


def test_unknown_arch():
    with pytest.raises(ConfigError, match="known: resnet18"):
        SpectrogramClassifier("vgg", 2)


def test_checkpoint_round_trip_and_refusals(tmp_path):
    model = SpectrogramClassifier("resnet18", 2)
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, {"config_hash": "abc", "test_accuracy": 1.0})
    other = SpectrogramClassifier("resnet18", 2)
    meta = load_checkpoint(path, other, "abc")
    assert meta["test_accuracy"] == 1.0
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), other.state_dict().values()))
    with pytest.raises(CheckpointError, match="another config"):
        load_checkpoint(path, other, "xyz")
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match=r"truncated.*--retrain"):
        load_checkpoint(path, other, "abc")


def test_user_weights_file_missing_or_not_fitting(tmp_path):
    model = SpectrogramClassifier("resnet18", 5)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_backbone_weights(model, tmp_path / "imagenet.pth")
    import torchvision

    good = tmp_path / "r18.pth"
    torch.save(torchvision.models.resnet18(num_classes=1000).state_dict(), good)
    load_backbone_weights(model, good)  # head of another size is replaced, body must fit
    bad = tmp_path / "r34.pth"
    torch.save(torchvision.models.resnet34(num_classes=1000).state_dict(), bad)
    with pytest.raises(CheckpointError, match="holds a resnet34 state dict; the run.s architecture is resnet18"):
        load_backbone_weights(model, bad)
