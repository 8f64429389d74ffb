"""Run profiles: how big the corpus is and how the models are trained.

``paper`` is the study's ResNet-101 configuration (for GPUs); ``cpu`` is what trains the three
models to the accuracy target within the time budget on two cores; ``smoke`` runs in seconds for
tests. ``auto`` picks ``paper`` when CUDA is available and ``cpu`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..data.corpora.synthetic import EPOCH_FACTOR, SyntheticConfig
from ..errors import ConfigError, UnknownNameError


@dataclass(frozen=True)
class Profile:
    name: str
    arch: str
    image_size: int
    epochs: int
    batch_size: int
    lr: float
    corpus: SyntheticConfig
    patience: int = 0  # early stopping on validation accuracy; 0 = train all epochs
    max_lr_schedule: bool = True  # one-cycle learning-rate schedule
    eval_batch_size: int = 32
    description: str = ""
    # bfloat16 autocast in training on a CPU whose oneDNN has native bf16 kernels (on CUDA: always)
    cpu_bf16: bool = False
    # progressive resizing: the image-size scale of each early epoch (0.5 = half size); later epochs,
    # and always the last one, train at full size, so the CAM grid of the final model stays 7x7
    epoch_scales: tuple[float, ...] = ()
    # training segments per class, drawn round-robin over speakers (data/capping.py); 0 = all
    max_train_per_class: int = 0

    def epoch_size(self, epoch: int) -> int:
        """Training image size of ``epoch`` (0-based): full size from the last scale on, and always for the
        last epoch; never below 32 px (the ResNets' stride)."""
        if epoch >= len(self.epoch_scales) or epoch >= self.epochs - 1:
            return self.image_size
        return max(32, round(self.image_size * self.epoch_scales[epoch]))

    def for_corpus(self, spec: str) -> "Profile":
        """This profile for the corpus ``spec``: a synthetic variant trains its ``EPOCH_FACTOR`` times the epochs
        (the hard one 1.5x); every other corpus, the profile's own."""
        kind, _, name = spec.partition(":")
        factor = EPOCH_FACTOR.get(name or "easy", 1.0) if kind == "synthetic" else 1.0
        return self if factor == 1.0 else replace(self, epochs=max(1, round(self.epochs * factor)))

    def with_overrides(self, *, arch: str | None = None, image_size: int | None = None,
                       epochs: int | None = None, speakers_per_group: int | None = None,
                       max_train_per_class: int | None = None) -> "Profile":
        """This profile with the given fields replaced (None: keep); a value below its minimum is a ConfigError."""
        check_size_overrides(epochs=epochs, image_size=image_size, speakers_per_group=speakers_per_group,
                             max_train_per_class=max_train_per_class)
        kw = {k: v for k, v in {"arch": arch, "image_size": image_size, "epochs": epochs,
                                "max_train_per_class": max_train_per_class}.items() if v is not None}
        if speakers_per_group is not None:
            kw["corpus"] = replace(self.corpus, speakers_per_group=speakers_per_group)
        return replace(self, **kw) if kw else self


# Reduced-size runs (`run` and `study` on two cores) may override these profile fields; the smallest
# value each accepts: ResNets downsample by 32, and a speaker split needs 3 speakers per group.
# --max-train-per-class 0 means no cap.
SIZE_OVERRIDES: dict[str, int] = {"epochs": 1, "image_size": 32, "speakers_per_group": 3, "max_train_per_class": 0}


def check_size_overrides(**values: int | None) -> None:
    """Raise ConfigError, naming the option, for an override below its minimum (None = not given)."""
    for name, value in values.items():
        least = SIZE_OVERRIDES[name]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < least):
            raise ConfigError(f"--{name.replace('_', '-')} must be an integer of at least {least}, got {value!r}")


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("smoke", arch="resnet18", image_size=64, epochs=1, batch_size=16, lr=1e-3,
                corpus=SyntheticConfig(speakers_per_group=3, vowel_tokens=2, consonant_tokens=1),
                description="seconds, for tests: tiny corpus, 64 px, accuracy meaningless"),
        # the recipe measured in docs/performance.md: bf16 autocast (2x per step on this EPYC), batch 16
        # (twice the updates per epoch at the same images/s), 8 one-cycle epochs (12 on the hard synthetic corpus:
        # Profile.for_corpus), at most 500 training segments per class (bounded time on real corpora)
        Profile("cpu", arch="resnet18", image_size=224, epochs=8, batch_size=16, lr=2e-3,
                corpus=SyntheticConfig(speakers_per_group=12, vowel_tokens=6, consonant_tokens=2),
                cpu_bf16=True, max_train_per_class=500,
                description="two CPU cores: ResNet-18 at 224 px (7x7 CAM grid as in the study), bf16"),
        Profile("paper", arch="resnet101", image_size=224, epochs=30, batch_size=32, lr=1e-4,
                corpus=SyntheticConfig(speakers_per_group=40, vowel_tokens=20, consonant_tokens=6),
                patience=5, max_lr_schedule=False,
                description="the study's settings: ResNet-101, 224 px, Adam lr 1e-4, batch 32, early stopping"),
    )
}


def resolve_profile(name: str, device: str) -> Profile:
    """``auto`` -> ``paper`` on CUDA, else ``cpu``."""
    if name == "auto":
        name = "paper" if device.startswith("cuda") else "cpu"
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown profile {name!r}. Known profiles: auto, {', '.join(PROFILES)}") from None


def resolve_device(name: str) -> str:
    import torch  # here, not at the top: `--help` and `list` read the profiles without loading torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("--device cuda was asked for but CUDA is not available here; use --device cpu or auto")
    if name != "cpu" and not name.startswith("cuda"):
        raise UnknownNameError(f"unknown device {name!r}; use auto, cpu or cuda")
    return name
