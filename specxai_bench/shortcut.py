"""The controlled shortcut task: a class-specific narrow band planted in the audio, so the cue is known.

Every segment of class k gets narrow-band noise centred at ``centres_hz[k]`` (all above 4 kHz),
``width_hz`` wide, at ``level_db`` relative to the segment's RMS, added to its audio before the
spectrogram is taken (the normal librosa path: the band reaches the image like any sound). Classes
are dealt to vowel segments independently of the vowel (per speaker: equal counts per class, each
vowel's tokens spread over the classes), so the planted band is the only cue the labels carry, and
what the model must use is known exactly.

The band removal test (:func:`band_check`) measures test accuracy on the images as trained, with
the band removed (the same segments, nothing planted) and with the band of the next class planted
instead. A model that uses the band falls to about chance without it and follows a moved band.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from .corpora.base import Corpus, Segment
from .errors import DataError

# a model "relies on the band" when removing it takes away at least this share of its accuracy above chance
RELIANCE_SHARE = 0.5
# ... and it is at least this far above chance with the band (otherwise there is nothing to take away)
MIN_ABOVE_CHANCE = 0.2


@dataclass(frozen=True)
class ShortcutSpec:
    """The planted bands: one centre per class (Hz), their width and level (frozen: part of cache keys)."""

    centres_hz: tuple[float, ...]
    width_hz: float = 100.0  # the band spans centre +- width / 2
    level_db: float = -20.0  # band RMS relative to the segment's RMS

    def band(self, cls: int) -> tuple[float, float]:
        """(centre, width) in Hz of class ``cls``'s band."""
        return float(self.centres_hz[cls]), float(self.width_hz)

    def bands(self, classes: np.ndarray) -> np.ndarray:
        """[N, 2] (centre, width) Hz per class index; NaN rows for a negative index (nothing planted)."""
        classes = np.asarray(classes, dtype=np.int64)
        out = np.full((len(classes), 2), np.nan)
        ok = classes >= 0
        out[ok, 0] = np.asarray(self.centres_hz, dtype=np.float64)[classes[ok]]
        out[ok, 1] = self.width_hz
        return out

    def check_sample_rate(self, sample_rate: int) -> None:
        top = max(self.centres_hz) + self.width_hz / 2
        if top >= sample_rate / 2:
            raise DataError(f"shortcut bands reach {top:g} Hz, at or above the Nyquist frequency "
                            f"{sample_rate / 2:g} Hz of this corpus")

    def as_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def band_noise(n: int, sample_rate: int, centre_hz: float, width_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with its spectrum cut to [centre - width/2, centre + width/2] (FFT brick wall), unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / sample_rate)
    spec[np.abs(freqs - centre_hz) > width_hz / 2] = 0.0
    x = np.fft.irfft(spec, n)
    rms = float(np.sqrt(np.mean(x**2)))
    if rms == 0.0:  # a segment too short for any FFT bin to fall inside the band: one steady sinusoid
        t = np.arange(n) / sample_rate
        x, rms = np.sin(2 * np.pi * centre_hz * t + rng.uniform(0, 2 * np.pi)), np.sqrt(0.5)
    return x / rms


def plant(segment: Segment, spec: ShortcutSpec, cls: int, seed: int) -> Segment:
    """``segment`` with class ``cls``'s band added to its audio (seeded by the seed and the segment id)."""
    audio = np.asarray(segment.audio, dtype=np.float64)
    rng = np.random.default_rng([seed, 17, zlib.crc32(segment.id.encode())])
    centre, width = spec.band(cls)
    rms = float(np.sqrt(np.mean(audio**2))) if audio.size else 0.0
    noise = band_noise(len(audio), segment.sample_rate, centre, width, rng) * (rms or 1e-3) * 10 ** (spec.level_db / 20)
    return replace(segment, audio=(audio + noise).astype(np.float32))


