"""The column-to-time map and the box masks: hand-counted rows and columns, on both band limits."""

from __future__ import annotations

import numpy as np
import pytest

from specxai_bench.data.boxes import box_mask, time_to_column
from specxai_bench.data.corpora.base import Tracks
from specxai_bench.data.shortcut import ShortcutSpec, cue_boxes, plant
from specxai_bench.data.spectrogram import FrequencyAxis, SpectrogramConfig, spectrogram_image

FULL, LIMITED = FrequencyAxis(0.0, 11025.0, 224), FrequencyAxis(0.0, 4000.0, 224)


def rows_cols(mask: np.ndarray) -> tuple[list[int], list[int]]:
    rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
    assert mask[np.ix_(rows, cols)].all() and mask.sum() == len(rows) * len(cols)  # one rectangle
    return [int(rows[0]), int(rows[-1])], [int(cols[0]), int(cols[-1])]


@pytest.mark.parametrize("axis, rows", [
    # row centres (i + 0.5) x 49.22 Hz in [3000, 3300]: i = ceil(60.45) .. floor(66.55)
    (FULL, [61, 66]),
    # row centres (i + 0.5) x 17.857 Hz in [3000, 3300]: i = ceil(167.5) .. floor(184.3)
    (LIMITED, [168, 184]),
])
def test_cue_box_maps_to_the_hand_counted_rows_and_columns(axis, rows):
    # 50-90 ms of a 200 ms segment on 224 columns: c(t) = t / 0.2 x 224 = 56 .. 100.8, so the columns
    # whose centre j + 0.5 lies in [56, 100.8] are 56 .. 100
    box = np.array([[0.05, 0.09, 3000.0, 3300.0]])
    assert rows_cols(box_mask(box, [0.2], axis, 224)[0]) == (rows, [56, 100])
    # margins widen both sides: 10 ms = 11.2 columns (44.8 .. 112 -> 45 .. 111); 100 Hz on the rows
    wide = box_mask(box, [0.2], axis, 224, margin_hz=100.0, margin_s=0.01)[0]
    r, c = rows_cols(wide)
    assert c == [45, 111]
    centres = axis.centres()
    assert centres[r[0]] >= 2900 > centres[r[0] - 1] and centres[r[1]] <= 3400 < centres[r[1] + 1]


def test_columns_follow_the_tracks_column_times():
    """Column j's centre time is (j + 0.5) / W x duration, the time Tracks.resample gives column j."""
    dur, w = 0.173, 64
    times = Tracks(np.array([0.0, dur]), np.zeros(2), np.zeros((2, 3)), "truth").resample(w, dur).times
    np.testing.assert_allclose(time_to_column(times, dur, w), np.arange(w) + 0.5)
    one = np.array([[times[10], times[10], 0.0, 11025.0]])  # a box of zero length at column 10's centre
    assert rows_cols(box_mask(one, [dur], FULL.rescaled(8), w)[0])[1] == [10, 10]


def test_a_nan_box_is_empty_and_shapes_are_checked():
    boxes = np.array([[0.05, 0.09, 3000.0, 3300.0], [np.nan] * 4])
    mask = box_mask(boxes, [0.2, 0.2], FULL, 224)
    assert mask.shape == (2, 224, 224) and mask[0].any() and not mask[1].any()
    with pytest.raises(ValueError, match="one duration per box"):
        box_mask(boxes, [0.2], FULL, 224)


@pytest.mark.parametrize("fmax", [None, 4000.0])
def test_a_planted_burst_shows_inside_its_box(small_corpus, fmax):
    """Render a burst below 4 kHz on the full band and on a 0-4 kHz image: what it adds lies in its box
    widened by the STFT window's spread (the metrics' default margins), most of it in the box itself."""
    spec = ShortcutSpec((3000.0,), width_hz=300.0, level_db=-10.0, burst_ms=40.0, decoy_hz=None)
    cfg = SpectrogramConfig(image_size=224, fmax=fmax)
    for seg in [s for s in small_corpus.segments if s.label == "aa"][:3]:
        img, axis = spectrogram_image(plant(seg, spec, 0, seed=0), cfg)
        plain, _ = spectrogram_image(plant(seg, spec, 0, seed=0, cue=False), cfg)
        added = np.clip(img - plain, 0, None)
        box = cue_boxes(seg, spec, 0, seed=0)[:1]
        inside = box_mask(box, [seg.duration], axis, 224)[0]
        widened = box_mask(box, [seg.duration], axis, 224, margin_hz=100.0, margin_s=0.010)[0]
        assert widened[np.unravel_index(np.argmax(added), added.shape)]
        assert added[widened].sum() / added.sum() > 0.9 and added[inside].sum() / added.sum() > 0.55
