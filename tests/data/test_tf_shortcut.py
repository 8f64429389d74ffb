"""The tf-shortcut task: bursts at random times, the decoy, boxes per sample, leaving one burst out."""

from __future__ import annotations

import numpy as np
import pytest

from specxai_bench.data.cache import load_splits, save_splits
from specxai_bench.data.datasets import build_task_data
from specxai_bench.data.shortcut import burst_onsets, cue_boxes, plant
from specxai_bench.data.splits import select_segments
from specxai_bench.data.tasks import TASKS, get_task, resolve_tasks

TASK = get_task("tf-shortcut")
SPEC = TASK.shortcut


def test_task_is_registered_with_a_decoy_band_no_class_uses():
    assert TASK.kind == "tf-shortcut" and TASK.fmax is None and len(TASK.classes) == 5
    assert "tf-shortcut" not in TASKS and "tf-shortcut" not in [t.name for t in resolve_tasks("all")]
    assert SPEC.timed and 10 <= SPEC.burst_ms < 100 and min(SPEC.centres_hz) > 4000
    half = SPEC.width_hz / 2
    bands = [(c - half, c + half) for c in SPEC.centres_hz]
    lo, hi = SPEC.decoy_hz - half, SPEC.decoy_hz + half
    assert all(hi + 100 < b_lo or lo - 100 > b_hi for b_lo, b_hi in bands)  # apart by more than the margins
    SPEC.check_sample_rate(22050)


def test_the_steady_shortcut_spec_keeps_its_hash_fields():
    """The burst fields enter a spec's dict only when it is timed: the shortcut task's models and caches
    keep the names they had before tf-shortcut existed."""
    assert set(get_task("shortcut").shortcut.as_dict()) == {"centres_hz", "width_hz", "level_db"}
    assert {"burst_ms", "decoy_hz", "ramp_ms"} <= set(SPEC.as_dict())


def test_bursts_lie_inside_the_segment_and_apart_in_time(small_corpus):
    segs = [s for s in small_corpus.segments if s.label in TASK.label_map]
    starts = []
    for seg in segs:
        boxes = cue_boxes(seg, SPEC, 3, seed=0)
        (c0, c1, clo, chi), (d0, d1, dlo, dhi) = boxes
        assert 0 <= c0 < c1 <= seg.duration + 1e-12 and 0 <= d0 < d1 <= seg.duration + 1e-12
        assert c1 - c0 == pytest.approx(min(SPEC.burst_ms / 1000, seg.duration))
        assert (clo + chi) / 2 == SPEC.centres_hz[3] and (dlo + dhi) / 2 == SPEC.decoy_hz
        if seg.duration >= 2 * SPEC.burst_ms / 1000:
            assert d1 <= c0 + 1e-12 or d0 >= c1 - 1e-12  # no overlap in time when there is room
        starts.append(c0 / (seg.duration - (c1 - c0)))
        assert burst_onsets(seg, SPEC, 0) == burst_onsets(seg, SPEC, 0) != burst_onsets(seg, SPEC, 1)
    assert np.std(starts) > 0.2  # onsets spread over the segment (uniform: sd 0.29)


def test_leaving_a_burst_out_changes_exactly_that_burst(small_corpus):
    seg = next(s for s in small_corpus.segments if s.label == "ae")
    sr = seg.sample_rate
    full = plant(seg, SPEC, 1, seed=0).audio.astype(np.float64)
    no_cue = plant(seg, SPEC, 1, seed=0, cue=False).audio.astype(np.float64)
    no_decoy = plant(seg, SPEC, 1, seed=0, decoy=False).audio.astype(np.float64)
    np.testing.assert_array_equal(plant(seg, SPEC, 1, seed=0, cue=False, decoy=False).audio, seg.audio)
    (c0, c1, *_), (d0, d1, *_) = cue_boxes(seg, SPEC, 1, seed=0)
    t = np.arange(len(full)) / sr
    in_cue, in_decoy = (t >= c0 - 1 / sr) & (t < c1 + 1 / sr), (t >= d0 - 1 / sr) & (t < d1 + 1 / sr)
    assert np.abs(full - no_cue)[~in_cue].max() < 1e-6 and np.abs(full - no_cue)[in_cue].max() > 1e-3
    assert np.abs(full - no_decoy)[~in_decoy].max() < 1e-6 and np.abs(full - no_decoy)[in_decoy].max() > 1e-3
    # the burst's RMS over its length is level_db re the segment's RMS (-20 dB: a tenth), ramps aside
    rms = lambda x: float(np.sqrt(np.mean(x**2)))  # noqa: E731
    burst = (full - no_cue)[in_cue]
    assert rms(burst) == pytest.approx(0.1 * rms(seg.audio.astype(np.float64)), rel=0.1)


def test_task_data_carries_boxes_and_durations_through_subset_and_cache(small_corpus, tmp_path):
    selected = select_segments(TASK, small_corpus, seed=0)
    splits = build_task_data(TASK, small_corpus, 32, seed=0, progress=False, selected=selected)
    test = splits["test"]
    assert test.boxes.shape == (len(test), 2, 4) and test.durations.shape == (len(test),)
    seg_by_id = {s.id: s for s in small_corpus.segments}
    for i in range(len(test)):
        seg = seg_by_id[test.ids[i]]
        np.testing.assert_array_equal(test.boxes[i], cue_boxes(seg, SPEC, int(test.targets[i]), 0))
        assert test.durations[i] == seg.duration
    sub = test.subset([3, 1])
    np.testing.assert_array_equal(sub.boxes, test.boxes[[3, 1]])
    np.testing.assert_array_equal(sub.durations, test.durations[[3, 1]])
    save_splits(tmp_path / "c.pt", splits)
    back = load_splits(tmp_path / "c.pt")["test"]
    np.testing.assert_array_equal(back.boxes, test.boxes)
    np.testing.assert_array_equal(back.durations, test.durations)
    # the steady shortcut task: the box is the band over the whole segment, no decoy
    steady = build_task_data(get_task("shortcut"), small_corpus, 32, seed=0, progress=False)["test"]
    assert np.isnan(steady.boxes[:, 1]).all() and (steady.boxes[:, 0, 0] == 0).all()
    np.testing.assert_allclose(steady.boxes[:, 0, 1], steady.durations)
    np.testing.assert_allclose(steady.boxes[:, 0, 2:].mean(1), steady.bands[:, 0])
