"""Fuzzing the CLI and config parsing: any argv gives a parse, a usage error (exit 2) or the
toolkit's own clear error — never another exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specxai_bench.cli import build_parser
from specxai_bench.cli.run import config_from_args
from specxai_bench.errors import SpecXAIError
from specxai_bench.experiment import plan

OPTIONS = ["--methods", "--metrics", "--tasks", "--corpus", "--profile", "--arch", "--device", "--seed",
           "--target", "--batch-size", "--call-timeout", "--weights"]
WORDS = st.sampled_from(["cam", "gradcam", "all", "grad*", "x*", "", ",", "cam,,", "vowel5", "voicing", "cuda",
                         "cpu", "auto", "smoke", "paper", "resnet18", "vgg", "aligned:", "synthetic:x", "-1",
                         "0", "1e9", "nan", "true", "predicted", "ljspeech:a", "🙂", "--", "/dev/null", "cam@layer=layer3",
                         "gradcam@layer=", "gradcam@layer=layer2", "@", "x@y", "grid=7x7", "formant_band_lift@formants=1+9",
                         "integrated_gradients@n_steps=-1", "random@seed=x", "a@b=c,d=e"])
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
    try:
        cfg = config_from_args(args)
        plan(cfg)
    except SpecXAIError as exc:
        assert str(exc)
    else:  # what passes validation is usable
        assert cfg.batch_size >= 1 and cfg.call_timeout >= 0


@pytest.fixture(autouse=True)
def _quiet(capsys):
    yield
    capsys.readouterr()
