"""`--corpus` specs for the synthetic variants."""

from __future__ import annotations

import pytest

from specxai_bench.data.corpora.loading import load_corpus
from specxai_bench.data.corpora.synthetic import SyntheticConfig
from specxai_bench.errors import ConfigError

TINY = SyntheticConfig(speakers_per_group=1, vowel_tokens=1, consonant_tokens=0)


def test_synthetic_hard_is_the_hard_variant_of_the_profile_corpus(tmp_path):
    hard = load_corpus("synthetic:hard", synthetic=TINY, seed=0, labels=[], cache_dir=tmp_path, progress=False)
    easy = load_corpus("synthetic", synthetic=TINY, seed=0, labels=[], cache_dir=tmp_path, progress=False)
    same = load_corpus("synthetic:easy", synthetic=TINY, seed=0, labels=[], cache_dir=tmp_path, progress=False)
    assert (hard.name, easy.name) == ("synthetic-hard", "synthetic")
    assert same.fingerprint() == easy.fingerprint() != hard.fingerprint()
    assert len({s.speaker for s in hard.segments}) == 2 * len({s.speaker for s in easy.segments})


def test_an_unknown_variant_names_the_known_ones(tmp_path):
    with pytest.raises(ConfigError, match="unknown synthetic corpus variant 'medium'.*synthetic:easy or synthetic:hard"):
        load_corpus("synthetic:medium", synthetic=TINY, seed=0, labels=[], cache_dir=tmp_path, progress=False)
