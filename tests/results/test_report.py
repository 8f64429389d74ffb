"""The report on a real smoke run: figures from the checkpoint, tables from the rows."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from specxai_bench.results.aggregate import BoardConfig
from specxai_bench.results.board import build_board
from specxai_bench.results.report import load_context

FAST = BoardConfig(n_resamples=999)


def count_rows(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM rows").fetchone()[0]


def test_rebuilt_test_split_and_model_match_the_run(smoke_store):
    from specxai_bench.model.predict import predict

    board = build_board([smoke_store], FAST)
    (model_id,) = board.models("voicing")
    ctx = load_context(board, "voicing", model_id, {})
    assert not isinstance(ctx, str), ctx
    assert set(ctx.test.ids) == set(board.sources.rows.loc[board.sources.rows["task"] == "voicing", "sample"])
    assert set(ctx.durations) == set(ctx.test.ids) and all(0 < d < 1 for d in ctx.durations.values())
    acc = float((predict(ctx.model, ctx.test.images, "cpu", 32) == ctx.test.targets).float().mean())
    assert acc == pytest.approx(board.sources.models[("voicing", model_id)]["test_accuracy"], abs=1e-6)


def test_report_page_tables_and_figures(smoke_store, smoke_report):
    out, written, before = smoke_report  # build_report([smoke_store], out, per_class=2), shared with test_html
    assert count_rows(smoke_store) == before  # never re-scored
    page = (out / "report.md").read_text()
    names = {p.relative_to(out).as_posix() for p in written}
    for kind in ("overlay", "bands", "confusion"):
        png = [n for n in names if n.startswith("figures/voicing-") and n.endswith(f"-{kind}.png")]
        assert len(png) == 1 and png[0].replace(".png", ".pdf") in names
        assert f"]({png[0]})" in page
        assert (out / png[0]).read_bytes().startswith(b"\x89PNG")
    assert "| cam |" in page and "| *input_energy* † |" in page and "f0_band_lift@below700hz v1 ↑" in page
    assert {"tables/index.md", "tables/voicing.md", "tables/voicing.tex"} <= names
    assert "## Provenance" in page and "specxai-bench run" in page
    assert not np.any([n.endswith(".tmp") for n in names])
