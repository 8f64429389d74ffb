"""Report figures: attribution overlays with formant tracks, band-mass profiles, confusion matrices.

Matplotlib's object API on the Agg canvas (no pyplot state, no display needed). Row 0 of every
image is the lowest frequency, so images are drawn with ``origin="lower"`` and the y axis in Hz
from the image's FrequencyAxis. Output is deterministic: fixed dpi and size, ``svg.hashsalt``
set, PDF metadata without a creation date, PNG metadata without a software version.

Legibility: 150 dpi, no text below 9 pt, a colour bar for every colour scale, time in
milliseconds (each segment's own duration: images stretch every segment to the same width), and
tracks in light colours with a dark outline, so they stay visible on the grey spectrogram and on
the inferno map alike.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from ..data.spectrogram import FrequencyAxis

if TYPE_CHECKING:
    import pandas as pd

DPI = 150
FONT_PT = 9  # the smallest text in any figure
F0_BAND_HZ = 700.0
HIGH_BAND_HZ = 4000.0  # high_band_share's cut-off, drawn on full-band images
TRACK_COLOURS = ("#00e5ff", "#76ff03", "#ff4081")  # F1, F2, F3: light, outlined in black (OUTLINE)
F0_COLOUR, BAND_COLOUR = "#ffffff", "#ffd600"
OUTLINE = [patheffects.withStroke(linewidth=2.6, foreground="black")]
MAP_CMAP, IMAGE_CMAP = "inferno", "gray"
RC = {"svg.hashsalt": "specxai-bench", "font.size": FONT_PT, "axes.titlesize": FONT_PT + 1,
      "axes.labelsize": FONT_PT, "xtick.labelsize": FONT_PT, "ytick.labelsize": FONT_PT,
      "legend.fontsize": FONT_PT, "figure.titlesize": FONT_PT + 2, "pdf.fonttype": 42}


@dataclass(frozen=True)
class Examples:
    """A few test samples of one task and model, with the map each method gives each of them."""

    task: str
    kind: str  # "vowel" (formant prior) or "voicing" (F0-band prior)
    class_names: tuple[str, ...]
    images: np.ndarray  # [N, H, W] in [0, 1], row 0 = lowest frequency
    classes: np.ndarray  # [N] true class index
    f0: np.ndarray  # [N, W] Hz, NaN where unvoiced
    formants: np.ndarray  # [N, W, 3] Hz, NaN where undefined
    axis: FrequencyAxis
    maps: dict[str, np.ndarray]  # method label -> [N, H, W]
    baselines: frozenset[str] = frozenset()
    durations: np.ndarray | None = None  # [N] seconds each image's width spans (None: unknown, columns shown)
    top_db: float = 80.0  # image value 0 = -top_db dB re the image's maximum, 1 = 0 dB

    def time_extent(self, i: int) -> tuple[float, float, str]:
        """(start, end, unit label) of sample ``i``'s time axis: milliseconds when its duration is known."""
        if self.durations is None:
            return 0.0, float(self.images.shape[-1]), "time column"
        return 0.0, float(self.durations[i]) * 1000.0, "time (ms)"


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """Render ``fig`` as PNG or PDF bytes, the same bytes for the same figure."""
    FigureCanvasAgg(fig)
    meta = {"png": {"Software": None}, "pdf": {"CreationDate": None, "ModDate": None, "Producer": None,
                                               "Creator": None}}[fmt]
    buf = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format=fmt, dpi=DPI, metadata=meta)
    return buf.getvalue()


def figure_files(fig: Figure, stem: Path) -> dict[Path, bytes]:
    """{stem.png: ..., stem.pdf: ...} for an atomic write by the caller."""
    return {stem.with_suffix(f".{fmt}"): figure_bytes(fig, fmt) for fmt in ("png", "pdf")}


def _new_figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(RC):
        return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def example_index(classes: np.ndarray, n_classes: int) -> list[int]:
    """The first example of each class present, in class order."""
    return [int(np.flatnonzero(classes == c)[0]) for c in range(n_classes) if (classes == c).any()]


def _tracks(ax: object, ex: Examples, i: int) -> None:
    """F1-F3 (dashed) and F0 (solid) tracks at the column centres, and the band lines of the task's prior:
    700 Hz (the F0 band) on the voicing task, 4 kHz (high-band share) on a full-band image."""
    t0, t1, _ = ex.time_extent(i)
    w = ex.images.shape[-1]
    t = t0 + (np.arange(w) + 0.5) * (t1 - t0) / w
    for k, colour in enumerate(TRACK_COLOURS):
        ax.plot(t, ex.formants[i, :, k], color=colour, lw=1.3, ls="--", label=f"F{k + 1}", path_effects=OUTLINE)
    if np.isfinite(ex.f0[i]).any():
        ax.plot(t, ex.f0[i], color=F0_COLOUR, lw=1.3, label="F0", path_effects=OUTLINE)
    if ex.kind == "voicing":
        ax.axhline(F0_BAND_HZ, color=BAND_COLOUR, lw=1.3, ls="-.", label=f"{F0_BAND_HZ:.0f} Hz",
                   path_effects=OUTLINE)
    elif ex.axis.fmax > HIGH_BAND_HZ:
        ax.axhline(HIGH_BAND_HZ, color=BAND_COLOUR, lw=1.3, ls="-.", label=f"{HIGH_BAND_HZ / 1000:.0f} kHz",
                   path_effects=OUTLINE)


