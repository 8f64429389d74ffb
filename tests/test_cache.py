"""Spectrogram datasets cached as tensors: exact round trip, keys that follow the content, atomic files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from specxai_bench.data import cache
from specxai_bench.data.datasets import build_task_data
from specxai_bench.data.splits import SPLITS, select_segments
from specxai_bench.data.tasks import get_task

SIZE = 16


@pytest.fixture(scope="module")
def setup(small_corpus):
    task = get_task("vowel5-4k")
    return task, small_corpus, select_segments(task, small_corpus, seed=0)


def _same(a, b):
    for split in SPLITS:
        x, y = a[split], b[split]
        assert torch.equal(x.images, y.images) and torch.equal(x.targets, y.targets)
        assert (x.ids, x.labels, x.speakers, x.groups) == (y.ids, y.labels, y.speakers, y.groups)
        np.testing.assert_array_equal(x.f0, y.f0)  # NaN where unvoiced, in the same places
        np.testing.assert_array_equal(x.formants, y.formants)
        assert x.axis == y.axis


def test_cached_splits_equal_the_computed_ones(setup, tmp_path, monkeypatch):
    task, corpus, sel = setup
    kw = dict(cache_dir=tmp_path, corpus_fingerprint="fp", selected=sel, progress=False)
    first = cache.cached_task_data(task, corpus, SIZE, 0, **kw)
    _same(first, build_task_data(task, corpus, SIZE, 0, progress=False, selected=sel))
    files = list((tmp_path / "spectrograms").iterdir())
    assert len(files) == 1 and files[0].name.startswith(f"{task.name}-{SIZE}px-")  # no temp file left behind

    def no_build(*a, **k):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(cache, "build_task_data", no_build)
    _same(cache.cached_task_data(task, corpus, SIZE, 0, **kw), first)


def test_key_follows_corpus_config_and_selection(setup):
    task, _, sel = setup
    key = cache.cache_key(task, SIZE, "fp", sel)
    assert key == cache.cache_key(task, SIZE, "fp", sel)
    fewer = {**sel, "test": sel["test"][:-1]}
    others = [cache.cache_key(task, SIZE + 1, "fp", sel), cache.cache_key(task, SIZE, "fp2", sel),
              cache.cache_key(get_task("vowel5-3k"), SIZE, "fp", sel), cache.cache_key(task, SIZE, "fp", fewer)]
    assert len({key, *others}) == 5


def test_a_damaged_cache_file_is_rebuilt(setup, tmp_path):
    task, corpus, sel = setup
    kw = dict(cache_dir=tmp_path, corpus_fingerprint="fp", selected=sel, progress=False)
    first = cache.cached_task_data(task, corpus, SIZE, 0, **kw)
    (path,) = (tmp_path / "spectrograms").iterdir()
    path.write_bytes(path.read_bytes()[:100])  # truncated
    _same(cache.cached_task_data(task, corpus, SIZE, 0, **kw), first)
    cache.load_splits(path)  # whole again


def test_shortcut_bands_round_trip_and_key_follows_the_seed(small_corpus, tmp_path):
    task = get_task("shortcut")
    sel = select_segments(task, small_corpus, seed=0)
    kw = dict(cache_dir=tmp_path, corpus_fingerprint="fp", selected=sel, progress=False)
    first = cache.cached_task_data(task, small_corpus, SIZE, 0, **kw)
    again = cache.load_splits(next((tmp_path / "spectrograms").iterdir()))
    _same(first, again)
    for split in SPLITS:
        np.testing.assert_array_equal(first[split].bands, again[split].bands)
    # the seed draws the planted noise: it enters the shortcut task's key (and only that task's)
    assert cache.cache_key(task, SIZE, "fp", sel, 0) != cache.cache_key(task, SIZE, "fp", sel, 1)
    vowel, vsel = get_task("vowel5"), select_segments(get_task("vowel5"), small_corpus, seed=0)
    assert cache.cache_key(vowel, SIZE, "fp", vsel, 0) == cache.cache_key(vowel, SIZE, "fp", vsel, 1)
