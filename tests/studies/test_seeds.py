"""Study seeds: inter-seed agreement of maps (1 for identical training seeds), the study's page, its cache."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from specxai_bench.cli import main
from specxai_bench.studies.seeds import pair_agreement, topk_iou


def test_identical_maps_agree_fully_and_others_less():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 8, 8))
    rho, iou = pair_agreement([a, a.copy(), a.copy()], 0.1)
    np.testing.assert_allclose(rho, 1.0) and np.testing.assert_allclose(iou, 1.0)
    rho, iou = pair_agreement([a, -a], 0.1)  # the same |A|: agreement is about |A|
    np.testing.assert_allclose(rho, 1.0) and np.testing.assert_allclose(iou, 1.0)
    rho, iou = pair_agreement([a, rng.standard_normal((3, 8, 8))], 0.1)
    assert (rho < 0.5).all() and (iou < 0.6).all()


def test_topk_iou_by_hand():
    a = np.array([[9.0, 8, 7, 6, 0, 0, 0, 0, 0, 0]])  # share 0.3: top 3 cells {0, 1, 2}
    b = np.array([[9.0, 0, 7, 0, 8, 0, 0, 0, 0, 0]])  # top 3 {0, 4, 2}: 2 shared of 4 -> 0.5
    assert topk_iou(a, b, 0.3)[0] == pytest.approx(0.5)
    assert topk_iou(a, a, 0.3)[0] == 1.0 and np.isnan(topk_iou(a, np.ones((1, 10)), 0.3)[0])


def test_two_identical_training_seeds_give_agreement_one(small_corpus, tmp_path):
    """Training is deterministic for a seed on the CPU: two models of one --train-seed make the same maps."""
    from specxai_bench.data.datasets import build_task_data
    from specxai_bench.data.tasks import get_task
    from specxai_bench.methods import METHODS
    from specxai_bench.model.profiles import PROFILES
    from specxai_bench.model.training import train_or_load

    task = get_task("vowel5-4k")
    profile = replace(PROFILES["smoke"], image_size=32, epochs=1)
    splits = build_task_data(task, small_corpus, 32, seed=0, progress=False)
    kw = dict(corpus_fingerprint="fp", seed=0, device="cpu", progress=False)
    models = [train_or_load(task, splits, profile, checkpoint_dir=tmp_path / d, train_seed=s, **kw)[0]
              for d, s in (("a", 3), ("b", 3), ("c", 4))]
    test = splits["test"]
    maps = [METHODS.create("saliency", m).attribute(test.images, test.targets).numpy() for m in models]
    rho, iou = pair_agreement(maps[:2], 0.1)
    ok = np.isfinite(rho)
    assert ok.all() and np.all(rho[ok] == 1.0) and np.all(iou[ok] == 1.0)
    rho_other, _ = pair_agreement([maps[0], maps[2]], 0.1)
    both = ok & np.isfinite(rho_other)
    assert both.any() and rho_other[both].mean() < 0.99


def test_seeds_study_writes_its_page_and_resumes_from_its_cache(tmp_path, capsys):
    out, run = tmp_path / "boards", tmp_path / "run"
    args = ["study", "seeds", "--train-seeds", "2", "--tasks", "vowel5-4k", "--methods", "cam,input_energy,uniform",
            "--metrics", "formant_band_lift,sparseness", "--profile", "smoke", "--epochs", "1", "--max-samples", "3",
            "--output", str(run), "--out", str(out), "--n-resamples", "200", "--no-progress"]
    assert main(args) == 0
    md = (out / "seed-stability.md").read_text()
    assert "trained with --train-seed 0, 1 on identical data" in md and "Most stable across seeds on vowel5-4k: cam" in md
    # the model-free map agrees with itself (few speakers: no interval); a constant map has no ranking
    assert re.search(r"\| input_energy † \| 1\.000 \[no CI: \d spk\] n=15 \| 1\.000 \[no CI: \d spk\] n=15 \| \d \|", md)
    assert re.search(r"\| uniform † \| — \| — \| \d \|", md)
    assert "| input_energy † | formant_band_lift@F123,w100hz,10pct |" in md and "Test accuracy per training seed" in md
    table = pd.read_csv(out / "seed-stability.csv", comment="#")
    sd = table[(table["what"] == "between_seed_sd") & (table["method"] == "input_energy")]
    assert len(sd) == 2 and (sd["sd"] == 0).all() and (sd["seeds"] == 2).all()
    cached = sorted((run / "cache" / "seeds").glob("vowel5-4k-*.json"))
    assert len(cached) == 3
    before = md
    for path in cached:  # a rerun reads the cached agreement values instead of recomputing the maps
        path.write_text(re.sub(r'"spearman": ?1\.0\b', '"spearman": 0.5', path.read_text(), count=1))
    assert main(args) == 0
    assert (out / "seed-stability.md").read_text() != before
    assert main(args[:3] + ["1"] + args[4:]) == 2 and "at least 2" in capsys.readouterr().err