def overlay_figure(ex: Examples) -> Figure:
    """Rows: one example per class; columns: the spectrogram, then each method's A+ over it, with colour
    bars for the spectrogram's level (dB) and the map (A+ / its maximum)."""
    with matplotlib.rc_context(RC):
        rows = example_index(ex.classes, len(ex.class_names))
        methods = list(ex.maps)
        fig = _new_figure(max(6.5, 2.2 * (1 + len(methods)) + 1.6), 1.9 * len(rows) + 1.2)
        axes = fig.subplots(len(rows), 1 + len(methods), squeeze=False, sharey=True)
        grey = Normalize(-ex.top_db, 0.0)
        for r, i in enumerate(rows):
            t0, t1, unit = ex.time_extent(i)
            extent = (t0, t1, ex.axis.fmin, ex.axis.fmax)
            for c, name in enumerate(["spectrogram", *methods]):
                ax = axes[r, c]
                ax.imshow(ex.images[i] * ex.top_db - ex.top_db, origin="lower", aspect="auto", extent=extent,
                          cmap=IMAGE_CMAP, norm=grey, interpolation="nearest")
                if name != "spectrogram":
                    pos = np.maximum(ex.maps[name][i], 0)
                    top = pos.max()
                    ax.imshow(pos / top if top > 0 else pos, origin="lower", aspect="auto", extent=extent,
                              cmap=MAP_CMAP, alpha=0.6, vmin=0, vmax=1, interpolation="nearest")
                _tracks(ax, ex, i)
                ax.set_xlim(t0, t1)
                ax.set_ylim(ex.axis.fmin, ex.axis.fmax)
                if r == 0:
                    ax.set_title(name + (" (baseline)" if name in ex.baselines else ""))
                if c == 0:
                    ax.set_ylabel(f"{ex.class_names[ex.classes[i]]}\nHz")
                if r == len(rows) - 1:
                    ax.set_xlabel(unit)
        fig.colorbar(ScalarMappable(grey, IMAGE_CMAP), ax=axes[:, 0].tolist(), location="left", shrink=0.8,
                     label="spectrogram, dB re max")
        if methods:
            fig.colorbar(ScalarMappable(Normalize(0, 1), MAP_CMAP), ax=axes[:, 1:].ravel().tolist(), shrink=0.8,
                         label="A+ / its max (60 % opaque)")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)
        fig.suptitle(f"{ex.task}: A+ over the spectrogram, one test sample per class, with the true tracks")
    return fig


def band_profile(maps: np.ndarray) -> np.ndarray:
    """Mean over samples of each map's A+ row profile, each profile scaled to sum to the number of
    rows (so a uniform map is 1 everywhere); samples with no positive mass are left out."""
    pos = np.maximum(np.asarray(maps, dtype=np.float64), 0).sum(-1)  # [N, H]
    total = pos.sum(-1, keepdims=True)
    keep = total[:, 0] > 0
    if not keep.any():
        return np.full(pos.shape[-1], np.nan)
    return (pos[keep] / total[keep]).mean(0) * pos.shape[-1]


def band_profile_figure(ex: Examples) -> Figure:
    """One panel per class: attribution mass by frequency for each method; formant means marked."""
    with matplotlib.rc_context(RC):
        present = [c for c in range(len(ex.class_names)) if (ex.classes == c).any()]
        fig = _new_figure(max(6.5, 2.8 * len(present) + 0.6), 3.2)
        axes = fig.subplots(1, len(present), squeeze=False, sharey=True)[0]
        hz = ex.axis.centres()
        for ax, c in zip(axes, present):
            sel = ex.classes == c
            for name, maps in ex.maps.items():
                base = name in ex.baselines
                ax.plot(hz, band_profile(maps[sel]), lw=0.9 if base else 1.3, ls="--" if base else "-",
                        label=name + (" (baseline)" if base else ""))
            _mark_prior(ax, ex, sel)
            ax.set_title(f"{ex.class_names[c]} (n={int(sel.sum())})")
            ax.set_xlabel("Hz")
            ax.set_xlim(ex.axis.fmin, ex.axis.fmax)
        axes[0].set_ylabel("A+ mass per row / uniform")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4), frameon=False)
        fig.suptitle(f"{ex.task}: A+ mass by frequency (mean over the examples; uniform = 1)")
    return fig


