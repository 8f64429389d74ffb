"""`specxai-bench run --tasks shortcut` end to end (smoke profile): the table and the band removal test."""

import json
import sqlite3


def test_shortcut_run_prints_the_band_removal_test(run_cli, tmp_path):
    out = tmp_path / "run"
    cmd = ["run", "--profile", "smoke", "--epochs", "1", "--tasks", "shortcut", "--methods", "cam,uniform",
           "--output", out, "--no-progress"]
    res = run_cli(*cmd, "--metrics", "shortcut_recovery,shortcut_recovery_lift,formant_band_mass")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "### shortcut — profile smoke, resnet18, 64x64 px" in res.stdout
    assert "shortcut_recovery@margin100hz" in res.stdout and "shortcut_recovery_lift@margin100hz" in res.stdout
    assert "formant_band_mass" not in res.stdout  # a phonetic prior does not apply to the shortcut task
    table = res.stdout.split("### shortcut")[1]
    uniform = next(ln for ln in table.splitlines() if ln.startswith("| *uniform*"))
    assert uniform.endswith("| 1.000 (3 spk: no CI) |")  # a uniform map's lift is chance (3 speakers: no CI)
    assert "| n / speakers | 30 / 3 | 30 / 3 |" in table  # on every test sample
    assert "band removal test [shortcut] (30 test samples, chance 0.200): accuracy with the band" in res.stdout
    check = json.loads((out / "manifest.json").read_text())["models"]["shortcut"]["band_removal"]
    assert {"accuracy_with_band", "accuracy_band_removed", "follows_moved_band", "relies_on_band"} <= set(check)
    assert check["n"] == 30 and check["spec"]["centres_hz"][0] == 4600.0
    with sqlite3.connect(out / "results.sqlite") as db:
        metrics = {m for (m,) in db.execute("SELECT DISTINCT metric FROM rows")}
        meta = json.loads(db.execute("SELECT meta FROM models WHERE task = 'shortcut'").fetchone()[0])
    assert metrics == {"shortcut_recovery@margin100hz", "shortcut_recovery_lift@margin100hz"}
    assert meta["band_removal"] == check

    # only metrics that do not apply: nothing is scored, the removal test is still printed (model cached)
    res2 = run_cli(*cmd, "--metrics", "formant_band_mass")
    assert res2.returncode == 0, res2.stderr[-2000:]
    assert "none of the metrics asked for applies to this task (kind shortcut)" in res2.stderr
    assert "no metric scored" in res2.stdout and "band removal test [shortcut]" in res2.stdout
