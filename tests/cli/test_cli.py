import json
import shutil
import sqlite3
from pathlib import Path

from specxai_bench.cli import main


def test_unknown_method_fails_before_any_work(tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["run", "--methods", "cam,nosuch", "--output", str(out)])
    err = capsys.readouterr().err
    assert rc != 0
    assert "unknown method 'nosuch'" in err and "cam, gradcam" in err
    assert not out.exists()


def test_list_methods_shows_layer_and_grid(capsys):
    assert main(["list", "methods", "*cam"]) == 0
    text = capsys.readouterr().out
    assert "layer4" in text and "7x7" in text and "gradcam" in text


def test_smoke_run_end_to_end(smoke_run, run_cli, tmp_path):
    first, res = smoke_run.output, smoke_run.result  # `python -m specxai_bench run --profile smoke ...`, once
    for task in ("vowel5", "vowel5-4k", "voicing"):
        assert f"### {task} — profile smoke, resnet18, 64x64 px, device cpu" in res.stdout
    assert "formant_band_lift@F123" in res.stdout and "f0_band_mass@below700hz" in res.stdout
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["profile"]["name"] == "smoke" and manifest["device"] == "cpu"
    assert set(manifest["models"]) == {"vowel5", "vowel5-4k", "voicing"}
    with sqlite3.connect(first / "results.sqlite") as db:
        n_rows = db.execute("SELECT COUNT(*) FROM rows").fetchone()[0]
    assert n_rows > 0
    # a second run reuses the cached models and the stored rows: same table, nothing duplicated
    out = Path(shutil.copytree(first, tmp_path / "run"))
    cmd = [*smoke_run.argv, "--output", out]
    res2 = run_cli(*cmd)
    assert res2.returncode == 0 and "loaded model" in res2.stderr
    with sqlite3.connect(out / "results.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM rows").fetchone()[0] == n_rows
    strip = lambda s: [ln for ln in s.splitlines()  # noqa: E731  (the folder and the timings differ)
                       if not ln.startswith(("seconds per sample", "stage times", "rows:"))]
    assert strip(res.stdout) == strip(res2.stdout)

    # --max-samples attributes N test samples of each class, drawn round-robin over speakers (models cached: quick)
    res3 = run_cli(*cmd, "--max-samples", "1", "--methods", "cam")
    assert res3.returncode == 0, res3.stderr[-2000:]
    vowel = res3.stdout.split("### vowel5-4k")[1].split("###")[0].splitlines()
    counts = [ln for ln in vowel if ln.startswith("| n / speakers |")]
    assert counts and "| 5 / 3 |" in counts[0]  # one per vowel class, from all 3 test speakers
