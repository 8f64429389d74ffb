"""Arguments and outputs: each bad one exits 2 naming the item, and nothing half-written stays.

Disk full while the training resume state is written, `leaderboard --out` on a file or a
read-only folder, out-of-range seeds, an empty --output, a task given twice, and leaderboard or
corpus export killed while writing (their hidden temp files are removed by the next write).
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from specxai_bench.cli import main
from specxai_bench.errors import ConfigError
from specxai_bench.experiment import RunConfig, plan


def _run(out: Path, *extra: str) -> int:
    return main(["run", "--profile", "smoke", "--tasks", "voicing", "--methods", "cam", "--output", str(out),
                 "--no-progress", *extra])


def hidden_temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith((".tmp", ".old")))


def test_disk_full_while_the_resume_state_is_written_exits_2_with_the_state_consistent(tmp_path, capsys,
                                                                                       monkeypatch):
    from specxai_bench.model import training

    real, calls = training.atomic_write, []

    def fills_the_disk(path, write):
        calls.append(path)
        if len(calls) == 2:  # the resume state after epoch 2: half written, then the disk is full
            def half(f):
                f.write(b"\0" * 4096)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(path, half)
        return real(path, write)

    monkeypatch.setattr(training, "atomic_write", fills_the_disk)
    out = tmp_path / "out"
    assert _run(out, "--epochs", "3") == 2  # resume states after epochs 1 and 2; the checkpoint after 3
    err = capsys.readouterr().err
    assert "could not write the training resume state" in err and "after epoch 2 (No space left on device)" in err
    assert "the state after epoch 1 is kept" in err and "rerun the same command" in err
    checkpoints = out / "checkpoints"
    (resume,) = checkpoints.glob("*.resume.pt")
    assert torch.load(resume, weights_only=True)["progress"]["epoch"] == 1  # the previous state, whole
    assert sorted(p.name for p in checkpoints.iterdir()) == [resume.name]  # no temp, no checkpoint
    monkeypatch.undo()
    assert _run(out, "--epochs", "3") == 0
    assert "resuming training after epoch 1" in capsys.readouterr().err


def test_disk_full_while_the_checkpoint_is_written_keeps_the_last_resume_state(tmp_path, capsys, monkeypatch):
    from specxai_bench.model import training

    def full_disk(path, model, meta):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(training, "save_checkpoint", full_disk)
    out = tmp_path / "out"
    assert _run(out, "--epochs", "2") == 2  # a resume state after the first epoch, the checkpoint after the second
    err = capsys.readouterr().err
    assert "could not write the checkpoint" in err and "(No space left on device); free disk space" in err
    (resume,) = (out / "checkpoints").glob("*.resume.pt")
    assert f"training resumes from the state kept in {resume.name}" in err
    assert torch.load(resume, weights_only=True)["progress"]["epoch"] == 1
    monkeypatch.undo()
    assert _run(out, "--epochs", "2") == 0
    assert "resuming training after epoch 1" in capsys.readouterr().err
    assert not list((out / "checkpoints").glob("*.resume.pt"))  # the checkpoint written, the state removed


def _read_only_folder(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
        return folder
    if not os.path.isdir("/sys/kernel"):  # root writes anywhere chmod allows; sysfs refuses even root
        pytest.skip("running as root without /sys/kernel: no read-only folder to try")
    return Path("/sys/kernel")


@pytest.mark.parametrize("where", ["file", "read-only folder"])
def test_leaderboard_out_that_cannot_be_written_exits_2(where, trained, tmp_path, capsys):
    if where == "file":
        out = tmp_path / "board.md"
        out.write_text("not a folder")
        expected = "is a file, not a folder"
    else:
        out = _read_only_folder(tmp_path) / "board"
        expected = "is not writable"
    for command in ("leaderboard", "report"):
        rc = main([command, "--results", str(trained / "results.sqlite"), "--out", str(out)])
        err = capsys.readouterr().err
        assert rc == 2 and f"--out {out}" in err and expected in err, err


@pytest.mark.parametrize("seed", ["-1", "1e23", str(10**23)])
def test_an_out_of_range_seed_exits_2_before_anything_is_written(seed, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        _run(tmp_path / "out", f"--seed={seed}")
    assert info.value.code == 2 and "--seed" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    with pytest.raises(ConfigError, match="--seed must be an integer from 0 to 4294967295"):
        plan(RunConfig(methods=("cam",), metrics=("f0_band_mass",), tasks=("voicing",), seed=-1))


def test_an_empty_output_is_refused_rather_than_writing_into_the_current_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv in (["run", "--profile", "smoke", "--output", ""], ["leaderboard", "--results", "x.sqlite", "--out", ""],
                 ["corpus", "export", ""]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2 and "empty path" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="--output is empty"):
        RunConfig(methods=("cam",), metrics=("f0_band_mass",), tasks=("voicing",), output="")
    assert not list(tmp_path.iterdir())


def test_a_task_given_twice_runs_and_prints_once(output_with_model, capsys):
    assert _run(output_with_model, "--tasks", "voicing,voicing") == 0
    assert capsys.readouterr().out.count("### voicing") == 1
    cfg = RunConfig(methods=("cam", "cam"), metrics=("f0_band_mass",), tasks=("voicing", "voicing"))
    assert cfg.tasks == ("voicing",) and cfg.methods == ("cam",) and "--tasks voicing " in cfg.command() + " "


KILLED_AT_RENAME = """
import os, signal, sys
from pathlib import Path
os.replace = os.rename = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)  # killed mid-write
{body}
"""


def _killed(body: str) -> None:
    code = textwrap.dedent(KILLED_AT_RENAME).format(body=textwrap.dedent(body))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == -9, res.stderr[-2000:]


def test_a_killed_leaderboard_leaves_no_temp_files_after_the_next_write(trained, tmp_path, monkeypatch):
    import specxai_bench.io as io

    store, out = trained / "results.sqlite", tmp_path / "board"
    assert main(["leaderboard", "--results", str(store), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _killed(f"""
        from specxai_bench.cli import main
        main(["leaderboard", "--results", {str(store)!r}, "--out", {str(out)!r}, "--n-resamples", "500"])
    """)
    assert hidden_temps(out)  # what SIGKILL left behind ...
    assert {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")} == before  # ... files whole
    monkeypatch.setattr(io, "_swept", set(), raising=False)  # as in a new process
    assert main(["leaderboard", "--results", str(store), "--out", str(out)]) == 0
    assert not hidden_temps(out)


def test_a_killed_corpus_export_leaves_no_temp_folder_after_the_next_export(small_corpus, tmp_path):
    from specxai_bench.data.corpora.export import export_corpus

    out = tmp_path / "aligned"
    _killed(f"""
        from specxai_bench.data.corpora.export import export_corpus
        from specxai_bench.data.corpora.synthetic import SyntheticConfig, synthesize
        export_corpus(synthesize(SyntheticConfig(speakers_per_group=3, vowel_tokens=2, consonant_tokens=1),
                                 progress=False), Path({str(out)!r}))
    """)
    assert hidden_temps(tmp_path) and not out.exists()
    export_corpus(small_corpus, out)
    assert not hidden_temps(tmp_path) and (out / "speakers.csv").exists()
