"""The report as one self-contained HTML page: inline CSS, figures as data URIs, no script, no network.

Per task and model: the model line and test accuracy, the main board with short column names and
a legend (each short name -> full metric id, version, direction, definition in docs/metrics.md),
the figures (confusion matrix, overlays per class, band-mass profiles, randomisation cascade),
the per-class tables folded away, and notes; then the notes and provenance of the whole page. The
boards are the leaderboards' own Markdown (:mod:`.render`, same aliases and cells), turned into
HTML by the `markdown` library.
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
CELL_LEGEND = ("Cells: mean over test samples [95 % CI, speaker-cluster bootstrap over speakers; no CI with fewer "
               "than 5] and rank (=k: shared, the paired CI of the difference contains 0); Δ tables: the paired "
               "difference from the strongest model-free baseline; † = model-free baseline. Lift: 1 = chance "
               "(a uniform map).")
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


def markdown_html(text: str, *, table_class: str = "", task: str = "") -> str:
    """The renderer's Markdown (tables, emphasis, code) as HTML, through the `markdown` library; every
    table scrolls sideways inside its own box and carries ``table_class`` (and the task) if given."""
    import markdown

    out = markdown.markdown(text, extensions=["tables"])
    attrs = (f' class="{table_class}"' if table_class else "") + (f' data-task="{html.escape(task)}"' if task else "")
    return out.replace("<table>", f'<div class="scroll"><table{attrs}>').replace("</table>", "</table></div>")


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


def _docs_link(metric: str, out: Path) -> str:
    name = metric.split("@", 1)[0]
    if DOCS_METRICS.is_file():
        href = f"{os.path.relpath(DOCS_METRICS, out.resolve()).replace(os.sep, '/')}#{name}"
        return f'<a href="{html.escape(href)}">docs/metrics.md#{html.escape(name)}</a>'
    return f"docs/metrics.md#{html.escape(name)}"


def legend_html(board: "Board", task: str, out: Path) -> str:
    """Each column alias of the task's boards -> its full metric id, version, direction, definition and the
    link to its entry in docs/metrics.md (the aliases are the renderer's: one name per column everywhere)."""
    from ..plugin_info import builtin_plugins
    from .aggregate import direction
    from .cells import aliases

    described = {p.name: p.get("description", "") for p in builtin_plugins("metric")}
    names = aliases(board.metrics(task))
    items = []
    for (metric, version), short in names.items():
        arrow = "↑" if direction(metric)[0] else "↓"
        name = metric.split("@", 1)[0]
        items.append(f"<dt>{html.escape(short)}</dt><dd><code>{html.escape(metric)}</code> v{version} {arrow} — "
                     f"{html.escape(described.get(name, 'not registered here'))} ({_docs_link(metric, out)})</dd>")
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
    """One task and model: model line, accuracy, the boards + legend, figures, per-class tables, notes."""
    from .render import class_tables, markdown_main_table, model_line

    task, model = section.task, section.model
    acc = board.sources.models.get((task, model), {}).get("test_accuracy")
    parts = [f'<h3 id="{html.escape(task)}-{html.escape(model)}">{html.escape(model_line(board, task, model))}</h3>',
             f'<p>Test accuracy: <strong>{acc:.3f}</strong></p>' if acc is not None else "",
             markdown_html(markdown_main_table(board, task, model), table_class="board", task=task),
             legend_html(board, task, out)]
    if section.missing:
        parts.append(f'<p class="note">Figures: {_inline(section.missing)}</p>')
    for f in section.figures:
        parts.append(_figure(f.kind, f.caption, f.png, f"{task} {f.kind}", f"figures/{f.stem}.pdf"))
    parts.append("<details><summary>Per-class tables</summary>")
    parts.append(markdown_html("\n\n".join(class_tables(board, task, model)), table_class="by-class"))
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
