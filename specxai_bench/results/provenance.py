"""The footer of every board: notes (what a reader must know to read the cells) and provenance (the runs
behind the rows and the command that made the tables), free of local paths so that regenerating a
committed board with its documented command gives the same bytes."""

from __future__ import annotations

from .aggregate import direction, is_baseline
from .board import Board


def notes(board: Board, task: str | None) -> list[str]:
    """Footer notes: missing baselines, unknown metric directions, cells without CI, sanity rule, merges."""
    out = list(board.sources.notes)
    k = board.cfg.min_speakers
    for t in [task] if task else board.tasks():
        for model in board.models(t):
            if not any(is_baseline(e.method) for e in board.entries(t, model)):
                out.append(f"{t}, model {model}: no model-free baseline in these rows, so no number here can be "
                           f"read against the energy confound (add input_energy, uniform, random)")
        for m, _ in board.metrics(t):
            if not direction(m)[1]:
                out.append(f"{t}: metric {m} is not in this installation's metric registry; "
                           f"assumed higher is better (↑?)")
        if board.has_sanity(t):
            out.append(f"{t}: sanity = randomisation check per method, from |ρ| of the fully randomised model "
                       f"(seeds pooled): pass when the whole CI lies below the threshold "
                       f"({board.cfg.sanity_threshold:g} unless the metric declares its own), fail when the mean "
                       f"does not, else unclear (a CI reaching the threshold, or no CI)")
        for model in board.models(t):  # tf-shortcut: rows exist only for the samples that provably use the cue
            check = board.sources.models.get((t, model), {}).get("intervention")
            if check:
                out.append(f"{t}, model {model}: scored on the {check['n_provable']} of {check['n']} test samples on "
                           f"which the model provably uses the cue (intervention check: accuracy with the cue "
                           f"{check['accuracy_with_cue']:.3f}, without it {check['accuracy_cue_removed']:.3f}, "
                           f"without the decoy {check['accuracy_decoy_removed']:.3f})")
        cells = board.overall[(board.overall["task"] == t) & (board.overall["n"] > 0)]
        few = cells["speakers"]
        if len(few) and few.min() < k:
            out.append(f"{t}: {int((few < k).sum())} of {len(few)} cells rest on fewer than {k} speakers (min "
                       f"{int(few.min())}): they show no CI and no rank (an interval over so few speakers is "
                       f"only their means)")
    return list(dict.fromkeys(out))


def provenance(board: Board, task: str | None) -> list[str]:
    """One line per run that contributed rows (from its manifest), then how the tables were made."""
    import scipy

    from .. import __version__

    out = []
    stores = {p: i + 1 for i, p in enumerate(board.sources.paths)}
    for run in board.runs(task):
        m = board.sources.manifests.get(run)
        if m is None:
            out.append(f"run {run}: no manifest in its store (interrupted before it finished?)")
            continue
        prof, corpus = m.get("profile", {}), m.get("corpus", {})
        versions = ", ".join(f"{k} {v}" for k, v in sorted(m.get("versions", {}).items()))
        draw = _draw(m, task)
        out.append(f"run {run}, created {m.get('created', '?')}, store {stores.get(m['_store'], '?')} of "
                   f"{len(stores)}: `{m.get('command', '?')}`; profile {prof.get('name', '?')} "
                   f"({prof.get('arch', '?')}, {prof.get('image_size', '?')} px); device {m.get('device', '?')} ({m.get('device_name', '?')}); "
                   f"seed {m.get('config', {}).get('seed', '?')}; target class {m.get('target_class', '?')}; corpus "
                   f"{corpus.get('spec') or corpus.get('name', '?')} {corpus.get('fingerprint', '?')}; {draw}; "
                   f"versions: {versions}")
    c = board.cfg
    out.append(f"tables: `{board.command}` (specxai-bench {__version__}, scipy {scipy.__version__}); cells: mean "
               f"over test samples, {c.confidence:.0%} CI from a cluster bootstrap over speakers "
               f"({c.n_resamples} resamples, percentile method, seed {c.seed}), shown with >= {c.min_speakers} "
               f"speakers; paired differences bootstrap the per-sample differences the same way")
    return out


def _draw(manifest: dict, task: str | None) -> str:
    """How the run chose its test samples (recorded since the round-robin draw; older runs: unknown)."""
    samples = manifest.get("samples")
    if not samples:
        n = manifest.get("config", {}).get("max_samples")
        return (f"test samples: the first {n} sample ids of each class (--max-samples {n} before the round-robin "
                f"draw, which records itself)" if n else "test samples: all")
    parts = []
    for t, d in sorted(samples.items()):
        if task is None or t == task:
            how = f"{d['per_class']} per class, round-robin" if d.get("per_class") else "all"
            parts.append(f"{t}: {d.get('n')} samples, {d.get('speakers')} speakers, {d.get('labels')} labels ({how})")
    return "test samples " + "; ".join(parts)