def _mark_prior(ax: object, ex: Examples, sel: np.ndarray) -> None:
    """Vertical lines at the class's mean F1-F3; the F0 band shaded on the voicing task."""
    ax.axhline(1.0, color="grey", lw=0.5)
    for k, colour in enumerate(TRACK_COLOURS):
        vals = ex.formants[sel, :, k]
        if np.isfinite(vals).any():
            mean = float(np.nanmean(vals))
            ax.axvline(mean, color=colour, lw=1.3, ls=":", path_effects=OUTLINE)
            ax.annotate(f"F{k + 1}", (mean, 0.98), xycoords=("data", "axes fraction"), ha="left", va="top")
    if ex.kind == "voicing":
        ax.axvspan(ex.axis.fmin, F0_BAND_HZ, color="#ffd600", alpha=0.2, lw=0, label=f"< {F0_BAND_HZ:.0f} Hz")


def confusion_matrix(true: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts [true, predicted]."""
    idx = np.asarray(true, np.int64) * n_classes + np.asarray(pred, np.int64)
    return np.bincount(idx, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def confusion_figure(cm: np.ndarray, class_names: tuple[str, ...], title: str) -> Figure:
    """Counts with their numbers written in; rows are the true class, columns the prediction."""
    with matplotlib.rc_context(RC):
        n = len(class_names)
        fig = _new_figure(0.6 * n + 2.8, 0.6 * n + 1.8)
        ax = fig.subplots()
        im = ax.imshow(cm, cmap="Blues", vmin=0, vmax=max(int(cm.max()), 1))
        for (i, j), v in np.ndenumerate(cm):
            ax.text(j, i, str(int(v)), ha="center", va="center", color="white" if v > cm.max() / 2 else "black")
        fig.colorbar(im, ax=ax, label="test samples")
        ax.set_xticks(range(n), class_names, rotation=45 if n > 3 else 0)
        ax.set_yticks(range(n), class_names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        acc = np.trace(cm) / max(int(cm.sum()), 1)
        ax.set_title(f"{title}\naccuracy {acc:.3f} (n={int(cm.sum())})")
    return fig


CASCADE_COLUMNS = ("task", "model", "target_mode", "method", "method_options", "similarity", "stage", "stage_index",
                   "mean", "ci_low", "ci_high", "n", "speakers")


def cascade_figure(frame: "pd.DataFrame", title: str = "") -> Figure:
    """Adebayo et al. (2018)'s cascading randomisation curves: similarity of each method's map on the trained
    model to its map after the layers from the logits down to each stage are re-initialised (x, in cascade
    order), mean with its 95 % CI band; one panel per similarity measure, one line per method. A map that
    stays similar as the model is destroyed does not depend on what the model learned.

    ``frame`` has one row per (method, options, target mode, similarity, stage): the columns of
    :data:`CASCADE_COLUMNS` (``results.aggregate.cascade_frame``), already restricted to one task and model.
    """
    missing = [c for c in CASCADE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"cascade frame lacks column(s) {', '.join(missing)}")
    with matplotlib.rc_context(RC):
        measures = sorted(frame["similarity"].unique())
        fig = _new_figure(max(6.5, 4.2 * len(measures) + 0.6), 3.8)
        axes = fig.subplots(1, len(measures), squeeze=False, sharey=True)[0]
        stages = frame.drop_duplicates("stage_index").sort_values("stage_index")
        modes = frame["target_mode"].nunique() > 1
        for ax, measure in zip(axes, measures):
            part = frame[frame["similarity"] == measure]
            for (method, options, mode), g in part.groupby(["method", "method_options", "target_mode"], sort=True):
                g = g.sort_values("stage_index")
                variants = part.loc[part["method"] == method, "method_options"].nunique()
                label = method + (f" {options}" if variants > 1 else "") + (f" [{mode}]" if modes else "")
                line, = ax.plot(g["stage_index"], g["mean"], marker="o", ms=3.5, lw=1.4, label=label)
                ax.fill_between(g["stage_index"], g["ci_low"], g["ci_high"], color=line.get_color(), alpha=0.18,
                                lw=0)
            ax.set_xticks(stages["stage_index"], stages["stage"], rotation=45, ha="right")
            ax.set_title(f"similarity: {measure}")
            ax.set_xlabel("randomised from the logits down to")
            ax.axhline(0.0, color="grey", lw=0.6)
        axes[0].set_ylabel("similarity to the trained model's map")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right center", frameon=False)
        fig.suptitle(title or "cascading model-parameter randomisation (mean, 95 % CI)")
    return fig
