"""The training benchmarks' rows (docs/performance.md) and their helpers: targets met and missed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.report import ROWS  # noqa: E402
from benchmarks.time_to_accuracy import time_to  # noqa: E402


def tta_result(recipe_s, plain_s, recipe_test=0.97, plain_test=0.97) -> dict:
    def side(seconds, test):
        reached = {"seconds": seconds, "epochs": 3} if seconds else {"seconds": None, "epochs": None,
                                                                      "seconds_spent": 900.0, "epochs_run": 10}
        return {"test_accuracy": test, "best_epoch": 3, "history": [], **reached}
    return {"task": "vowel5-4k", "corpus": "synthetic", "arch": "resnet18", "image_size": 224, "n_train": 720,
            "target": 0.95, "load_before": 1.2, "recipe": side(recipe_s, recipe_test),
            "plain": side(plain_s, plain_test),
            "speedup": plain_s / recipe_s if plain_s and recipe_s else None,
            "speedup_at_least": 900.0 / recipe_s if recipe_s and not plain_s else None}


@pytest.mark.parametrize("recipe_s, plain_s, met", [(100.0, 250.0, True), (100.0, 150.0, False),
                                                     (100.0, None, True)])
def test_time_to_accuracy_rows(recipe_s, plain_s, met):
    rows = ROWS["time_to_accuracy"](tta_result(recipe_s, plain_s))
    assert rows[0]["met"] is met and rows[0]["target"] == ">= 2x"
    assert ("not reached in 10 epochs" in rows[0]["reference"]) is (plain_s is None)
    assert rows[1]["met"] is True


def test_the_recipe_must_not_buy_speed_with_accuracy():
    rows = ROWS["time_to_accuracy"](tta_result(100.0, 300.0, recipe_test=0.93, plain_test=0.97))
    assert rows[0]["met"] is True and rows[1]["met"] is False


def test_time_to_counts_training_seconds_until_the_target_is_first_reached():
    history = [{"epoch": 1, "val_accuracy": 0.5, "train_seconds": 10.0},
               {"epoch": 2, "val_accuracy": 0.96, "train_seconds": 12.0},
               {"epoch": 3, "val_accuracy": 0.99, "train_seconds": 11.0}]
    assert time_to(history, 0.95) == {"seconds": 22.0, "epochs": 2}
    assert time_to(history, 0.999) == {"seconds": None, "epochs": None, "seconds_spent": 33.0, "epochs_run": 3}


def throughput_result(device: str, arch: str, schedule_ratio: float) -> dict:
    return {"device_name": "x", "throughput": [{
        "arch": arch, "size": 224, "batch": 32, "device": device, "amp": "bf16", "profile": "cpu",
        "epoch_sizes": [112, 112, 224, 224], "plain_train_images_per_s": 10.0, "train_images_per_s": 20.0,
        "full_size_ratio": 2.0, "schedule_images_per_s": 10.0 * schedule_ratio, "schedule_ratio": schedule_ratio,
        "eval_images_per_s": 50.0}]}


def test_training_rows_mark_the_cpu_speedup_and_leave_the_gpu_unmeasured():
    rows = ROWS["training_throughput"](throughput_result("cpu", "resnet18", 2.5))
    schedule = [r for r in rows if "profile's epochs" in r["what"]]
    assert schedule[0]["met"] is True and schedule[0]["ratio"] == "2.50x"
    assert ROWS["training_throughput"](throughput_result("cpu", "resnet18", 1.5))[1]["met"] is False
    gpu = [r for r in rows if r["what"].startswith("GPU training")]
    assert gpu[0]["measured"] == "not measured (no GPU)" and gpu[0]["met"] is None
    cuda = ROWS["training_throughput"](throughput_result("cuda", "resnet101", 1.0) | {"device_name": "H100"})
    assert any(r["what"].startswith("GPU training") and r["met"] is False for r in cuda)  # 20 images/s < 2,000
