import pytest

from specxai_bench.data.corpora.labels import (
    ARPABET,
    IGNORED,
    REDUCED,
    TIMIT_MAP,
    LabelCounts,
    check_label_set,
    count_labels,
    normalise_label,
)
from specxai_bench.errors import ConfigError

TIMIT_61 = ("iy ih eh ey ae aa aw ay ah ao oy ow uh uw ux er ax ix axr ax-h jh ch b d g p t k dx s sh z zh f th "
            "v dh m n ng em nx en eng l r w y hh hv el bcl dcl gcl pcl tcl kcl q pau epi h#").split()


def test_arpabet_is_the_39_cmu_phones():
    assert len(ARPABET) == 39
    assert {"iy", "ae", "ah", "aa", "uw", "zh", "ng", "hh"} <= ARPABET
    assert set(TIMIT_MAP.values()) <= ARPABET and set(REDUCED.values()) <= ARPABET


@pytest.mark.parametrize("raw, phone", [("AA1", "aa"), ("AH1", "ah"), ("ah2", "ah"), ("ER2", "er"), (" iy ", "iy"),
                                        ("ZH", "zh")])
def test_stress_digits_and_case_are_stripped(raw, phone):
    assert normalise_label(raw) == (phone, "kept")


@pytest.mark.parametrize("raw, reduced", [("ax", "ax"), ("AX-H", "ax-h"), ("ix", "ix"), ("axr", "axr"),
                                          ("AH0", "ax"), ("schwa", "ax"), ("@", "ax"), ("ə", "ax")])
def test_schwa_stays_out_of_ah_by_default_and_in_with_the_timit_opt_in(raw, reduced):
    assert normalise_label(raw) == (reduced, "reduced")
    folded = {"ax": "ah", "ax-h": "ah", "ix": "ih", "axr": "er"}[reduced]
    assert normalise_label(raw, "timit") == (folded, "mapped")


def test_unknown_folding_is_refused():
    with pytest.raises(ConfigError, match="unknown label folding 'cmu'.*none, timit"):
        normalise_label("aa", "cmu")


@pytest.mark.parametrize("raw", sorted(TIMIT_MAP))
def test_timit_labels_are_mapped(raw):
    assert normalise_label(raw.upper()) == (TIMIT_MAP[raw], "mapped")


def test_named_timit_mappings():
    pairs = {"ix": "ih", "ax": "ah", "axr": "er", "ux": "uw", "el": "l", "em": "m", "en": "n", "nx": "n",
             "hv": "hh", "eng": "ng", "ax-h": "ah"}
    assert {k: normalise_label(k, "timit")[0] for k in pairs} == pairs


@pytest.mark.parametrize("raw", sorted(IGNORED) + ["SIL", "SPN", "H#", "  "])
def test_closures_pauses_and_silences_are_ignored(raw):
    assert normalise_label(raw) == (None, "ignored")


@pytest.mark.parametrize("raw", ["xyz", "ɑː", "aa9", "a", "<unk>"])
def test_unknown_labels_give_none_and_the_reason(raw):
    assert normalise_label(raw) == (None, "unknown")


def test_every_timit_label_has_an_outcome_other_than_unknown():
    assert len(TIMIT_61) == 61
    assert [lab for lab in TIMIT_61 if normalise_label(lab)[1] == "unknown"] == []


def test_count_labels_tallies_each_outcome():
    counts = count_labels(["AA1", "aa", "ix", "AH0", "ux", "h#", "sil", "ɑː", "ɑː"])
    assert counts == LabelCounts(kept={"aa": 2}, mapped={"ux->uw": 1}, reduced={"ix": 1, "ah0->ax": 1},
                                 ignored={"h#": 1, "sil": 1}, unknown={"ɑː": 2})
    text = counts.summary()
    assert "mapped labels: 1 (ux->uw x1)" in text and "unknown labels: 2" in text and "ɑː x2" in text
    assert "reduced vowels kept apart, not folded into full vowels (--label-folding timit folds them): 2" in text
    folded = count_labels(["ix", "AH0"], "timit")
    assert folded == LabelCounts(mapped={"ix->ih": 1, "ah0->ah": 1})


def test_label_selection_is_checked():
    assert check_label_set(None) is None
    assert check_label_set(["iy", "aa"]) == frozenset({"iy", "aa"})
    with pytest.raises(ConfigError, match="did you mean 'iy'"):
        check_label_set(["iy1"])
    with pytest.raises(ConfigError, match="not the string"):
        check_label_set("iy")
    with pytest.raises(ConfigError, match="empty"):
        check_label_set([])
