"""The shortcut task: the planted band in the image, the class/vowel independence, the band removal test."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from scipy.stats import chi2_contingency
from torch import nn

from specxai_bench.data.corpora.targets import VOWELS
from specxai_bench.data.datasets import build_task_data, spectrogram_config
from specxai_bench.data.shortcut import ShortcutSpec, plant
from specxai_bench.data.spectrogram import spectrogram_image
from specxai_bench.data.splits import SPLITS, select_segments
from specxai_bench.data.tasks import ALL_TASKS, TASKS, get_task, resolve_tasks
from specxai_bench.errors import DataError
from specxai_bench.model.checks import band_check
from specxai_bench.results.render import format_band_check

TASK = get_task("shortcut")


@pytest.fixture(scope="module")
def selection(small_corpus):
    return select_segments(TASK, small_corpus, seed=0)


def test_task_is_registered_but_not_a_default():
    assert "shortcut" in ALL_TASKS and "shortcut" not in TASKS
    assert [t.name for t in resolve_tasks("all")] == list(TASKS)
    assert TASK.kind == "shortcut" and TASK.fmax is None and len(TASK.classes) == 5
    centres = TASK.shortcut.centres_hz
    assert min(centres) > 4000 and len(set(centres)) == 5 and max(centres) + TASK.shortcut.width_hz / 2 < 11025


def test_planted_band_shows_at_its_rows(small_corpus):
    """Each class's band lifts exactly its rows of the full-band image; rows 300 Hz away barely move."""
    cfg = spectrogram_config(TASK, 224)
    seg = next(s for s in small_corpus.segments if s.label == "aa")
    plain, axis = spectrogram_image(seg, cfg)
    for k in range(5):
        centre, width = TASK.shortcut.band(k)
        img, _ = spectrogram_image(plant(seg, TASK.shortcut, k, seed=0), cfg)
        lift = (img - plain).mean(1)  # per row, over time
        row = int(axis.row_of(centre))
        assert abs(int(np.argmax(lift)) - row) <= 1
        assert lift[row] > 0.2  # > 16 dB above the vowel there (1.0 = 80 dB)
        far = np.abs(axis.centres() - centre) > 300
        assert np.abs(lift[far]).max() < 0.05


def test_planting_is_seeded_and_leaves_the_segment_alone(small_corpus):
    seg = small_corpus.segments[0]
    a, b = plant(seg, TASK.shortcut, 2, seed=0), plant(seg, TASK.shortcut, 2, seed=0)
    np.testing.assert_array_equal(a.audio, b.audio)
    assert not np.array_equal(a.audio, plant(seg, TASK.shortcut, 2, seed=1).audio)
    assert (a.id, a.label, a.speaker) == (seg.id, seg.label, seg.speaker) and len(a.audio) == len(seg.audio)
    # band RMS = level_db relative to the segment's RMS (-20 dB: a tenth)
    rms = lambda x: float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2)))  # noqa: E731
    assert rms(a.audio - seg.audio) == pytest.approx(0.1 * rms(seg.audio), rel=1e-3)


def test_class_is_independent_of_the_vowel(selection):
    items = [(s, c) for split in SPLITS for s, c in selection[split]]
    assert {s.label for s, _ in items} == set(VOWELS)
    # every speaker: the same count of each class
    per_speaker: dict[str, Counter] = {}
    for s, c in items:
        per_speaker.setdefault(s.speaker, Counter())[c] += 1
    assert all(len(cnt) == 5 and len(set(cnt.values())) == 1 for cnt in per_speaker.values())
    # vowel x class contingency: no association (chi-square), every vowel in every class
    table = np.zeros((5, 5))
    for s, c in items:
        table[VOWELS.index(s.label), c] += 1
    assert (table > 0).all()
    assert chi2_contingency(table).pvalue > 0.05


def test_splits_are_by_speaker_balanced_and_seeded(small_corpus, selection):
    speakers = {k: {s.speaker for s, _ in v} for k, v in selection.items()}
    assert not speakers["train"] & speakers["val"] and not speakers["train"] & speakers["test"]
    assert not speakers["val"] & speakers["test"]
    for items in selection.values():
        counts = Counter(c for _, c in items)
        assert len(counts) == 5 and len(set(counts.values())) == 1
    again = select_segments(TASK, small_corpus, seed=0)
    assert [(s.id, c) for s, c in again["test"]] == [(s.id, c) for s, c in selection["test"]]
    other = select_segments(TASK, small_corpus, seed=1)
    assert [(s.id, c) for s, c in other["train"]] != [(s.id, c) for s, c in selection["train"]]


def test_task_data_records_each_sample_band(small_corpus, selection):
    splits = build_task_data(TASK, small_corpus, 32, seed=0, progress=False, selected=selection)
    test = splits["test"]
    centres = np.array(TASK.shortcut.centres_hz)[test.targets.numpy()]
    np.testing.assert_array_equal(test.bands[:, 0], centres)
    assert (test.bands[:, 1] == TASK.shortcut.width_hz).all()
    np.testing.assert_array_equal(test.subset([2, 0]).bands, test.bands[[2, 0]])
    # the other tasks carry no band
    assert build_task_data(get_task("vowel5-4k"), small_corpus, 16, seed=0, progress=False)["test"].bands is None


def test_bands_must_lie_below_nyquist():
    with pytest.raises(DataError, match="Nyquist"):
        ShortcutSpec((4600.0, 7950.0)).check_sample_rate(16000)
    ShortcutSpec((4600.0, 7000.0)).check_sample_rate(16000)  # TIMIT's rate is fine for the defaults


class BandReader(nn.Module):
    """Logit k = mean image value on the rows of class k's band (a model that uses the band and nothing else)."""

    def __init__(self, rows: list[np.ndarray]) -> None:
        super().__init__()
        self.register_buffer("w", torch.tensor(np.stack(rows), dtype=torch.float32))  # [K, H]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        profile = x[:, 0].mean(2)  # [B, H]
        return 50.0 * profile @ (self.w / self.w.sum(1, keepdim=True)).T


class Blind(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0]).expand(len(x), 5)


def test_band_check_confirms_a_band_reader_and_flags_a_blind_model(selection):
    size = 64
    items = selection["test"]
    axis = spectrogram_config(TASK, size).axis(items[0][0].sample_rate)  # 172 Hz per row
    rows = [np.abs(axis.centres() - TASK.shortcut.band(k)[0]) <= 100 for k in range(5)]
    cfg = spectrogram_config(TASK, size)
    images = torch.from_numpy(np.stack([spectrogram_image(plant(s, TASK.shortcut, c, 0), cfg)[0] for s, c in items])[:, None])
    check = band_check(BandReader(rows), TASK, items, images, size, seed=0, device="cpu", batch_size=8)
    assert check["accuracy_with_band"] >= 0.9 and check["follows_moved_band"] >= 0.9
    assert check["accuracy_band_removed"] < 0.5 and check["relies_on_band"]
    assert "confirmed" in format_band_check("shortcut", check) and "WARNING" not in format_band_check("shortcut", check)
    blind = band_check(Blind(), TASK, items, images, size, seed=0, device="cpu", batch_size=8)
    assert blind["accuracy_with_band"] == blind["accuracy_band_removed"] == pytest.approx(0.2)
    assert not blind["relies_on_band"] and "WARNING" in format_band_check("shortcut", blind)
