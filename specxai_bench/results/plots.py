"""Report figures: attribution overlays with formant tracks, band-mass profiles, confusion matrices.

Matplotlib's object API on the Agg canvas (no pyplot state, no display needed). Row 0 of every
image is the lowest frequency, so images are drawn with ``origin="lower"`` and the y axis in Hz
from the image's FrequencyAxis. Output is deterministic: fixed dpi and size, ``svg.hashsalt``
set, PDF metadata without a creation date, PNG metadata without a software version.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..data.spectrogram import FrequencyAxis

DPI = 110
F0_BAND_HZ = 700.0
TRACK_COLOURS = ("#00e5ff", "#76ff03", "#ff4081")  # F1, F2, F3: visible on grey and on inferno
RC = {"svg.hashsalt": "specxai-bench", "font.size": 7, "axes.titlesize": 7, "pdf.fonttype": 42}


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
    """F1-F3 tracks at the column centres; the 700 Hz F0-band line on the voicing task."""
    cols = np.arange(ex.images.shape[-1]) + 0.5
    for k, colour in enumerate(TRACK_COLOURS):
        ax.plot(cols, ex.formants[i, :, k], color=colour, lw=0.9, ls="--", label=f"F{k + 1}")
    if ex.kind == "voicing":
        ax.axhline(F0_BAND_HZ, color="#ff9100", lw=1.0, ls=":", label=f"{F0_BAND_HZ:.0f} Hz")
        ax.plot(cols, ex.f0[i], color="#ffd600", lw=0.9, label="F0")


def overlay_figure(ex: Examples) -> Figure:
    """Rows: one example per class; columns: the spectrogram, then each method's A+ over it."""
    with matplotlib.rc_context(RC):
        rows = example_index(ex.classes, len(ex.class_names))
        methods = list(ex.maps)
        fig = _new_figure(max(5.0, 1.6 * (1 + len(methods)) + 0.4), 1.5 * len(rows) + 0.5)
        axes = fig.subplots(len(rows), 1 + len(methods), squeeze=False, sharex=True, sharey=True)
        extent = (0, ex.images.shape[-1], ex.axis.fmin, ex.axis.fmax)
        for r, i in enumerate(rows):
            for c, name in enumerate(["spectrogram", *methods]):
                ax = axes[r, c]
                ax.imshow(ex.images[i], origin="lower", aspect="auto", extent=extent, cmap="gray",
                          interpolation="nearest")
                if name != "spectrogram":
                    pos = np.maximum(ex.maps[name][i], 0)
                    top = pos.max()
                    ax.imshow(pos / top if top > 0 else pos, origin="lower", aspect="auto", extent=extent,
                              cmap="inferno", alpha=0.6, vmin=0, vmax=1, interpolation="nearest")
                _tracks(ax, ex, i)
                ax.set_ylim(ex.axis.fmin, ex.axis.fmax)
                if r == 0:
                    ax.set_title(name + (" (baseline)" if name in ex.baselines else ""))
                if c == 0:
                    ax.set_ylabel(f"{ex.class_names[ex.classes[i]]}\nHz")
                if r == len(rows) - 1:
                    ax.set_xlabel("time column")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=6, frameon=False)
        fig.suptitle(f"{ex.task}: A+ (max 1) over the spectrogram, with the true tracks")
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
        fig = _new_figure(max(5.0, 2.3 * len(present) + 0.4), 2.4)
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
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4), fontsize=6, frameon=False)
        fig.suptitle(f"{ex.task}: A+ mass by frequency (mean over the examples; uniform = 1)")
    return fig


def _mark_prior(ax: object, ex: Examples, sel: np.ndarray) -> None:
    """Vertical lines at the class's mean F1-F3; the F0 band shaded on the voicing task."""
    ax.axhline(1.0, color="grey", lw=0.5)
    for k, colour in enumerate(TRACK_COLOURS):
        vals = ex.formants[sel, :, k]
        if np.isfinite(vals).any():
            mean = float(np.nanmean(vals))
            ax.axvline(mean, color=colour, lw=1.0, ls=":")
            ax.annotate(f"F{k + 1}", (mean, 0.98), xycoords=("data", "axes fraction"), fontsize=6,
                        ha="left", va="top")
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
        fig = _new_figure(0.45 * n + 1.8, 0.45 * n + 1.4)
        ax = fig.subplots()
        ax.imshow(cm, cmap="Blues", vmin=0, vmax=max(int(cm.max()), 1))
        for (i, j), v in np.ndenumerate(cm):
            ax.text(j, i, str(int(v)), ha="center", va="center", fontsize=6,
                    color="white" if v > cm.max() / 2 else "black")
        ax.set_xticks(range(n), class_names, rotation=45 if n > 3 else 0)
        ax.set_yticks(range(n), class_names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        acc = np.trace(cm) / max(int(cm.sum()), 1)
        ax.set_title(f"{title}\naccuracy {acc:.3f} (n={int(cm.sum())})")
    return fig