def select_shortcut(task: Any, corpus: Corpus, seed: int) -> dict[str, list[tuple[Segment, int]]]:
    """Split -> [(segment, class)]: the task's labels (vowels) dealt to classes independently of the label.

    Per speaker (utterance, for a single-speaker corpus): the labels in a random order, each label's
    tokens in a random order, concatenated; position i gets class perm[i mod K] (perm drawn per
    speaker). So every class gets the same count per speaker, and a label's consecutive tokens go
    to different classes: the label carries no information about the class. A speaker's last
    ``count mod K`` segments are dropped to keep the classes balanced.
    """
    from .tasks import SPLITS, split_speakers, unit_of

    spec: ShortcutSpec = task.shortcut
    k = len(task.classes)
    assignment = split_speakers(corpus, seed)
    n_speakers = len({s.speaker for s in corpus.segments})
    labels = sorted(task.label_map)
    by_unit: dict[str, dict[str, list[Segment]]] = {}
    for s in corpus.segments:
        if s.label in task.label_map:
            by_unit.setdefault(unit_of(s, n_speakers), {}).setdefault(s.label, []).append(s)
    if not by_unit:
        raise DataError(f"task {task.name}: corpus {corpus.name!r} has no segment labelled "
                        f"{', '.join(labels)}; labels present: {', '.join(corpus.labels())}")
    for rate in {s.sample_rate for per in by_unit.values() for segs in per.values() for s in segs}:
        spec.check_sample_rate(rate)
    rng = np.random.default_rng([seed, 19])
    out: dict[str, list[tuple[Segment, int]]] = {split: [] for split in SPLITS}
    for unit in sorted(by_unit):
        per = by_unit[unit]
        order: list[Segment] = []
        for i in rng.permutation(len(labels)):
            pool = sorted(per.get(labels[i], []), key=lambda s: s.id)
            order.extend(pool[j] for j in rng.permutation(len(pool)))
        perm = rng.permutation(k)
        keep = len(order) - len(order) % k
        out[assignment[unit]].extend((s, int(perm[i % k])) for i, s in enumerate(order[:keep]))
    for split in SPLITS:
        out[split].sort(key=lambda item: item[0].id)
    empty = [split for split in SPLITS if not out[split]]
    if empty:
        raise DataError(f"task {task.name}: no segment in split(s) {', '.join(empty)} (each speaker needs at "
                        f"least {k} segments labelled {', '.join(labels)})")
    return out


def band_check(model: Any, task: Any, items: list[tuple[Segment, int]], planted_images: Any, image_size: int,
               seed: int, device: str, batch_size: int) -> dict[str, Any]:
    """The band removal test on the test split ``items`` (with ``planted_images``, the images as trained).

    Returns the accuracies with the band, without it, and the share of predictions that follow the
    band when class (k + 1) mod K's band is planted in class k's segments, plus whether the model
    relies on the band (removal takes away at least RELIANCE_SHARE of its accuracy above chance).
    """
    import torch

    from .data import spectrogram_config
    from .spectrogram import spectrogram_image
    from .training import predict

    k = len(task.classes)
    cfg = spectrogram_config(task, image_size)
    targets = torch.tensor([c for _, c in items], dtype=torch.long)

    def images(shift: int | None) -> torch.Tensor:
        out = [spectrogram_image(seg if shift is None else plant(seg, task.shortcut, (c + shift) % k, seed), cfg)[0]
               for seg, c in items]
        return torch.from_numpy(np.stack(out)[:, None]) if out else torch.zeros((0, 1, image_size, image_size))

    def share(imgs: torch.Tensor, want: torch.Tensor) -> float:
        if len(want) == 0:
            return float("nan")
        return int((predict(model, imgs, device, batch_size) == want).sum()) / len(want)

    with_band = share(planted_images, targets)
    removed = share(images(None), targets)
    follows = share(images(1), (targets + 1) % k)
    chance = 1.0 / k
    above = with_band - chance
    relies = bool(above >= MIN_ABOVE_CHANCE and removed - chance <= (1 - RELIANCE_SHARE) * above)
    return {"n": len(items), "chance": chance, "accuracy_with_band": with_band, "accuracy_band_removed": removed,
            "drop": with_band - removed, "follows_moved_band": follows, "relies_on_band": relies,
            "spec": task.shortcut.as_dict()}


def format_band_check(task: str, check: dict[str, Any]) -> str:
    """The line printed under the task's table."""
    verdict = ("The model relies on the band (confirmed)." if check["relies_on_band"] else
               "WARNING: small drop, the model does not rely on the band (not confirmed); "
               "shortcut_recovery cannot be read as faithfulness here")
    return (f"band removal test [{task}] ({check['n']} test samples, chance {check['chance']:.3f}): accuracy with the "
            f"band {check['accuracy_with_band']:.3f}, band removed {check['accuracy_band_removed']:.3f} "
            f"(drop {check['drop']:.3f}); next class's band planted instead: {check['follows_moved_band']:.3f} of "
            f"predictions follow it. {verdict}")
