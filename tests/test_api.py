"""The Python API on models and audio the toolkit did not make: explain, wrap, spectrogram, tracks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

import specxai_bench as sx
from specxai_bench.errors import ConfigError
from specxai_bench.methods import METHODS
from specxai_bench.model.classifier import SpectrogramClassifier

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def toolkit_and_plain(arch: str = "resnet18", classes: int = 5) -> tuple[SpectrogramClassifier, torch.nn.Module]:
    torch.manual_seed(0)
    ours = SpectrogramClassifier(arch, classes).eval()
    plain = getattr(torchvision.models, arch)(weights=None, num_classes=classes)
    plain.load_state_dict(ours.backbone.state_dict())
    return ours, plain.eval()


def images(batch: int = 3, px: int = 64) -> torch.Tensor:
    return torch.rand(batch, 1, px, px, generator=torch.Generator().manual_seed(1))


def test_explain_cam_equals_the_toolkits_own_cam_on_the_same_weights():
    ours, plain = toolkit_and_plain()
    x, y = images(), torch.tensor([0, 3, 4])
    expected = METHODS.create("cam", ours).attribute(x, y)
    on_plain = sx.explain(plain, ours._prepare(x), y, method="cam")  # the network's own 3-channel input
    on_wrapped = sx.explain(sx.wrap(plain, input_norm="toolkit"), x.numpy(), y.tolist(), method="cam")
    for got in (on_plain, on_wrapped):
        assert got.maps.shape == (3, 64, 64) and got.grid == (2, 2) and got.method == "cam"
        torch.testing.assert_close(got.maps, expected, rtol=0, atol=1e-6)


def test_explain_gradcam_equals_pytorch_grad_cam_on_a_plain_torchvision_resnet50():
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None, num_classes=4).eval()
    x, y = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(2)), torch.tensor([1, 3])
    got = sx.explain(model, x, y)  # the default: gradcam@layer=layer4
    with GradCAM(model=model, target_layers=[model.layer4]) as reference:
        expected = reference(input_tensor=x, targets=[ClassifierOutputTarget(int(t)) for t in y])
    assert got.grid == (2, 2) and got.options == {"layer": "layer4"}
    torch.testing.assert_close(got.maps, torch.from_numpy(expected), rtol=0, atol=1e-5)
    assert sx.explain(model, x, 2, method="gradcam@layer=layer3").grid == (4, 4)  # one target for every image


def test_wrap_feeds_the_toolkits_images_to_an_imagenet_normalised_network():
    _, plain = toolkit_and_plain()
    x = images(2)
    mean, std = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    torch.testing.assert_close(sx.wrap(plain)(x), plain((x.expand(-1, 3, -1, -1) - mean) / std))
    with pytest.raises(ConfigError, match="unknown input normalisation"):
        sx.wrap(plain, input_norm="cifar")


def test_explain_rejects_misshapen_inputs():
    _, plain = toolkit_and_plain()
    with pytest.raises(ConfigError, match="targets: one class index, or one per image"):
        sx.explain(plain, torch.rand(2, 3, 32, 32), [0, 1, 2])
    with pytest.raises(ConfigError, match="images must be"):
        sx.explain(plain, torch.rand(1, 2, 3, 32, 32), 0)


def vowel(sr: int, f0: float = 110.0, seconds: float = 0.4) -> np.ndarray:
    from scipy.signal import lfilter

    n = int(sr * seconds)
    x = np.zeros(n)
    x[:: int(round(sr / f0))] = 1.0
    for f, bw in ((700, 80), (1200, 90), (2600, 150), (3500, 250)):
        r, th = np.exp(-np.pi * bw / sr), 2 * np.pi * f / sr
        x = lfilter([1 - 2 * r * np.cos(th) + r * r], [1.0, -2 * r * np.cos(th), r * r], x)
    return (0.5 * x / np.abs(x).max() + 1e-4 * np.random.default_rng(0).standard_normal(n)).astype(np.float32)


def test_spectrogram_of_a_users_wav_keeps_its_band():
    audio = vowel(16000)
    image, axis = sx.spectrogram(audio, 16000, image_size=64)
    assert image.shape == (1, 64, 64) and (axis.fmin, axis.fmax) == (0.0, 8000.0)
    low, axis4 = sx.spectrogram((audio * 32767).astype(np.int16), 16000, band=4000, image_size=64)
    assert axis4.fmax == 4000.0 and float(low.max()) == pytest.approx(1.0)
    assert abs(axis4.centres()[int(low[0].mean(1).argmax())] - 700) < 250  # F1's energy peak in its row
    with pytest.raises(ConfigError, match="above the audio's Nyquist"):
        sx.spectrogram(audio, 16000, band=11025)


def test_tracks_of_a_users_wav_on_an_images_columns():
    audio = vowel(16000)
    full = sx.tracks(audio, 16000, cache=False)
    assert full.source == "praat" and np.nanmedian(full.f0) == pytest.approx(110, rel=0.05)
    part = sx.tracks(audio, 16000, start=0.1, end=0.3, columns=64, cache=False)
    assert part.formants.shape == (64, 3) and part.times[-1] < 0.2
    assert np.nanmedian(part.formants[:, 0]) == pytest.approx(700, rel=0.12)
    with pytest.raises(ConfigError, match="start / end"):
        sx.tracks(audio, 16000, start=0.3, end=0.1)


def test_the_api_is_exported_lazily_from_the_package_and_captum_by_its_first_method():
    import subprocess
    import sys

    assert set(sx.__all__) == {"__version__", *sx._API} and all(getattr(sx, name) for name in sx._API)
    code = ("import sys, specxai_bench as sx\n"
            "print('torch' in sys.modules)\n"
            "sx.explain; print(sorted(m for m in ('torch', 'captum') if m in sys.modules))\n"
            "import torch, torchvision\n"
            "model = sx.wrap(torchvision.models.resnet18(num_classes=2)).eval()\n"
            "x, y = torch.rand(1, 1, 32, 32), torch.tensor([0])\n"
            "sx.explain(model, x, y, method='cam'); print('captum' in sys.modules)\n"
            "sx.explain(model, x, y, method='saliency'); print('captum' in sys.modules)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    # torch only when the API is used; Captum (~0.7 s to import) only when a Captum method runs
    assert res.returncode == 0 and res.stdout.split() == ["False", "['torch']", "False", "True"], res.stderr[-1000:]
    with pytest.raises(AttributeError, match="no attribute 'explian'"):
        sx.explian  # noqa: B018
