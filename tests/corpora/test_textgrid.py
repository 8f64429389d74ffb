import parselmouth
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from parselmouth.praat import call

from specxai_bench.data.corpora.intervals import Interval
from specxai_bench.data.corpora.textgrid import (
    parse_textgrid,
    read_phones,
    read_textgrid,
    select_tier,
    write_textgrid,
)
from specxai_bench.errors import DataError

SHORT = '''File type = "ooTextFile"
Object class = "TextGrid"

0
1
<exists>
2
"IntervalTier"
"words"
0
1
1
0
1
"hello"
"IntervalTier"
"phones"
0
1
3
0
0.25
""
0.25
0.5
"AA1"
0.5
1
"say ""hi"""
'''


def _praat_grid():
    tg = call("Create TextGrid", 0, 1.0, "words phones events", "events")
    call(tg, "Insert boundary", 2, 0.3)
    call(tg, "Insert boundary", 2, 0.6)
    call(tg, "Set interval text", 2, 2, "AA1")
    call(tg, "Set interval text", 2, 3, 'é "q"')  # non-ASCII: Praat writes UTF-16
    call(tg, "Insert point", 3, 0.5, "x")
    return tg


EXPECTED = [Interval(0.0, 0.3, ""), Interval(0.3, 0.6, "AA1"), Interval(0.6, 1.0, 'é "q"')]


@pytest.mark.parametrize("fmt", ["Save as text file", "Save as short text file"])
def test_reads_what_praat_writes(tmp_path, fmt):
    p = str(tmp_path / "x.TextGrid")
    call(_praat_grid(), fmt, p)
    grid = read_textgrid(p)
    assert [(t.name, t.kind) for t in grid.tiers] == [("words", "IntervalTier"), ("phones", "IntervalTier"),
                                                      ("events", "TextTier")]
    assert grid.tiers[2].intervals == (Interval(0.5, 0.5, "x"),)
    assert read_phones(p, duration=1.0) == EXPECTED


def test_short_format_and_quote_escapes():
    grid = parse_textgrid(SHORT)
    assert select_tier(grid).intervals[-1] == Interval(0.5, 1.0, 'say "hi"')
    assert select_tier(grid, "words").intervals == (Interval(0, 1, "hello"),)


def test_praat_reads_what_we_write(tmp_path):
    p = tmp_path / "w.TextGrid"
    ivs = [Interval(0.1, 0.2, "aa"), Interval(0.2, 0.35, 'x"y')]
    write_textgrid(p, {"words": [Interval(0.1, 0.35, "a")], "phones": ivs}, xmax=0.5)
    tg = parselmouth.read(str(p))
    assert call(tg, "Get number of tiers") == 2
    assert call(tg, "Get number of intervals", 2) == 4  # gaps filled with empty intervals
    assert call(tg, "Get label of interval", 2, 3) == 'x"y'
    assert [iv for iv in read_phones(p) if iv.label] == ivs


@pytest.mark.parametrize("names, chosen", [
    (["words", "phones"], "phones"), (["Phone", "words"], "Phone"), (["words", "phonemes"], "phonemes"),
    (["spk1 - words", "spk1 - phones"], "spk1 - phones"), (["segments"], "segments"),
])
def test_phone_tier_is_picked_by_name(tmp_path, names, chosen):
    p = tmp_path / "t.TextGrid"
    write_textgrid(p, {n: [Interval(0, 0.5, n)] for n in names}, xmax=1.0)
    assert select_tier(read_textgrid(p)).name == chosen


def test_no_or_several_phone_tiers_ask_for_tier(tmp_path):
    p = tmp_path / "t.TextGrid"
    for tiers in ({"words": [], "syllables": []}, {"words": []}):
        write_textgrid(p, tiers, xmax=1.0)
        with pytest.raises(DataError, match="no phone tier among"):
            select_tier(read_textgrid(p))
    write_textgrid(p, {"a - phones": [], "b - phones": []}, xmax=1.0)
    with pytest.raises(DataError, match="several phone tiers"):
        select_tier(read_textgrid(p))
    with pytest.raises(DataError, match="no tier named 'x'"):
        select_tier(read_textgrid(p), "x")


