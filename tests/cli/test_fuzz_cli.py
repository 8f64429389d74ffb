"""Fuzzing the CLI and config parsing: any argv gives a parse, a usage error (exit 2) or the
toolkit's own clear error — never another exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specxai_bench.cli import build_parser
from specxai_bench.errors import SpecXAIError
from specxai_bench.experiment import RunConfig, plan

OPTIONS = ["--methods", "--metrics", "--tasks", "--corpus", "--profile", "--arch", "--device", "--seed",
           "--target", "--batch-size", "--call-timeout", "--weights"]
WORDS = st.sampled_from(["cam", "gradcam", "all", "grad*", "x*", "", ",", "cam,,", "vowel5", "voicing", "cuda",
                         "cpu", "auto", "smoke", "paper", "resnet18", "vgg", "aligned:", "synthetic:x", "-1",
                         "0", "1e9", "nan", "true", "predicted", "ljspeech:a", "🙂", "--", "/dev/null"])
TOKENS = st.one_of(st.sampled_from(OPTIONS), WORDS, st.text(max_size=12))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TOKENS, max_size=8))
def test_run_arguments_parse_or_fail_cleanly(argv):
    parser = build_parser()
    try:
        args = parser.parse_args(["run", "--output", "/nonexistent/never-written", *argv])
    except SystemExit as exc:
        assert exc.code == 2
        return
    cfg = RunConfig(methods=tuple(args.methods.split(",")), metrics=tuple(args.metrics.split(",")),
                    tasks=tuple(args.tasks.split(",")), corpus=args.corpus, profile=args.profile, arch=args.arch,
                    device=args.device, seed=args.seed, output=Path(args.output), target=args.target,
                    batch_size=args.batch_size, weights=args.weights, call_timeout=args.call_timeout)
    try:
        plan(cfg)
    except SpecXAIError as exc:
        assert str(exc)
    else:  # what passes validation is usable
        assert cfg.batch_size >= 1 and cfg.call_timeout >= 0


@pytest.fixture(autouse=True)
def _quiet(capsys):
    yield
    capsys.readouterr()
