"""The per-sample intervention check of tf-shortcut, on hand-built models whose use of the cue is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from specxai_bench.data.datasets import spectrogram_config
from specxai_bench.data.shortcut import plant
from specxai_bench.data.spectrogram import spectrogram_image
from specxai_bench.data.splits import select_segments
from specxai_bench.data.tasks import get_task
from specxai_bench.model.checks import (
    cue_check,
    intervention_check,
    intervention_summary,
    intervention_text,
    provable_index,
)

TASK = get_task("tf-shortcut")
SIZE = 64


class BandReader(nn.Module):
    """Logit k = 50 x the largest narrow-band excess over time of class k's band rows: their mean in a
    column minus the median of the high rows (4-10 kHz) in that column, so broadband transients at a
    vowel's edges cancel and only a burst sticks out (reads the cue, nothing else). ``gate_rows``:
    unless the decoy's rows stick out somewhere, the logits are rolled by one class (a model that
    needs the decoy to be right)."""

    def __init__(self, rows: list[np.ndarray], high: np.ndarray, gate_rows: np.ndarray | None = None) -> None:
        super().__init__()
        self.register_buffer("w", torch.tensor(np.stack(rows), dtype=torch.float32))
        self.high = torch.tensor(high)
        self.gate = None if gate_rows is None else torch.tensor(gate_rows)

    def excess(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """[B, K]: per band (rows weighted by ``w`` [K, H]), the largest excess over the columns."""
        base = x[:, 0][:, self.high].median(1).values  # [B, W]
        bands = torch.einsum("kh,bhw->bkw", w / w.sum(1, keepdim=True), x[:, 0])
        return (bands - base[:, None]).amax(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = 50.0 * self.excess(x, self.w)
        if self.gate is not None:
            decoy = self.excess(x, self.gate[None].float())[:, 0] > 0.15
            logits = torch.where(decoy[:, None], logits, logits.roll(1, 1))
        return logits


def reader(items, gate: bool = False) -> BandReader:
    axis = spectrogram_config(TASK, SIZE).axis(items[0][0].sample_rate)
    high = (axis.centres() > 4000) & (axis.centres() < 10000)
    return BandReader([rows_of(hz, items) for hz in TASK.shortcut.centres_hz], high,
                      rows_of(TASK.shortcut.decoy_hz, items) if gate else None)


@pytest.fixture(scope="module")
def items(small_corpus):
    return select_segments(TASK, small_corpus, seed=0)["test"]


@pytest.fixture(scope="module")
def images(items):
    cfg = spectrogram_config(TASK, SIZE)
    return torch.from_numpy(np.stack([spectrogram_image(plant(s, TASK.shortcut, c, 0), cfg)[0]
                                      for s, c in items])[:, None])


def rows_of(hz: float, items) -> np.ndarray:
    axis = spectrogram_config(TASK, SIZE).axis(items[0][0].sample_rate)
    return np.abs(axis.centres() - hz) <= TASK.shortcut.width_hz / 2


def test_a_cue_reader_is_provable_on_every_sample_it_gets_right(items, images):
    model = reader(items)
    key, check = cue_check(model, TASK, items, images, SIZE, seed=0, device="cpu", batch_size=8)
    assert key == "intervention"
    assert check["accuracy_with_cue"] >= 0.8 and check["accuracy_decoy_removed"] == check["accuracy_with_cue"]
    assert check["accuracy_cue_removed"] <= 0.3 and check["follows_moved_cue"] >= 0.7 and check["relies_on_cue"]
    right = [i for i, (p, *_) in check["samples"].items() if p == dict((s.id, c) for s, c in items)[i]]
    wrong_without = {i for i, (_, nc, _) in check["samples"].items() if nc != dict((s.id, c) for s, c in items)[i]}
    assert set(check["provable"]) == set(right) & wrong_without and check["n_provable"] == len(check["provable"]) > 0
    ids = tuple(s.id for s, _ in items)
    assert [ids[i] for i in provable_index(ids, check)] == [i for i in ids if i in set(check["provable"])]
    assert "confirmed" in intervention_text(TASK.name, check) and f"the {check['n_provable']} of" in \
        intervention_text(TASK.name, check)
    summary = intervention_summary(check)
    assert "samples" not in summary and "provable" not in summary and summary["n_provable"] == check["n_provable"]


def test_a_model_that_needs_the_decoy_is_provable_on_no_sample(items, images):
    gated = reader(items, gate=True)
    check = intervention_check(gated, TASK, items, images, SIZE, seed=0, device="cpu", batch_size=8)
    assert check["accuracy_with_cue"] >= 0.8 and check["accuracy_decoy_removed"] <= 0.1
    assert check["n_provable"] == 0 and check["provable"] == []


def test_the_steady_shortcut_task_keeps_its_band_removal_test(small_corpus):
    task = get_task("shortcut")
    items = select_segments(task, small_corpus, seed=0)["test"][:5]
    blind = nn.Sequential(nn.Flatten(), nn.LazyLinear(5))
    imgs = torch.zeros(len(items), 1, SIZE, SIZE)
    key, check = cue_check(blind, task, items, imgs, SIZE, seed=0, device="cpu", batch_size=8)
    assert key == "band_removal" and "accuracy_band_removed" in check
    with pytest.raises(ValueError, match="no timed cue"):
        intervention_check(blind, task, items, imgs, SIZE, seed=0, device="cpu", batch_size=8)
