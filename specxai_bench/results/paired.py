"""Paired comparisons within a board's groups: every method against the strongest model-free baseline
and against the rank-1 method, and ranks that are earned.

A group is one (task, model, target mode, metric, version, part). The difference of two methods is
taken per sample (the same samples: those both scored), and its CI is the speaker-cluster
bootstrap of :mod:`.aggregate` (the same speakers drawn for both methods, since it resamples the
differences), shown only with >= ``min_speakers`` speakers. Ranks: methods sorted by mean in the
metric's direction; the first leads rank 1; each next method shares the rank of the leader of the
current rank unless the CI of its paired difference from that leader excludes 0, in which case it
leads a new rank (its position). A group with fewer than ``min_speakers`` speakers is not ranked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .aggregate import BoardConfig, Interval, direction, is_baseline, is_sanity_metric, speaker_bootstrap

GROUP = ["task", "model", "target_mode", "metric", "metric_version", "part"]
METHOD = ["method", "method_options"]
COLUMNS = ["rank", "rank_shared", "baseline", "baseline_options", "d_base", "d_base_low", "d_base_high",
           "d_base_n", "d_base_spk", "best", "best_options", "d_best", "d_best_low", "d_best_high", "d_best_n",
           "d_best_spk"]
COUNTS = ("rank", "d_base_n", "d_base_spk", "d_best_n", "d_best_spk")


def excludes_zero(iv: Interval) -> bool:
    return bool(np.isfinite(iv.low) and (iv.low > 0 or iv.high < 0))


def paired(values: pd.DataFrame, speakers: pd.Series, a: tuple, b: tuple, cfg: BoardConfig) -> Interval:
    """Mean of a - b over the samples both scored, with its speaker-cluster CI (gated)."""
    d = (values[a] - values[b]).to_numpy(np.float64)
    ok = np.isfinite(d)
    return speaker_bootstrap(d[ok], speakers.to_numpy()[ok], cfg)


def compare(rows: pd.DataFrame, summary: pd.DataFrame, cfg: BoardConfig) -> pd.DataFrame:
    """``summary`` (one row per group and method, from :func:`.aggregate.summarise` over GROUP + METHOD)
    with ``higher_is_better`` and the columns ``COLUMNS`` added; sanity metrics are left unranked and
    uncompared."""
    out = summary.reset_index(drop=True)
    out["higher_is_better"] = out["metric"].map(lambda m: direction(m)[0]).astype(bool)
    where = {key: list(idx) for key, idx in out.groupby(GROUP, sort=False).groups.items()}
    recs: dict[int, dict] = {}
    for key, g in rows.groupby(GROUP, sort=True):
        if is_sanity_metric(key[3]) or key not in where:
            continue
        cells = out.loc[where[key]]
        pos = {(r.method, r.method_options): i for i, r in zip(cells.index, cells.itertuples(index=False))}
        higher = bool(cells["higher_is_better"].iloc[0])
        scored = cells[(cells["n"] > 0) & cells["mean"].notna()]
        order = [m for _, m in sorted(((-mu if higher else mu, (a, o)) for a, o, mu in
                                       zip(scored["method"], scored["method_options"], scored["mean"])))]
        if not order:
            continue
        values = g.pivot_table(index="sample", columns=METHOD, values="value", aggfunc="first", dropna=False)
        speakers = g.groupby("sample")["speaker"].first().reindex(values.index)
        memo: dict[tuple, Interval] = {}

        def diff(a: tuple, b: tuple, values: pd.DataFrame = values, speakers: pd.Series = speakers,
                 memo: dict[tuple, Interval] = memo) -> Interval:
            if (a, b) not in memo:
                memo[a, b] = paired(values, speakers, a, b, cfg)
            return memo[a, b]

        refs = {"best": order[0], "base": next((m for m in order if is_baseline(m[0])), None)}
        for m in order:
            rec = recs.setdefault(pos[m], {})
            for tag, ref in refs.items():
                if ref is not None:
                    iv = diff(m, ref)
                    name = "best" if tag == "best" else "baseline"
                    rec.update({name: ref[0], f"{name}_options": ref[1], f"d_{tag}": iv.mean, f"d_{tag}_low": iv.low,
                                f"d_{tag}_high": iv.high, f"d_{tag}_n": iv.n, f"d_{tag}_spk": iv.clusters})
        if speakers[values.notna().any(axis=1)].nunique() < cfg.min_speakers:
            continue  # no interval, so no rank can be earned
        ranks = earned_ranks(order, lambda a, b: excludes_zero(diff(a, b)))
        counts = pd.Series(list(ranks.values())).value_counts()
        for m, r in ranks.items():
            recs[pos[m]].update(rank=r, rank_shared=bool(counts[r] > 1))
    for col in COLUMNS:
        vals = [recs.get(i, {}).get(col) for i in out.index]
        if col in COUNTS:
            out[col] = pd.array(vals, dtype="Int64")
        elif col.startswith("d_"):  # the differences and their CI
            out[col] = np.array([np.nan if v is None else v for v in vals], dtype=np.float64)
        elif col == "rank_shared":
            out[col] = [bool(v) for v in vals]
        else:
            out[col] = ["" if v is None else v for v in vals]
    return out


def earned_ranks(order: list[tuple], differs) -> dict[tuple, int]:
    """Ranks for methods sorted best first: a method leads a new rank (its 1-based position) only when
    ``differs(method, leader)`` says it differs from the leader of the current rank; else it shares it."""
    ranks: dict[tuple, int] = {}
    leader, rank = None, 0
    for position, m in enumerate(order, start=1):
        if leader is None or differs(m, leader):
            leader, rank = m, position
        ranks[m] = rank
    return ranks
