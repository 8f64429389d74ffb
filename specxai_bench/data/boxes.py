"""Time x frequency boxes on the image grid: the one map from a time to an image column, and box masks.

Each segment is stretched to the image width W whatever its duration (:mod:`.spectrogram`), so
the column of a time t (seconds from the segment's start) is ``t / duration * W``: column j
covers [j, j + 1) in those units and its centre j + 0.5 is the time (j + 0.5) / W * duration,
the time :meth:`Tracks.resample` gives column j. Rows go through the :class:`FrequencyAxis`.

A box is (t0, t1, low, high): seconds and Hz (``BOX_FIELDS``). The tf-shortcut task stores the
cue's and the decoy's box per sample (:func:`.shortcut.cue_boxes`); the ground-truth metrics
(:mod:`specxai_bench.metrics.ground_truth`) score maps against :func:`box_mask`.
"""

from __future__ import annotations

import numpy as np

from .spectrogram import FrequencyAxis

BOX_FIELDS = ("t0_s", "t1_s", "low_hz", "high_hz")


def time_to_column(t: float | np.ndarray, duration: float | np.ndarray, width: int) -> np.ndarray:
    """The (fractional) image column of time ``t`` in a segment of ``duration`` seconds stretched to ``width``."""
    return np.asarray(t, dtype=np.float64) / np.asarray(duration, dtype=np.float64) * width


def box_mask(boxes: np.ndarray, durations: np.ndarray, axis: FrequencyAxis, width: int, *,
             margin_hz: float = 0.0, margin_s: float = 0.0) -> np.ndarray:
    """Boolean [B, H, W]: the cells of each sample's box, widened by the margins.

    Row i is in iff its centre f(i) lies in [low - margin_hz, high + margin_hz]; column j is in iff
    its centre j + 0.5 lies in [column(t0 - margin_s), column(t1 + margin_s)] (both inclusive, as
    the formant and planted-band masks). ``boxes`` is [B, 4] (``BOX_FIELDS``); a box with a NaN
    gives an empty mask (no cue in that sample).
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    durations = np.asarray(durations, dtype=np.float64).reshape(-1)
    if len(durations) != len(boxes):
        raise ValueError(f"need one duration per box, got {len(durations)} for {len(boxes)}")
    centres = axis.centres()[None, :]
    cols = np.arange(width)[None, :] + 0.5
    with np.errstate(invalid="ignore"):
        rows = (centres >= boxes[:, 2:3] - margin_hz) & (centres <= boxes[:, 3:4] + margin_hz)
        first = time_to_column(boxes[:, 0:1] - margin_s, durations[:, None], width)
        last = time_to_column(boxes[:, 1:2] + margin_s, durations[:, None], width)
        columns = (cols >= first) & (cols <= last)
    return rows[:, :, None] & columns[:, None, :]
