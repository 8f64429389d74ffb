"""What `run` prints and keeps: baselines to read the table by, legend and stage times, `--format json`,
`-q`, `--config FILE.toml`, and one record per invocation."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from specxai_bench.cli import build_parser, main
from specxai_bench.cli.run import READING_BASELINES, RUN_LEGEND, config_from_args
from specxai_bench.experiment import RunConfig

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ["run", "--profile", "smoke", "--tasks", "voicing", "--methods", "cam"]


def parse(argv: list[str]):
    from specxai_bench.cli.config import with_config

    parser = build_parser()
    return with_config(parser, argv, parser.parse_args(argv))


@pytest.fixture(scope="module")
def two_runs(run_cli, tmp_path_factory):
    """The same smoke command twice (the second loads the model), text then JSON, the second quiet."""
    out = tmp_path_factory.mktemp("run")
    texts = []
    for extra in ([], ["--format", "json", "-q"]):
        res = run_cli(*SMOKE, "--output", out, *extra)
        assert res.returncode == 0, res.stderr
        texts.append((res.stdout, res.stderr))
    return out, texts


def test_the_table_shows_the_baselines_a_legend_and_this_runs_stage_times(two_runs) -> None:
    _, ((text, err), _) = two_runs
    for name in READING_BASELINES.split(","):
        assert f"| *{name}* † |" in text
    assert RUN_LEGEND in text and "1 = chance" in RUN_LEGEND
    stage = next(line for line in text.splitlines() if line.startswith("stage times of this run: "))
    assert "model:voicing" in stage and stage.endswith(" s")
    assert "profile smoke" in err  # status lines without -q


def test_json_output_and_quiet(two_runs) -> None:
    out, (_, (doc_text, err)) = two_runs
    doc = json.loads(doc_text)  # stdout holds the JSON document and nothing else
    assert err == ""  # -q: no status lines, no bars
    assert doc["store"] == str(out / "results.sqlite") and doc["command"].startswith("specxai-bench run ")
    cells = doc["tasks"]["voicing"]["cells"]
    assert {c["method"] for c in cells} == {"cam", "input_energy", "random"}
    assert all(c["baseline"] == (c["method"] != "cam") for c in cells)
    lift = next(c for c in cells if c["method"] == "random" and c["metric"].startswith("f0_band_lift"))
    assert 0.9 < lift["mean"] < 1.1 and lift["n"] > 0
    assert lift["speakers"] < 5 and lift["ci_low"] is None and lift["ci_high"] is None  # too few speakers: no CI
    assert set(doc["stage_seconds"]) >= {"data", "model:voicing", "attribute+score:voicing"}


def test_each_invocation_keeps_its_own_record(two_runs) -> None:
    out, _ = two_runs
    manifest = json.loads((out / "manifest.json").read_text())
    first, second = manifest["invocations"]
    assert first["started"] <= second["started"] and manifest["created"] <= first["finished"]
    assert first["stage_seconds"] != second["stage_seconds"]  # the second did not overwrite the first
    assert manifest["stage_seconds"] == second["stage_seconds"]
    with sqlite3.connect(out / "results.sqlite") as db:
        (stored,) = [json.loads(m) for (m,) in db.execute("SELECT manifest FROM runs")]
    assert stored["invocations"] == manifest["invocations"]


def test_baselines_are_added_once_and_can_be_left_out() -> None:
    cfg = config_from_args(parse(["run", "--methods", "cam,random"]))
    assert cfg.methods == ("cam", "random", "input_energy")
    assert config_from_args(parse(["run", "--methods", "cam", "--baselines", "none"])).methods == ("cam",)


def test_config_file_gives_options_and_the_command_line_overrides(tmp_path) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text('profile = "smoke"\nmethods = ["cam", "gradcam@layer=layer3"]\nmax_samples = 3\n'
                      'no-progress = true\nseed = 2\n')
    cfg = config_from_args(parse(["run", "--config", str(recipe), "--seed", "5"]))
    assert cfg.profile == "smoke" and cfg.max_samples == 3 and cfg.seed == 5 and not cfg.progress
    assert cfg.methods[:2] == ("cam", "gradcam@layer=layer3")
    # the recorded command is the plain command line: it reproduces the run without the file
    again = config_from_args(parse(cfg.command().split()[1:]))
    assert again.identity() == cfg.identity()
    recipe.write_text('profile = "smoke"\nseed = 2\nn-resamples = 500\n')
    study = parse(["study", "cutoff", "--config", str(recipe), "--seed", "3"])
    assert (study.profile, study.seed, study.n_resamples) == ("smoke", 3, 500)


@pytest.mark.parametrize("text, message", [
    ('nosuch = 1\n', "unknown key 'nosuch'"),
    ('retrain = "yes"\n', "is a flag"),
    ('profile = "huge"\n', "is not one of"),
    ('methods = \n', "not a readable TOML file"),
    ('[seed]\nx = 1\n', "holds a table"),
])
def test_bad_config_files_fail_with_exit_code_2_naming_the_file(tmp_path, capsys, text, message) -> None:
    recipe = tmp_path / "bad.toml"
    recipe.write_text(text)
    out = tmp_path / "out"
    assert main(["run", "--config", str(recipe), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(recipe) in err and message in err
    assert not out.exists()
    assert main(["run", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("recipe", sorted((ROOT / "leaderboards").glob("*.toml")), ids=lambda p: p.name)
def test_committed_recipes_ask_for_the_committed_runs(recipe: Path, tmp_path) -> None:
    """`run --config leaderboards/X.toml` computes what a run behind the committed boards computed."""
    store = tmp_path / "results.sqlite"
    with gzip.open(ROOT / "leaderboards" / "results.sqlite.gz") as src, open(store, "wb") as dst:
        shutil.copyfileobj(src, dst)
    with sqlite3.connect(store) as db:
        committed = [RunConfig.from_manifest(json.loads(m)["config"]) for (m,) in db.execute("SELECT manifest FROM runs")]
    cfg = config_from_args(parse(["run", "--config", str(recipe)]))
    assert any(cfg.identity() == c.identity() and cfg.output == c.output for c in committed)


def test_a_config_without_the_baselines_prints_a_command_that_says_so() -> None:
    cfg = RunConfig(methods=("cam",), metrics=("f0_band_mass",), tasks=("voicing",))
    assert cfg.command().endswith(" --baselines none")
    assert config_from_args(parse(cfg.command().split()[1:])) == cfg
    with_them = config_from_args(parse(["run", "--methods", "cam"]))
    assert "--baselines" not in with_them.command() and config_from_args(parse(with_them.command().split()[1:])) \
        == with_them
