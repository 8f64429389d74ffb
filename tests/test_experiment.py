"""RunConfig, plan() and the one run builder (Experiment)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from specxai_bench.cli import build_parser, main
from specxai_bench.cli.run import config_from_args
from specxai_bench.errors import ConfigError
from specxai_bench.experiment import Experiment, RunConfig, plan


def parse(command: str, *extra: str) -> RunConfig:
    argv = shlex.split(command)
    assert argv[:2] == ["specxai-bench", "run"]
    return config_from_args(build_parser().parse_args(argv[1:] + list(extra)))


@pytest.mark.parametrize("cfg", [
    RunConfig(methods=("cam", "gradcam"), metrics=("formant_band_mass",), tasks=("vowel5",)),
    RunConfig(methods=("gradcam@layer=layer3", "input_energy"), metrics=("formant_band_lift@formants=1+2", "f0_band_mass"),
              tasks=("vowel5-4k", "voicing"), corpus="aligned:/data/x y", profile="smoke", arch="resnet34",
              seed=3, train_seed=5, target="predicted", batch_size=4, max_samples=2, weights=Path("/w/r18.pt"),
              call_timeout=30.5, epochs=1, image_size=64, speakers_per_group=3, max_train_per_class=100),
    RunConfig(methods=("cam",), metrics=("f0_band_mass",), tasks=("voicing",), corpus="synthetic:hard",
              max_train_per_class=0),
])
def test_the_printed_command_parses_back_to_the_same_config(cfg):
    assert parse(cfg.command()) == cfg
    assert "--output" not in cfg.command()  # where a run writes is not what it computes


def test_command_leaves_out_only_where_and_how():
    cfg = RunConfig(methods=("cam",), metrics=("f0_band_mass",), tasks=("voicing",), output=Path("/x"),
                    progress=False, retrain=True)
    assert cfg.command() == ("specxai-bench run --methods cam --metrics f0_band_mass --tasks voicing "
                             "--baselines none")  # `run` would add its reading baselines otherwise
    assert parse(cfg.command(), "--output", "/x", "--retrain", "--no-progress") == cfg


def test_plan_checks_method_options_on_the_architecture():
    base = dict(metrics=("formant_band_lift@formants=1",), tasks=("vowel5",), profile="smoke")
    checked = plan(RunConfig(methods=("gradcam@layer=layer3", "cam"), **base))
    assert checked.methods == ["gradcam@layer=layer3", "cam"] and checked.metrics == ["formant_band_lift@formants=1"]
    with pytest.raises(ConfigError, match=r"cam is defined only at the layer before global average pooling.*"
                                          r"gradcam@layer=layer3"):
        plan(RunConfig(methods=("cam@layer=layer3",), **base))
    with pytest.raises(ConfigError, match="has no layer 'layer9'"):
        plan(RunConfig(methods=("gradcam@layer=layer9",), **base))
    with pytest.raises(ConfigError, match="has no option 'layer'"):  # an input-level method has no layer
        plan(RunConfig(methods=("integrated_gradients@layer=layer3",), **base))


def test_cam_at_another_layer_exits_2_naming_why(tmp_path, capsys):
    code = main(["run", "--profile", "smoke", "--methods", "cam@layer=layer3", "--output", str(tmp_path / "o")])
    assert code == 2
    assert "cam is defined only at the layer before global average pooling" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # refused before any work


def test_experiment_builds_each_step_once_and_only_the_splits_asked_for(tmp_path):
    exp = Experiment.create(RunConfig(methods=("cam",), metrics=("f0_band_mass",), tasks=("voicing",),
                                      profile="smoke", output=tmp_path, progress=False))
    task = exp.plan.tasks[0]
    assert exp.corpus is exp.corpus and exp.selection(task) is exp.selection(task)
    test_only = exp.data(task, ("test",))
    assert len(test_only["train"]) == len(test_only["val"]) == 0 and len(test_only["test"]) > 0
    with pytest.raises(ConfigError.__mro__[1], match="no checkpoint .* recreate it with `specxai-bench run"):
        exp.model(task, train=False)  # a report never trains: it names the command that makes the model
    other = exp.with_corpus("synthetic", 1)
    assert other.fingerprint != exp.fingerprint and other.cfg is exp.cfg
    pooled = other.eval_data(task, ("val", "test"))
    assert len(pooled) == len(other.selection(task)["val"]) + len(other.selection(task)["test"])


def test_train_seed_defaults_to_the_seed_and_keeps_run_ids():
    """--train-seed moves only the model: absent (or equal to --seed) the run id is the one runs had
    before the option existed; another value is another run."""
    base = RunConfig(methods=("cam",), metrics=("f0_band_mass",), tasks=("voicing",), seed=2)
    assert base.model_seed == 2 and "train_seed" not in base.identity()
    assert RunConfig(**{**base.__dict__, "train_seed": 2}).identity() == base.identity()
    other = RunConfig(**{**base.__dict__, "train_seed": 7})
    assert other.model_seed == 7 and other.identity() == {**base.identity(), "train_seed": 7}
    assert "--train-seed 7" in other.command() and parse(other.command()) == other


def test_the_training_cap_draws_the_train_split_only_and_says_so(tmp_path, capsys):
    cfg = RunConfig(methods=("cam",), metrics=("f0_band_mass",), tasks=("vowel5",), profile="smoke", output=tmp_path,
                    progress=False, max_train_per_class=2)
    exp = Experiment.create(cfg)
    task = exp.plan.tasks[0]
    uncapped = Experiment.create(RunConfig(**{**cfg.__dict__, "max_train_per_class": 0})).selection(task)
    capped = exp.selection(task)
    counts = {c: sum(1 for _, k in capped["train"] if k == c) for c in range(len(task.classes))}
    assert set(counts.values()) == {2} and len({s.speaker for s, _ in capped["train"]}) >= 2
    ids = lambda items: [(s.id, c) for s, c in items]  # noqa: E731
    assert ids(capped["val"]) == ids(uncapped["val"]) and ids(capped["test"]) == ids(uncapped["test"])
    assert exp.train_caps["vowel5"] == {"per_class": 2, "available": len(uncapped["train"]), "kept": 10,
                                        "speakers": len({s.speaker for s, _ in capped["train"]})}
    assert "training set capped at 2 segments per class" in capsys.readouterr().err
    assert len(exp.eval_data(task, ("train",))) == len(uncapped["train"])  # evaluation sees every segment
    assert exp.profile.max_train_per_class == 2


def test_a_negative_training_cap_exits_2_naming_the_option(tmp_path, capsys):
    code = main(["run", "--profile", "smoke", "--max-train-per-class", "-1", "--output", str(tmp_path / "o")])
    assert code == 2 and "--max-train-per-class must be an integer of at least 0" in capsys.readouterr().err
