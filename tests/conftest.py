"""Shared fixtures: progress bars off, a small synthetic corpus built once per session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("SPECXAI_PROGRESS", "0")


@pytest.fixture(scope="session")
def small_corpus():
    from specxai_bench.data.corpora.synthetic import SyntheticConfig, synthesize

    return synthesize(SyntheticConfig(speakers_per_group=3, vowel_tokens=2, consonant_tokens=1))


@pytest.fixture(scope="module")
def one_torch_thread():
    """Small images: a second intra-op thread only adds overhead (and thrashes on a busy machine).

    Use with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True, scope="session")
def shared_cache_in_tmp(tmp_path_factory):
    """The cache shared by output folders (Praat tracks; normally ~/.cache/specxai-bench) in a temp
    folder, for this process and the subprocesses tests start: tests never touch the user's cache."""
    before = os.environ.get("SPECXAI_CACHE")
    os.environ["SPECXAI_CACHE"] = str(tmp_path_factory.mktemp("shared-cache"))
    yield
    if before is None:
        os.environ.pop("SPECXAI_CACHE", None)
    else:
        os.environ["SPECXAI_CACHE"] = before
