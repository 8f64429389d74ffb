import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specxai_bench.data.corpora.intervals import Interval
from specxai_bench.data.corpora.phn import parse_phn, read_phn, write_phn
from specxai_bench.errors import DataError


def test_reads_sample_offsets_as_seconds(tmp_path):
    p = tmp_path / "SA1.PHN"
    p.write_text("0 3050 h#\n3050 4559 sh\n\n4559 5723 ix\n")
    assert read_phn(p, 16000) == [Interval(0.0, 3050 / 16000, "h#"), Interval(3050 / 16000, 4559 / 16000, "sh"),
                                  Interval(4559 / 16000, 5723 / 16000, "ix")]


def test_gaps_are_allowed_and_write_round_trips(tmp_path):
    ivs = [Interval(0.1, 0.2, "aa"), Interval(0.3, 0.45, "iy")]
    write_phn(tmp_path / "x.PHN", ivs, 16000)
    assert (tmp_path / "x.PHN").read_text() == "1600 3200 aa\n4800 7200 iy\n"
    assert read_phn(tmp_path / "x.PHN", 16000) == ivs


@pytest.mark.parametrize("text, line, match", [
    ("0 100 aa\n100 200\n", 2, "expected 'start_sample end_sample label'"),
    ("0 100 aa\n100 2x0 iy\n", 2, "expected 'start_sample end_sample label'"),
    ("0 100 aa extra\n", 1, "expected"),
    ("0 100 aa\n300 200 iy\n", 2, "end <= start"),
    ("0 100 aa\n100 100 iy\n", 2, "end <= start"),
    ("100 200 aa\n0 100 iy\n", 2, "sorted"),
    ("0 200 aa\n\n150 300 iy\n", 3, "overlaps"),
    ("-5 100 aa\n", 1, "before 0"),
])
def test_bad_lines_name_file_and_line(tmp_path, text, line, match):
    p = tmp_path / "bad.PHN"
    p.write_text(text)
    with pytest.raises(DataError, match=match) as e:
        read_phn(p, 16000)
    assert f"{p}, line {line}" in str(e.value)


def test_intervals_past_the_end_of_the_audio(tmp_path):
    p = tmp_path / "long.PHN"
    p.write_text("0 1600 aa\n1600 3200 iy\n")
    with pytest.raises(DataError, match="line 2.*past the end"):
        read_phn(p, 16000, n_samples=2000)
    # an overshoot within 10 ms (aligner rounding) is clipped to the audio's end
    assert read_phn(p, 16000, n_samples=3100)[-1] == Interval(0.1, 3100 / 16000, "iy")


@pytest.mark.parametrize("data", [b"", b"\n \n", b"\xff\xfe\x00garbage\x81"])
def test_empty_or_binary_files(tmp_path, data):
    p = tmp_path / "x.PHN"
    p.write_bytes(data)
    with pytest.raises(DataError, match=str(p)):
        read_phn(p, 16000)


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        read_phn(tmp_path / "nope.PHN", 16000)


def test_labels_with_whitespace_cannot_be_written(tmp_path):
    with pytest.raises(DataError, match="cannot be written"):
        write_phn(tmp_path / "x.PHN", [Interval(0, 0.1, "a a")], 16000)


ROW = st.tuples(st.integers(-10, 10**6), st.integers(-10, 10**6), st.sampled_from(["aa", "h#", "ix"]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300),
                 st.lists(ROW, max_size=20).map(lambda rows: "\n".join(f"{a} {b} {c}" for a, b, c in rows))),
       st.one_of(st.none(), st.integers(0, 10**6)))
def test_fuzz_text_only_raises_data_error(text, n_samples):
    try:
        out = parse_phn(text, 16000, n_samples=n_samples)
    except DataError:
        return
    assert all(iv.end > iv.start >= 0 for iv in out)
    assert all(a.end <= b.start + 1e-9 for a, b in zip(out, out[1:]))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_fuzz_bytes_only_raise_data_error(tmp_path, data):
    p = tmp_path / "fuzz.PHN"
    p.write_bytes(data)
    try:
        read_phn(p, 16000)
    except DataError:
        pass
