"""Every file a run, a leaderboard and a corpus export write is 0644 and every folder 0755 (umask 022)."""

from __future__ import annotations

import os
import stat

from specxai_bench.results.aggregate import BoardConfig


def test_run_leaderboard_and_export_outputs_are_0644(smoke_store, tmp_path) -> None:
    from specxai_bench.data.corpora.export import export_corpus
    from specxai_bench.data.corpora.synthetic import SyntheticConfig, synthesize
    from specxai_bench.results.leaderboard import regenerate

    old = os.umask(0o022)
    try:
        regenerate([smoke_store], tmp_path / "boards", BoardConfig(n_resamples=200), "test")
        corpus = synthesize(SyntheticConfig(speakers_per_group=3, vowel_tokens=1, consonant_tokens=1))
        export_corpus(corpus, tmp_path / "export")
    finally:
        os.umask(old)
    roots = [smoke_store.parent, tmp_path / "boards", tmp_path / "export"]  # the first: made by pytest (0700)
    paths = roots[1:] + [p for root in roots for p in root.rglob("*")]
    assert any(p.suffix == ".pt" for p in paths) and any(p.name == "manifest.json" for p in paths)
    assert any(p.suffix == ".wav" for p in paths) and any(p.name == "leaderboard.csv" for p in paths)
    bad = [(str(p), oct(stat.S_IMODE(p.stat().st_mode))) for p in paths
           if stat.S_IMODE(p.stat().st_mode) != (0o755 if p.is_dir() else 0o644)]
    assert not bad
