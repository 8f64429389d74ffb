"""pytorch-grad-cam adapter: errors it would swallow are raised, the model survives a failure,
progress bars stay quiet, and Score-CAM keeps no per-batch feature maps."""

from __future__ import annotations

import pytest
import pytorch_grad_cam.ablation_cam as ablation_cam
import torch
from pytorch_grad_cam.base_cam import BaseCAM

from specxai_bench.methods import METHODS, AttributionError

from .conftest import tiny_images, tiny_model


def test_swallowed_index_error_becomes_an_attribution_error() -> None:
    model, images = tiny_model(), tiny_images(2, 48)
    with pytest.raises(AttributionError, match="swallows IndexError"):
        METHODS.get("layercam")(model).attribute(images, torch.tensor([0, 7]))  # class 7 of 3


def test_ablationcam_restores_the_layer_after_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    model, images = tiny_model(), tiny_images(1, 48)
    layer = model.backbone.layer1

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("failure between swapping the layer out and back")

    monkeypatch.setattr(ablation_cam.AblationCAM, "assemble_ablation_scores", fail)
    with pytest.raises(RuntimeError, match="failure between"):
        METHODS.get("ablationcam")(model, layer="layer1").attribute(images, torch.tensor([0]))
    assert model.backbone.layer1 is layer


def test_scorecam_is_quiet_and_stores_no_masked_maps(capsys: pytest.CaptureFixture,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    stored: list[int] = []
    library_exit = BaseCAM.__exit__

    def counting_exit(self: BaseCAM, *exc: object) -> object:
        stored.append(len(self.activations_and_grads.activations))
        return library_exit(self, *exc)

    monkeypatch.setattr(BaseCAM, "__exit__", counting_exit)
    model, images = tiny_model(), tiny_images(1, 32)
    METHODS.get("scorecam")(model, layer="layer1", batch_size=16).attribute(images, torch.tensor([1]))
    assert stored == [0]  # the library's hooks would keep one [16, 64, 8, 8] record per masked batch
    assert "it/s" not in capsys.readouterr().err


def test_options_record_the_budget() -> None:
    method = METHODS.get("ablationcam")(tiny_model(), layer="layer3", batch_size=8)
    assert method.options() == {"layer": "layer3", "ratio_channels_to_ablate": 1.0}
    assert method.budget() == {"batch_size": 8}  # cost only: not part of the result key
    with pytest.raises(ValueError, match="batch_size"):
        METHODS.get("scorecam")(tiny_model(), batch_size=0)
