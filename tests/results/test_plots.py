"""Report figures on small synthetic inputs: orientation, tracks, profiles, counts, determinism."""

from __future__ import annotations

import dataclasses

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
                          frozenset({"uniform"}), durations=np.array([0.1, 0.25, 0.1, 0.25]))


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


def test_overlay_has_low_frequencies_at_the_bottom_the_tracks_ms_and_colour_bars():
    fig = plots.overlay_figure(examples())
    ax = fig.axes[1]  # first method column of the first class (sample 0: 100 ms)
    base, overlay = ax.images
    assert base.origin == overlay.origin == "lower"
    assert base.get_extent() == [0.0, 100.0, 0.0, 4000.0] and ax.get_ylim() == (0.0, 4000.0)
    assert fig.axes[3].get_xlim() == (0.0, 250.0) and fig.axes[3].get_xlabel() == "time (ms)"  # sample 1: 250 ms
    tracks = {line.get_label(): line for line in ax.lines}
    assert set(tracks) == {"F1", "F2", "F3", "F0"}
    assert np.nanmax(tracks["F2"].get_ydata()) == 1500.0 and np.isnan(tracks["F2"].get_ydata()[:2]).all()
    assert tracks["F2"].get_xdata()[0] == pytest.approx(100.0 / W / 2)  # column centres, in ms
    assert all(line.get_path_effects() for line in tracks.values())  # outlined: visible on any colour
    assert fig.axes[2].get_title() == "uniform (baseline)"
    bars = [a.get_ylabel() for a in fig.axes if a.get_label() == "<colorbar>"]
    assert bars == ["spectrogram, dB re max", "A+ / its max (60 % opaque)"]


def test_figures_are_legible():
    """150 dpi or more, no text smaller than 9 pt (titles, labels, ticks, legends, cell numbers)."""
    cm = plots.confusion_figure(np.array([[2, 1], [0, 3]]), ("a", "b"), "t")
    frame = cascade_frame_example()
    for fig in (plots.overlay_figure(examples("voicing")), plots.band_profile_figure(examples()), cm,
                plots.cascade_figure(frame)):
        png = plots.figure_bytes(fig, "png")  # draws it
        width = int.from_bytes(png[16:20], "big")  # the PNG header's pixel width
        assert plots.DPI >= 150 and width == round(fig.get_figwidth() * plots.DPI)
        texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
                 if t.get_text()]
        assert texts and min(t.get_fontsize() for t in texts) >= 9


def cascade_frame_example():
    import pandas as pd

    rows = []
    for method, start in (("cam", 0.9), ("input_energy", 1.0)):
        for measure in ("spearman", "ssim"):
            for k, stage in enumerate(["fc", "layer4", "layer3", "conv1"]):
                mean = start if method == "input_energy" else start - 0.25 * k
                rows.append(dict(task="vowel5", model="m", target_mode="true", method=method, method_options="{}",
                                 similarity=measure, stage=stage, stage_index=k, mean=mean, ci_low=mean - 0.05,
                                 ci_high=mean + 0.05, n=40, speakers=8, seeds_sd=0.01))
    return pd.DataFrame(rows)


def test_cascade_figure_draws_one_curve_per_method_and_panel():
    frame = cascade_frame_example()
    fig = plots.cascade_figure(frame)
    panels = [a for a in fig.axes if a.get_title().startswith("similarity")]
    assert [a.get_title() for a in panels] == ["similarity: spearman", "similarity: ssim"]
    curves = {line.get_label(): line for line in panels[0].lines if not line.get_label().startswith("_")}
    assert set(curves) == {"cam", "input_energy"}
    assert list(curves["cam"].get_ydata()) == pytest.approx([0.9, 0.65, 0.4, 0.15])  # in cascade order
    assert [t.get_text() for t in panels[0].get_xticklabels()] == ["fc", "layer4", "layer3", "conv1"]
    assert len(panels[0].collections) == 2  # a CI band per method
    with pytest.raises(ValueError, match="stage_index"):
        plots.cascade_figure(frame.drop(columns="stage_index"))


def test_voicing_figures_mark_the_f0_band():
    ex = examples("voicing")
    ax = plots.overlay_figure(ex).axes[0]
    assert any(np.allclose(line.get_ydata(), 700.0) for line in ax.lines if line.get_label() == "700 Hz")
    full_band = dataclasses.replace(examples(), axis=FrequencyAxis(0.0, 8000.0, H))  # vowel5: the 4 kHz line
    assert any(line.get_label() == "4 kHz" for line in plots.overlay_figure(full_band).axes[0].lines)
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
