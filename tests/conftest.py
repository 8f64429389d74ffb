"""Shared fixtures: progress bars off, a small synthetic corpus built once per session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("SPECXAI_PROGRESS", "0")


@pytest.fixture(scope="session")
def small_corpus():
    from specxai_bench.corpora.synthetic import SyntheticConfig, synthesize

    return synthesize(SyntheticConfig(speakers_per_group=3, vowel_tokens=2, consonant_tokens=1))
