"""`specxai-bench run --tasks tf-shortcut` with a model that learned the cue (smoke profile, 8 epochs on 6
speakers per group, ~20 s of CPU): removing the cue drops accuracy to chance, removing the decoy does not;
only the samples on which the model provably uses the cue are scored, and the tables say how many."""

from __future__ import annotations

import json
import sqlite3

import pytest

METRICS = "relevance_mass_accuracy,relevance_rank_accuracy,pixel_roc_auc,pixel_roc_auc@grid=8x8,sparseness"


@pytest.fixture(scope="module")
def run(run_cli, tmp_path_factory):
    out = tmp_path_factory.mktemp("tf") / "run"
    res = run_cli("run", "--profile", "smoke", "--epochs", "8", "--speakers-per-group", "6", "--tasks", "tf-shortcut",
                  "--methods", "cam,input_energy,uniform", "--metrics", METRICS, "--output", out, "--no-progress")
    assert res.returncode == 0, res.stderr[-3000:]
    return out, res


def db_rows(out) -> list[tuple[str, int]]:
    with sqlite3.connect(out / "results.sqlite") as db:
        return list(db.execute("SELECT DISTINCT sample, target FROM rows"))


def test_removing_the_cue_drops_accuracy_to_chance_and_removing_the_decoy_does_not(run):
    out, res = run
    check = json.loads((out / "manifest.json").read_text())["models"]["tf-shortcut"]["intervention"]
    chance = check["chance"]
    assert chance == pytest.approx(0.2) and check["n"] == 30
    assert check["accuracy_with_cue"] >= 0.9  # the model learned the cue
    assert check["accuracy_cue_removed"] <= chance + 0.1  # without it: chance
    assert check["accuracy_decoy_removed"] >= check["accuracy_with_cue"] - 0.15  # without the decoy: about the same
    assert check["follows_moved_cue"] >= 0.8 and check["relies_on_cue"]
    assert "samples" not in check and 0 < check["n_provable"] < check["n"]  # per sample: in the store
    print(f"\nmeasured (smoke, 8 epochs, 6 speakers/group): with the cue {check['accuracy_with_cue']:.3f}, cue removed "
          f"{check['accuracy_cue_removed']:.3f}, decoy removed {check['accuracy_decoy_removed']:.3f}, provable "
          f"{check['n_provable']}/{check['n']}")


def test_only_the_provable_samples_are_scored_and_the_tables_say_how_many(run, run_cli, tmp_path):
    out, res = run
    with sqlite3.connect(out / "results.sqlite") as db:
        meta = json.loads(db.execute("SELECT meta FROM models WHERE task = 'tf-shortcut'").fetchone()[0])
        scored = {s for (s,) in db.execute("SELECT DISTINCT sample FROM rows")}
        metrics = {m for (m,) in db.execute("SELECT DISTINCT metric FROM rows")}
    check = meta["intervention"]
    assert len(check["samples"]) == check["n"] and scored == set(check["provable"])
    targets = dict(db_rows(out))
    for s in scored:  # right with the cue, wrong without it, unchanged without the decoy
        pred, no_cue, no_decoy = check["samples"][s]
        assert pred == targets[s] != no_cue and no_decoy == pred
    assert metrics == {"relevance_mass_accuracy@margin100hz,10ms", "relevance_rank_accuracy@margin100hz,10ms",
                       "pixel_roc_auc@margin100hz,10ms", "pixel_roc_auc@margin100hz,10ms,grid8x8", "sparseness"}
    n = check["n_provable"]
    assert f"Scored: the {n} of 30 test samples on which the model provably uses the cue" in res.stdout
    assert f"| n / speakers | {n} / " in res.stdout  # every cell rests on the provable samples only
    uniform = [ln for ln in res.stdout.splitlines() if ln.startswith("| *uniform*")]
    assert any("—" in ln for ln in uniform)  # rank and AUC of a constant map: NaN (no value), not 0
    board = run_cli("leaderboard", "--results", out / "results.sqlite", "--out", tmp_path)
    assert board.returncode == 0, board.stderr[-2000:]
    assert f"scored on the {n} of 30 test samples on which the model provably uses the cue" in \
        (tmp_path / "tf-shortcut.md").read_text()
