"""The speed benchmarks run over everything registered (a new plugin must not break them)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def test_method_speed_times_every_registered_method_at_a_small_size(tmp_path, monkeypatch):
    from benchmarks import method_speed
    from specxai_bench.methods import METHODS

    slow = "scorecam,ablationcam,occlusion"
    out = tmp_path / "m.json"
    monkeypatch.setattr(sys, "argv", ["method_speed", "--size", "32", "--batch", "2", "--exclude", slow,
                                      "--json", str(out)])
    method_speed.main()
    timed = {row["method"] for row in json.loads(out.read_text())["methods"]}
    assert timed == set(METHODS.resolve("all")) - set(slow.split(","))  # band_prior included: it needs the axis


def test_scaling_pools_every_per_sample_field_of_the_splits(small_corpus):
    from benchmarks.scaling import _concat
    from specxai_bench.data.datasets import build_task_data
    from specxai_bench.data.tasks import TASKS

    data = build_task_data(TASKS["vowel5"], small_corpus, 32, seed=0, progress=False)
    every = _concat(list(data.values()))
    n = sum(len(d) for d in data.values())
    assert len(every) == n and len(every.durations) == n and len(every.f0) == n
    assert len(every.subset(range(n - 2, n))) == 2  # the last samples: every field has them
