"""Small audio fixtures for the corpus readers: vowel-like signals written into tmp_path.

Tests reach the helpers through the ``audio`` fixture.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import lfilter

BANDWIDTHS = (60, 90, 150, 250, 300, 400, 500)
HIGH_POLES = (6000.0, 7500.0)  # fill the spectrum above F5, as real speech does (Praat needs it)


def vowel(formants=(700, 1200, 2600, 3500, 4500), *, f0=120.0, sr=16000, dur=0.3, seed=0) -> np.ndarray:
    """A pulse train through a cascade of resonators (peak 0.5), with a little noise."""
    n = int(round(dur * sr))
    x = np.zeros(n)
    x[:: int(round(sr / f0))] = 1.0
    a = np.exp(-2 * np.pi * 100 / sr)
    x = lfilter([1.0], [1.0, -a], x)  # source tilt
    for f, b in zip(tuple(formants) + HIGH_POLES, BANDWIDTHS):
        if f >= sr / 2:
            continue
        r, th = np.exp(-np.pi * b / sr), 2 * np.pi * f / sr
        x = lfilter([1 - 2 * r * np.cos(th) + r * r], [1.0, -2 * r * np.cos(th), r * r], x)
    x = x / np.abs(x).max() + 1e-3 * np.random.default_rng(seed).standard_normal(n)
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, sr: int, fmt: str = "WAV") -> Path:
    """16-bit PCM; ``fmt="NIST"`` writes a NIST SPHERE header like TIMIT's original .WAV files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), audio, sr, format=fmt, subtype="PCM_16")
    return path


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def audio() -> SimpleNamespace:
    """The helpers above, as a fixture (test modules cannot import conftest portably)."""
    return SimpleNamespace(vowel=vowel, write_wav=write_wav, write_text=write_text)


@pytest.fixture
def timit_tree(tmp_path: Path) -> Path:
    """A two-speaker TIMIT-like tree at 16 kHz: DR1/FCJF0/SA1 and DR1/MDAB0/SX1 (NIST .WAV + .PHN)."""
    root = tmp_path / "TIMIT"
    sr = 16000
    write_wav(root / "DR1/FCJF0/SA1.WAV", vowel(f0=210, sr=sr, dur=0.5), sr, "NIST")
    write_text(root / "DR1/FCJF0/SA1.PHN",
               "0 1600 h#\n1600 3200 ix\n3200 4000 pcl\n4000 6400 AA1\n6400 6560 iy\n6560 8000 h#\n")
    write_wav(root / "DR1/MDAB0/SX1.WAV", vowel(sr=sr, dur=0.4, seed=1), sr, "NIST")
    write_text(root / "DR1/MDAB0/SX1.PHN", "0 1600 h#\n1600 4800 s\n4800 6400 ux\n")
    return root
