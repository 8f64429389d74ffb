"""Report figures on small synthetic inputs: orientation, tracks, profiles, counts, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.results import plots

H = W = 16
AXIS = FrequencyAxis(0.0, 4000.0, H)


def examples(kind: str = "vowel") -> plots.Examples:
    rng = np.random.default_rng(0)
    n = 4
    formants = np.tile(np.array([500.0, 1500.0, 2500.0]), (n, W, 1))
    formants[:, :2] = np.nan  # undefined at the edges: gaps in the line, no error
    maps = {"cam": rng.random((n, H, W)) - 0.2, "uniform": np.ones((n, H, W))}
    return plots.Examples("vowel5-4k" if kind == "vowel" else "voicing", kind, ("a", "b"), rng.random((n, H, W)),
                          np.array([0, 1, 0, 1]), np.full((n, W), 120.0), formants, AXIS, maps,
                          frozenset({"uniform"}))


def test_band_profile_is_normalised_per_sample():
    uniform = np.ones((3, H, W))
    assert np.allclose(plots.band_profile(uniform), 1.0)
    peak = np.zeros((2, H, W))
    peak[0, 3] = 5.0  # all mass in row 3 ...
    peak[1, 3, 0] = 1.0  # ... whatever its scale
    prof = plots.band_profile(peak)
    assert prof[3] == pytest.approx(H) and np.allclose(np.delete(prof, 3), 0.0)
    mixed = np.concatenate([peak[:1], -np.ones((1, H, W))])  # a map with no positive mass is left out
    assert np.allclose(plots.band_profile(mixed), prof)
    assert np.isnan(plots.band_profile(-np.ones((1, H, W)))).all()


def test_confusion_matrix_counts():
    cm = plots.confusion_matrix(np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 2, 0]), 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]


def test_overlay_has_low_frequencies_at_the_bottom_and_the_tracks():
    fig = plots.overlay_figure(examples())
    ax = fig.axes[1]  # first method column of the first class
    base, overlay = ax.images
    assert base.origin == overlay.origin == "lower"
    assert base.get_extent() == [0, W, 0.0, 4000.0] and ax.get_ylim() == (0.0, 4000.0)
    tracks = {line.get_label(): line.get_ydata() for line in ax.lines}
    assert set(tracks) == {"F1", "F2", "F3"}
    assert np.nanmax(tracks["F2"]) == 1500.0 and np.isnan(tracks["F2"][:2]).all()
    assert fig.axes[2].get_title() == "uniform (baseline)"


def test_voicing_figures_mark_the_f0_band():
    ex = examples("voicing")
    ax = plots.overlay_figure(ex).axes[0]
    assert any(np.allclose(line.get_ydata(), 700.0) for line in ax.lines if line.get_label() == "700 Hz")
    bands = plots.band_profile_figure(ex).axes[0]
    assert any(p.get_label() == "< 700 Hz" for p in bands.patches)


def test_figures_are_byte_deterministic():
    ex = examples()
    for make in (plots.overlay_figure, plots.band_profile_figure):
        for fmt in ("png", "pdf"):
            assert plots.figure_bytes(make(ex), fmt) == plots.figure_bytes(make(ex), fmt)
    cm = plots.confusion_figure(np.array([[2, 1], [0, 3]]), ("a", "b"), "t")
    pdf = plots.figure_bytes(cm, "pdf")
    assert b"CreationDate" not in pdf and pdf.startswith(b"%PDF")
    assert plots.figure_bytes(cm, "png").startswith(b"\x89PNG")
