"""The report as one self-contained HTML page: inline CSS, figures as data URIs, no script, no network.

Per task and model: the model line and test accuracy, the main board with short column names and
a legend (each short name -> full metric id, version, direction, definition in docs/metrics.md),
the figures (confusion matrix, overlays per class, band-mass profiles, randomisation cascade),
the per-class tables folded away, and notes; then the notes and provenance of the whole page. The
board cells come from the same renderer as the leaderboards (:func:`board_tables` is the one
place that reads it).
"""

from __future__ import annotations

import base64
import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .board import Board

DOCS_METRICS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
CELL_LEGEND = ("Cells: mean over test samples [95 % CI, speaker-cluster bootstrap] n = finite values, #rank "
               "(1 = best in the arrow's direction); bold = rank 1; † = model-free baseline (a method is read "
               "against the best of them). Lift: 1 = chance (a uniform map).")
CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
main{max-width:1500px;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.35rem;border-bottom:2px solid #ddd;padding-top:1rem}
h3{font-size:1.05rem;font-weight:600}code{font-size:.85em;background:#eee;padding:0 .25em;border-radius:3px;
overflow-wrap:anywhere}nav a{margin-right:1rem}.muted{color:#555}.note{border-left:4px solid #e0a800;
overflow-wrap:anywhere;
background:#fff8e1;padding:.4rem .8rem;margin:.6rem 0}table{border-collapse:collapse;margin:.6rem 0;
background:#fff;font-variant-numeric:tabular-nums}th,td{border:1px solid #ddd;padding:.3rem .55rem;
vertical-align:top}th{background:#f0f0f0;text-align:center}td{text-align:right}td:first-child{text-align:left;
white-space:nowrap}tr.baseline td{background:#f6f6f6}tr.group-start td{border-top:2px solid #999}
.legend{font-size:.9rem}.legend dt{font-weight:600;float:left;clear:left;min-width:8rem}
.legend dd{margin:0 0 .15rem 8.5rem}figure{margin:1rem 0;background:#fff;padding:.5rem;border:1px solid #e3e3e3}
figure img{max-width:100%;height:auto;display:block}figcaption{font-size:.9rem;color:#444;margin-top:.3rem}
.mean{font-size:1.05em}.ci{font-size:.78em;color:#555}.iv{white-space:nowrap}details{margin:.6rem 0}summary{cursor:pointer;font-weight:600}.scroll{overflow-x:auto}
ul.prov li{overflow-wrap:anywhere;font-size:.85rem}
"""


@dataclass(frozen=True)
class FigureFile:
    """One figure of a section: PNG (inlined in the HTML page) and PDF, with its caption."""

    kind: str
    stem: str  # file name under figures/, without suffix
    caption: str
    png: bytes
    pdf: bytes


@dataclass
class ModelSection:
    """What the pages show of one task and model beside its tables."""

    task: str
    model: str
    figures: list[FigureFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing: str | None = None  # why there are no figures, and how to get them


@dataclass(frozen=True)
class Column:
    """One metric column of a board: its short name and what it stands for."""

    short: str
    metric: str
    version: int
    head: str  # the renderer's header cell (full id, version, arrow)


def board_tables(board: "Board", task: str, model: str
                 ) -> tuple[list[str], list[list[list[str]]], list[tuple[str, list[str], list[list[str]]]]]:
    """The renderer's tables of one task and model (Markdown-styled cells): the main table's header and row
    groups (contenders, baselines), and one per-class table per metric as (metric header, header, rows).

    The one place this page reads :mod:`.render`; adapt it here if the renderer's tables change shape."""
    from . import render

    head, groups = render._grid(board, task, model, latex=False)
    by_class = [(render._metric_head(*m), *render._class_grid(board, task, model, m, latex=False))
                for m in board.metrics(task)]
    return head, groups, by_class


def short_columns(board: "Board", task: str, head: list[str]) -> list[Column]:
    """Short names for the metric columns: the metric's name with its leading words cut to initials
    (``formant_band_lift`` -> ``fb_lift``), numbered where two ids share one."""
    metrics = board.metrics(task)
    bases = []
    for name, _ in metrics:
        base = name.split("@", 1)[0]
        words = base.split("_")
        bases.append(base if len(base) <= 12 or len(words) < 2 else "".join(w[0] for w in words[:-1]) + "_" + words[-1])
    out = []
    for i, ((metric, version), base) in enumerate(zip(metrics, bases)):
        same = [j for j, b in enumerate(bases) if b == base]
        short = base if len(same) == 1 else f"{base}[{same.index(i) + 1}]"
        out.append(Column(short, metric, version, head[1 + i]))
    return out


def _inline(text: str) -> str:
    """Markdown-styled text as HTML: escaped, `code`, **bold** and *italics* kept."""
    parts = re.split(r"`([^`]*)`", str(text))  # odd parts were between backticks
    out = []
    for i, part in enumerate(parts):
        part = html.escape(part)
        if i % 2:
            out.append(f"<code>{part}</code>")
            continue
        part = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", part)
        out.append(re.sub(r"\*(.+?)\*", r"<em>\1</em>", part))
    return "".join(out)


CELL = re.compile(r"^(\*\*)?(-?[\d.]+(?:e[-+]?\d+)?)(\*\*)? (.+)$")


def _cell(text: str) -> str:
    """A board cell: the mean on its own line (bold at rank 1), the interval, n and rank small below it."""
    m = CELL.match(str(text))
    if m is None:
        return _inline(text)
    mean = f"<strong>{m.group(2)}</strong>" if m.group(1) else m.group(2)
    rest = re.sub(r"(\[[^\]]*\])", r'<span class="iv">\1</span>', _inline(m.group(4)), count=1)
    return f'<span class="mean">{mean}</span><br><span class="ci">{rest}</span>'


def _table(head: list[str], groups: list[list[list[str]]], *, cls: str, task: str = "", baseline_group: int = -1
           ) -> str:
    rows = []
    for g, group in enumerate(groups):
        for k, row in enumerate(group):
            classes = ["baseline"] * (g == baseline_group) + ["group-start"] * (k == 0 and g > 0)
            attr = f' class="{" ".join(classes)}"' if classes else ""
            rows.append(f"<tr{attr}>" + f"<td>{_inline(row[0])}</td>" + "".join(f"<td>{_cell(c)}</td>" for c in row[1:])
                        + "</tr>")
    data = f' data-task="{html.escape(task)}"' if task else ""
    return (f'<div class="scroll"><table class="{cls}"{data}><thead><tr>'
            + "".join(f"<th>{_inline(h)}</th>" for h in head) + "</tr></thead><tbody>" + "".join(rows)
            + "</tbody></table></div>")


def _docs_link(metric: str, out: Path) -> str:
    name = metric.split("@", 1)[0]
    if DOCS_METRICS.is_file():
        href = f"{os.path.relpath(DOCS_METRICS, out.resolve()).replace(os.sep, '/')}#{name}"
        return f'<a href="{html.escape(href)}">docs/metrics.md#{html.escape(name)}</a>'
    return f"docs/metrics.md#{html.escape(name)}"


def _legend(columns: list[Column], out: Path) -> str:
    from ..plugin_info import builtin_plugins

    described = {p.name: p.get("description", "") for p in builtin_plugins("metric")}
    items = []
    for c in columns:
        name = c.metric.split("@", 1)[0]
        arrow = c.head.rsplit(" ", 1)[-1]
        items.append(f"<dt>{html.escape(c.short)}</dt><dd><code>{html.escape(c.metric)}</code> v{c.version} "
                     f"{html.escape(arrow)} — {html.escape(described.get(name, 'not registered here'))} "
                     f"({_docs_link(c.metric, out)})</dd>")
    return f'<dl class="legend">{"".join(items)}</dl>'


def _figure(kind: str, caption: str, png: bytes, alt: str, link: str) -> str:
    """A PNG inlined as a data URI, shown at 96 px per inch of the figure (its text at its point size)."""
    from .plots import DPI

    data = base64.b64encode(png).decode("ascii")
    width = round(int.from_bytes(png[16:20], "big") * 96 / DPI)  # the PNG header's pixel width
    return (f'<figure class="{html.escape(kind)}"><img alt="{html.escape(alt)}" width="{width}" '
            f'src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)} (<a href=\"{html.escape(link)}\">PDF</a>)</figcaption></figure>")


def model_html(board: "Board", section: ModelSection, out: Path) -> str:
    """One task and model: model line, accuracy, board + legend, figures, per-class tables, notes."""
    from .render import model_line

    task, model = section.task, section.model
    head, groups, by_class = board_tables(board, task, model)
    columns = short_columns(board, task, head)
    short_head = [head[0]] + [f"{c.short} {c.head.rsplit(' ', 1)[-1]}" for c in columns] + head[1 + len(columns):]
    acc = board.sources.models.get((task, model), {}).get("test_accuracy")
    parts = [f'<h3 id="{html.escape(task)}-{html.escape(model)}">{html.escape(model_line(board, task, model))}</h3>',
             f'<p>Test accuracy: <strong>{acc:.3f}</strong></p>' if acc is not None else "",
             _table(short_head, groups, cls="board", task=task, baseline_group=len(groups) - 1 if len(groups) > 1
                    else -1),
             _legend(columns, out)]
    if section.missing:
        parts.append(f'<p class="note">Figures: {_inline(section.missing)}</p>')
    for f in section.figures:
        parts.append(_figure(f.kind, f.caption, f.png, f"{task} {f.kind}", f"figures/{f.stem}.pdf"))
    parts.append("<details><summary>Per-class tables</summary>")
    for metric_head, ch, crows in by_class:
        parts += [f"<h4>{_inline(metric_head)}</h4>", _table(ch, [crows], cls="by-class")]
    parts.append("</details>")
    parts += [f'<p class="note">{_inline(n)}</p>' for n in section.notes]
    return "\n".join(p for p in parts if p)


def page(board: "Board", sections: dict[str, list[ModelSection]], command: str, out: Path) -> str:
    """The whole page."""
    from .render import notes, provenance

    body = [f"<h1>specxai-bench report</h1><p class=\"muted\">Made by <code>{html.escape(command)}</code>. Every "
            "number comes from the stored per-sample rows; the figures re-create maps for a few test samples only."
            f"</p><p>{html.escape(CELL_LEGEND)}</p>",
            "<nav>" + "".join(f'<a href="#task-{html.escape(t)}">{html.escape(t)}</a>' for t in sections) + "</nav>"]
    for task, models in sections.items():
        body.append(f'<section class="task" id="task-{html.escape(task)}"><h2>{html.escape(task)}</h2>')
        body += [model_html(board, s, out) for s in models]
        body.append("</section>")
    body.append("<h2>Notes</h2><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes(board, None) or ["none"])
                + "</ul>")
    body.append('<h2>Provenance</h2><ul class="prov">'
                + "".join(f"<li>{_inline(p)}</li>" for p in provenance(board, None)) + "</ul>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>specxai-bench report</title><style>{CSS}</style></head><body><main>\n"
            + "\n".join(body) + "\n</main></body></html>\n")
