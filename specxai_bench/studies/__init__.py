"""The study's open checks as runs with their own tables: cut-off ablation, speaker groups, cross-corpus.

Each study runs the ordinary grid (:func:`runner.run`: models cached, rows resumable), then makes
one table from the stored per-sample rows plus one prediction pass over the test split (accuracy
per sample is not a result row). Cells are means with a 95 % cluster bootstrap over speakers
(:func:`leaderboard.cluster_bootstrap`), and every file ends with the leaderboard's provenance
lines (the runs' manifests) after the study command that made it. Files are written atomically.

- ``cutoff``: vowel5 band-limited at 2, 3, 4, 5 kHz and full band, one model each: test accuracy
  and each method's formant-band lift per cut-off.
- ``groups``: the metrics (and accuracy) split by speaker group: men / women / children in the
  synthetic corpus, a real corpus's groups, or any column of a speaker metadata CSV.
- ``cross-corpus``: models trained on one corpus, accuracy and attribution metrics measured on
  another corpus's segments (its own rows in a store of their own), beside the in-corpus numbers.
- ``seeds``: N models per task trained with different --train-seed on identical data: the
  inter-seed agreement of their maps and each metric's SD between seeds beside its CI.

The package has one module per study (:mod:`.cutoff`, :mod:`.groups`, :mod:`.cross_corpus`, :mod:`.seeds`) over
:mod:`.common` (cells, the run's predictions and rows, rendering). Each study returns a
:class:`StudyResult`: the files it wrote and the failures of its runs.
"""

from __future__ import annotations

from typing import Callable

from .common import Cell, StudyResult, cell, group_map, group_order
from .cross_corpus import cross_corpus_study
from .cutoff import cutoff_study
from .groups import groups_study
from .seeds import seeds_study

STUDY_FUNCTIONS: dict[str, Callable[..., StudyResult]] = {
    "cutoff": cutoff_study, "groups": groups_study, "cross-corpus": cross_corpus_study, "seeds": seeds_study}

__all__ = ["STUDY_FUNCTIONS", "Cell", "StudyResult", "cell", "cross_corpus_study", "cutoff_study", "group_map",
           "group_order", "groups_study", "seeds_study"]
