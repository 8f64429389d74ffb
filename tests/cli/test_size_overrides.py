"""`run --epochs/--image-size/--speakers-per-group`: checked before any work, part of the model's config
hash, recorded in the manifest; the same flags (one implementation) on `study`."""

from __future__ import annotations

import json

import pytest

from specxai_bench.cli import build_parser, main

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # 32-px images


@pytest.mark.parametrize("command", [["run"], ["study", "cutoff"], ["study", "groups"]])
@pytest.mark.parametrize("flag, value, message", [
    ("--epochs", "0", "--epochs must be an integer of at least 1, got 0"),
    ("--epochs", "-2", "--epochs must be an integer of at least 1, got -2"),
    ("--image-size", "16", "--image-size must be an integer of at least 32, got 16"),
    ("--speakers-per-group", "2", "--speakers-per-group must be an integer of at least 3, got 2"),
])
def test_invalid_sizes_exit_2_before_any_work(command, flag, value, message, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main([*command, "--profile", "smoke", flag, value, "--output", str(out), "--no-progress"])
    assert rc == 2 and message in capsys.readouterr().err
    assert not out.exists()


def test_speakers_per_group_needs_the_synthetic_corpus(tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["run", "--corpus", f"aligned:{tmp_path}", "--speakers-per-group", "4", "--output", str(out)])
    assert rc == 2 and "--speakers-per-group sizes the synthetic corpus" in capsys.readouterr().err
    assert not out.exists()


def test_run_and_study_share_the_flags():
    sub = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001 - argparse has no public accessor
    run = {a.dest: a for a in sub["run"]._actions}
    cutoff = {a.dest: a for a in sub["study"]._subparsers._group_actions[0].choices["cutoff"]._actions}
    for dest in ("epochs", "image_size", "speakers_per_group"):
        assert run[dest].help == cutoff[dest].help and run[dest].default is None


def test_overrides_reach_the_checkpoint_hash_and_the_manifest(tmp_path, capsys):
    out = tmp_path / "run"
    base = ["run", "--profile", "smoke", "--tasks", "vowel5-4k", "--methods", "cam", "--metrics", "formant_band_lift",
            "--image-size", "32", "--speakers-per-group", "4", "--output", str(out), "--no-progress"]
    assert main([*base, "--epochs", "1"]) == 0
    text = capsys.readouterr().out
    assert "### vowel5-4k — profile smoke, resnet18, 32x32 px" in text and text.count("rows: ") == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert {k: manifest["config"][k] for k in ("epochs", "image_size", "speakers_per_group")} == {
        "epochs": 1, "image_size": 32, "speakers_per_group": 4}
    prof = manifest["profile"]
    assert (prof["epochs"], prof["image_size"], prof["corpus"]["speakers_per_group"]) == (1, 32, 4)
    assert "--epochs 1 --image-size 32 --speakers-per-group 4" in manifest["command"]
    (first,) = (out / "checkpoints").glob("vowel5-4k-resnet18-32px-*.pt")
    # another epoch count is another model: a new checkpoint name (config hash), never the 1-epoch model
    assert main([*base, "--epochs", "2"]) == 0
    names = sorted(p.name for p in (out / "checkpoints").glob("vowel5-4k-*.pt"))
    assert len(names) == 2 and first.name in names
    manifest2 = json.loads((out / "manifest.json").read_text())
    assert manifest2["run"] != manifest["run"] and manifest2["profile"]["epochs"] == 2
    assert manifest2["models"]["vowel5-4k"]["config_hash"] != manifest["models"]["vowel5-4k"]["config_hash"]
    assert manifest2["models"]["vowel5-4k"]["cached"] is False
