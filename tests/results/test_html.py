"""The HTML report: self-contained, every task's board with a legend, figures inline, a note that says how
to get missing checkpoints, and a page that renders in headless Chromium without errors."""

from __future__ import annotations

import io
import json
import os
import re
import stat

import numpy as np
import pandas as pd
import pytest

from specxai_bench.results import aggregate
from specxai_bench.results.aggregate import BoardConfig
from specxai_bench.results.board import build_board
from specxai_bench.results.html import _inline, legend_html, markdown_html
from specxai_bench.results.render import markdown_main_table
from specxai_bench.results.report import build_report

FAST = BoardConfig(n_resamples=999)
TASKS = ["vowel5-4k", "voicing"]  # the registry's order


@pytest.fixture(scope="module")
def report(smoke_report):
    out, written, _ = smoke_report
    return out, written


def test_page_is_self_contained_with_every_tasks_board_and_legend(report) -> None:
    out, _ = report
    page = (out / "index.html").read_text()
    assert not re.search(r"<(script|link|iframe)\b", page)  # no script, no stylesheet or frame to fetch
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page) and "@import" not in page and "url(" not in page
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    boards = re.findall(r'<table class="board" data-task="([^"]+)"', page)
    assert list(dict.fromkeys(boards)) == TASKS  # each task's boards (one table per metric family), in order
    assert page.count('<section class="task"') == 2 and page.count("<details>") == 2
    # short column names (the leaderboards' aliases), each explained: full id, version, direction, definition link
    assert re.search(r"<th[^>]*>fb.lift ↑</th>", page) and re.search(r"<th[^>]*>f0b.lift ↑</th>", page)
    assert "<dt>fb.lift</dt>" in page
    assert "<code>formant_band_lift@F123,w100hz,10pct</code> v1 ↑" in page
    assert re.search(r'<a href="[^"]*docs/metrics.md#formant_band_lift">', page)
    assert page.count("data:image/png") == 6  # per task: confusion matrix, overlays, band profiles
    assert "Test accuracy: <strong>" in page and "<h2>Provenance</h2>" in page


def test_every_output_is_0644(report) -> None:
    out, written = report
    assert {p.name for p in written} >= {"index.html", "report.md"}
    for path in [p for p in out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))


def test_boards_are_the_renderers_markdown_and_inline_markup_is_escaped(smoke_store, tmp_path) -> None:
    board = build_board([smoke_store], FAST)
    page = markdown_html(markdown_main_table(board, "vowel5-4k", board.models("vowel5-4k")[0]), table_class="board",
                         task="vowel5-4k")
    assert page.count('<div class="scroll"><table class="board" data-task="vowel5-4k">') >= 1
    assert re.search(r"<th[^>]*>fb.lift ↑</th>", page) and "<em>input_energy</em> †" in page
    assert "<dt>fb.lift</dt><dd><code>formant_band_lift@F123,w100hz,10pct</code> v1 ↑" in legend_html(
        board, "vowel5-4k", tmp_path)
    assert _inline("**1.0** [0.9] *input_energy* † <x> `a*b*c`") == \
        "<strong>1.0</strong> [0.9] <em>input_energy</em> † &lt;x&gt; <code>a*b*c</code>"


def test_missing_checkpoints_say_which_command_recreates_them(smoke_store, tmp_path) -> None:
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(smoke_store.parent, run_dir, ignore=shutil.ignore_patterns("checkpoints"))
    out = tmp_path / "report"
    build_report([run_dir / "results.sqlite"], out, per_class=1, cfg=FAST)
    page = (out / "index.html").read_text()
    assert page.count("no checkpoint") == 2
    note = re.search(r'<p class="note">Figures: (.*?)</p>', page).group(1)
    command = re.search(r"train it again with <code>(.*?)</code>", note).group(1)
    assert command.startswith("specxai-bench run --methods cam,input_energy,uniform,random ")
    assert command.endswith(f" --output {run_dir}")
    assert "data:image/png" not in page and '<table class="board"' in page


def test_cascade_curves_come_from_the_aggregator_when_it_has_them(smoke_store, tmp_path, monkeypatch) -> None:
    def cascade_frame(rows: pd.DataFrame) -> pd.DataFrame:
        task, model = rows.loc[rows["task"] == "voicing", ["task", "model"]].iloc[0]
        return pd.DataFrame([dict(task=task, model=model, target_mode="true", method="cam", method_options="{}",
                                  similarity="spearman", stage=s, stage_index=k, mean=1 - k / 3, ci_low=0.9 - k / 3,
                                  ci_high=1.0 - k / 4, n=20, speakers=6, seeds_sd=0.0)
                             for k, s in enumerate(["fc", "layer4", "layer3", "conv1"])])

    monkeypatch.setattr(aggregate, "cascade_frame", cascade_frame, raising=False)
    out = tmp_path / "report"
    build_report([smoke_store], out, per_class=1, cfg=FAST, confusion=False, methods=["cam"])
    page = (out / "index.html").read_text()
    assert page.count('<figure class="cascade">') == 1  # voicing only: the frame has no vowel5-4k rows
    assert (out / "figures").glob("voicing-*-cascade.png")


BROWSER_CHECK = """JSON.stringify({
  boards: [...document.querySelectorAll('table.board')].map(t => t.dataset.task),
  rows: [...document.querySelectorAll('table.board')].map(t => t.tBodies[0].rows.length),
  images: [...document.images].map(i => { const r = i.getBoundingClientRect();
    return {ok: i.complete && i.naturalWidth > 0, x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; }),
  width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight})"""


def test_report_renders_in_headless_chromium(report) -> None:
    from .headless import chromium_path, render

    if chromium_path() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")
    from PIL import Image

    out, _ = report
    page = render(out / "index.html", BROWSER_CHECK)
    assert page.errors == []
    info = json.loads(page.value)
    assert list(dict.fromkeys(info["boards"])) == TASKS and all(n >= 4 for n in info["rows"])
    assert info["width"] <= 1400  # nothing pushes the page sideways (wide tables scroll in their own box)
    shot = np.asarray(Image.open(io.BytesIO(page.screenshot)).convert("L"), dtype=np.float64)
    assert shot.shape[1] >= 1000 and shot.shape[0] >= info["height"] - 1
    assert len(info["images"]) == 6
    for img in info["images"]:  # loaded, laid out, and drawn: the pixels inside vary
        assert img["ok"] and img["w"] > 100 and img["h"] > 100, img
        box = shot[int(img["y"]) + 5:int(img["y"] + img["h"]) - 5, int(img["x"]) + 5:int(img["x"] + img["w"]) - 5]
        assert box.size and box.std() > 10, img
