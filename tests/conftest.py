"""Shared fixtures: progress bars off, a small synthetic corpus built once per session, the CLI run in
this process, and one smoke run shared by the end-to-end tests."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("SPECXAI_PROGRESS", "0")


@pytest.fixture(scope="session")
def small_corpus():
    from specxai_bench.data.corpora.synthetic import SyntheticConfig, synthesize

    return synthesize(SyntheticConfig(speakers_per_group=3, vowel_tokens=2, consonant_tokens=1))


@pytest.fixture(scope="module")
def one_torch_thread():
    """Small images: a second intra-op thread only adds overhead (and thrashes on a busy machine).

    Use with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True, scope="session")
def shared_cache_in_tmp(tmp_path_factory):
    """The cache shared by output folders (Praat tracks; normally ~/.cache/specxai-bench) in a temp
    folder, for this process and the subprocesses tests start: tests never touch the user's cache."""
    before = os.environ.get("SPECXAI_CACHE")
    os.environ["SPECXAI_CACHE"] = str(tmp_path_factory.mktemp("shared-cache"))
    yield
    if before is None:
        os.environ.pop("SPECXAI_CACHE", None)
    else:
        os.environ["SPECXAI_CACHE"] = before


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def _run_cli(*argv: object) -> CliResult:
    """`specxai-bench ARGV` in this process, its output captured: the same code path as the console script
    without a new interpreter's start-up and imports (~4 s a call). The console script itself runs as a
    subprocess in the end-to-end tests (``smoke_run``, tests/test_resume.py, tests/test_distributed.py)."""
    from specxai_bench.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def run_cli():
    """:func:`_run_cli`, for tests and for fixtures of any scope."""
    return _run_cli


@dataclass(frozen=True)
class SmokeRun:
    argv: tuple[str, ...]  # the command's arguments without --output
    output: Path
    result: subprocess.CompletedProcess


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> SmokeRun:
    """The default smoke run (three tasks, CAM and Grad-CAM) through the console entry point, once per session,
    with two epochs (the profile's one leaves no resume state for tests/test_resume.py to kill a run after).
    Read-only: a test that runs again in its folder works on a copy."""
    argv = ("run", "--profile", "smoke", "--epochs", "2", "--methods", "cam,gradcam", "--no-progress",
            "--batch-size", "4")
    out = tmp_path_factory.mktemp("smoke-run") / "run"
    res = subprocess.run([sys.executable, "-m", "specxai_bench", *argv, "--output", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    return SmokeRun(argv, out, res)