def test_overlapping_intervals_name_the_line(tmp_path):
    p = tmp_path / "o.TextGrid"
    p.write_text(SHORT.replace("0.5\n1\n\"say", "0.4\n1\n\"say"))
    with pytest.raises(DataError, match=r"line 2[0-9]: interval 'say \"hi\"'.*overlaps"):
        read_phones(p)


def test_interval_past_the_end_of_the_audio(tmp_path):
    p = tmp_path / "e.TextGrid"
    p.write_text(SHORT)
    with pytest.raises(DataError, match="past the end of the audio"):
        read_phones(p, duration=0.8)
    assert read_phones(p, duration=0.995)[-1].end == 0.995  # within 10 ms: clipped


@pytest.mark.parametrize("text, match", [
    (SHORT[:150], "ends early"),
    (SHORT.replace("3\n0\n0.25", "4\n0\n0.25"), "ends early|expected a number"),
    (SHORT.replace("\n2\n\"IntervalTier\"", "\n1\n\"IntervalTier\""), "unexpected"),
    (SHORT.replace('"TextGrid"', '"Sound"'), "not a TextGrid"),
    (SHORT.replace('"ooTextFile"', '"xx"'), "not a Praat text file"),
    (SHORT.replace('"IntervalTier"\n"words"', '"Foo"\n"words"'), "expected IntervalTier or TextTier"),
    (SHORT.replace("<exists>\n2", "<exists>\n1.5"), "whole number"),
    (SHORT.replace("0.25\n0.5", "0.25\n1e999"), "finite"),
    ("", "ends early"),
], ids=["truncated", "count-too-big", "count-too-small", "not-textgrid", "not-praat", "bad-class", "fractional-count",
        "infinite", "empty"])
def test_malformed_files_raise_data_error(tmp_path, text, match):
    p = tmp_path / "bad.TextGrid"
    p.write_text(text)
    with pytest.raises(DataError, match=match) as e:
        read_phones(p)
    assert str(p) in str(e.value)


def test_binary_praat_files_are_refused(tmp_path):
    p = tmp_path / "b.TextGrid"
    call(_praat_grid(), "Save as binary file", str(p))
    with pytest.raises(DataError, match="binary"):
        read_textgrid(p)


def test_point_tier_cannot_be_the_phone_tier(tmp_path):
    p = tmp_path / "pt.TextGrid"
    call(_praat_grid(), "Save as text file", str(p))
    with pytest.raises(DataError, match="point tier"):
        read_phones(p, tier="events")


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ALPHABET = st.sampled_from(list('"<>[]=:\n 0123456789.-e') + ["<exists>", "IntervalTier", "TextTier", "ooTextFile",
                                                               "TextGrid", "xmin", '""'])


@FUZZ
@given(st.text(max_size=400))
def test_fuzz_random_text_only_raises_data_error(text):
    try:
        parse_textgrid(text)
    except DataError:
        pass


@FUZZ
@given(st.lists(ALPHABET, max_size=120).map("".join))
def test_fuzz_token_soup_only_raises_data_error(text):
    try:
        parse_textgrid('File type = "ooTextFile"\nObject class = "TextGrid"\n' + text)
    except DataError:
        pass


@FUZZ
@given(st.integers(0, len(SHORT)), st.integers(0, 40), st.text(max_size=20))
def test_fuzz_mutated_textgrid_only_raises_data_error(at, cut, insert):
    try:
        grid = parse_textgrid(SHORT[:at] + insert + SHORT[at + cut:])
        read_ok = select_tier(grid)
    except DataError:
        return
    assert read_ok.kind in ("IntervalTier", "TextTier")


@FUZZ
@given(st.binary(max_size=400))
def test_fuzz_random_bytes_only_raise_data_error(tmp_path, data):
    p = tmp_path / "fuzz.TextGrid"
    p.write_bytes(data)
    try:
        read_phones(p, duration=1.0)
    except DataError:
        pass
