"""Profile overrides for reduced-size runs: one check, shared by `run` and `study`."""

from __future__ import annotations

import pytest

from specxai_bench.errors import ConfigError
from specxai_bench.model.profiles import PROFILES, SIZE_OVERRIDES, check_size_overrides


def test_overrides_replace_only_what_is_given():
    paper = PROFILES["paper"]
    small = paper.with_overrides(epochs=1, image_size=64, speakers_per_group=3)
    assert (small.epochs, small.image_size, small.corpus.speakers_per_group) == (1, 64, 3)
    assert (small.arch, small.lr, small.batch_size, small.patience) == (paper.arch, paper.lr, paper.batch_size,
                                                                         paper.patience)
    assert small.corpus.vowel_tokens == paper.corpus.vowel_tokens
    assert paper.with_overrides() is paper


@pytest.mark.parametrize("name, value", [("epochs", 0), ("epochs", -1), ("image_size", 31), ("image_size", 0),
                                         ("speakers_per_group", 2), ("speakers_per_group", -3),
                                         ("epochs", 1.5), ("image_size", True)])
def test_values_below_the_minimum_name_the_option(name, value):
    flag = "--" + name.replace("_", "-")
    with pytest.raises(ConfigError, match=f"{flag} must be an integer of at least {SIZE_OVERRIDES[name]}"):
        PROFILES["cpu"].with_overrides(**{name: value})


def test_the_minimums_themselves_are_accepted():
    check_size_overrides(**SIZE_OVERRIDES)
    check_size_overrides(epochs=None, image_size=None, speakers_per_group=None)


def test_the_hard_synthetic_corpus_trains_longer_unless_epochs_are_given(tmp_path):
    from specxai_bench.experiment import RunConfig, plan

    cpu = PROFILES["cpu"]
    assert cpu.for_corpus("synthetic:hard").epochs == 12 and cpu.for_corpus("synthetic:hard").lr == cpu.lr
    for spec in ("synthetic", "synthetic:easy", "aligned:/data/timit", "ljspeech:a,b"):
        assert cpu.for_corpus(spec) is cpu
    assert PROFILES["smoke"].for_corpus("synthetic:hard").epochs == 2  # 1.5 x 1, rounded

    def planned(**kw):
        return plan(RunConfig(methods=("cam",), metrics=("formant_band_mass",), tasks=("voicing",), profile="smoke",
                              device="cpu", output=tmp_path, **kw)).profile.epochs

    assert planned(corpus="synthetic:hard") == 2 and planned(corpus="synthetic") == 1
    assert planned(corpus="synthetic:hard", epochs=5) == 5  # --epochs says exactly how long
