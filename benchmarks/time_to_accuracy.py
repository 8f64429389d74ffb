"""Time to accuracy: the training recipe against a plain PyTorch loop of the same model, on a real task.

Both train the same architecture from the same initial weights on the same task data (the
profile's corpus, split by speaker) and are scored on the same validation and test speakers:

- recipe: ``training._train`` with the profile (channels_last, bf16 autocast where native,
  progressive resizing, one-cycle schedule, time-shift + noise augmentation, the checkpoint chosen
  on validation);
- plain: the textbook loop: float32, NCHW, Adam at PyTorch's default learning rate (1e-3) held
  constant, shuffled batches of the same size, no augmentation, the best validation epoch kept.

Their epochs alternate (recipe epoch k, then plain epoch k), so both see the same machine load.
Time to accuracy = training seconds (validation passes excluded, for both) until validation
accuracy first reaches ``--target``; the ratio plain / recipe is the figure. Test accuracy of each
side's best-validation weights is reported beside it, so equal accuracy is shown, not assumed.

    python -m benchmarks.time_to_accuracy                    # cpu profile, vowel5-4k, resnet18 (~10 min quiet)
    python -m benchmarks.time_to_accuracy --arch resnet101 --device cuda --profile paper

ResNet-101 on two CPU cores trains at ~3 images/s in float32 (a plain epoch of the cpu task ~4
minutes, up to eight of them for the plain side and eight for the recipe), so the default measures
ResNet-18; ResNet-101's images/s ratio is in ``training_throughput``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from specxai_bench.data.datasets import TaskData
from specxai_bench.experiment import Experiment, RunConfig
from specxai_bench.model import training
from specxai_bench.model.classifier import SpectrogramClassifier
from specxai_bench.model.predict import accuracy


class PlainLoop:
    """The textbook training loop, one epoch per call: fp32, NCHW, Adam(1e-3), no schedule, no augmentation."""

    def __init__(self, model: torch.nn.Module, train: TaskData, val: TaskData, batch_size: int, seed: int,
                 device: str) -> None:
        self.model, self.train, self.val, self.batch, self.device = model.to(device), train, val, batch_size, device
        self.opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        self.gen = torch.Generator().manual_seed(seed)
        self.history: list[dict] = []
        self.best: tuple[float, dict] = (-1.0, {})

    def epoch(self) -> dict:
        self.model.train()
        t = time.perf_counter()
        order = torch.randperm(len(self.train), generator=self.gen)
        for i in range(0, len(order), self.batch):
            idx = order[i:i + self.batch]
            loss = F.cross_entropy(self.model(self.train.images[idx].to(self.device)), self.train.targets[idx].to(self.device))
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
        seconds = time.perf_counter() - t
        val = accuracy(self.model, self.val, self.device, 32)
        if val > self.best[0]:
            self.best = (val, copy.deepcopy(self.model.state_dict()))
        entry = {"epoch": len(self.history) + 1, "val_accuracy": val, "train_seconds": seconds,
                 "image_size": self.train.images.shape[-1]}
        self.history.append(entry)
        return entry


def time_to(history: list[dict], target: float) -> dict:
    """Training seconds and epochs until validation accuracy first reached ``target`` (None: never)."""
    spent = 0.0
    for h in history:
        spent += h["train_seconds"]
        if h["val_accuracy"] >= target:
            return {"seconds": spent, "epochs": h["epoch"]}
    return {"seconds": None, "epochs": None, "seconds_spent": spent, "epochs_run": len(history)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="cpu")
    p.add_argument("--task", default="vowel5-4k")
    p.add_argument("--corpus", default="synthetic")
    p.add_argument("--arch", default=None, help="default: the profile's")
    p.add_argument("--device", default="cpu")
    p.add_argument("--target", type=float, default=0.95, help="validation accuracy to reach")
    p.add_argument("--plain-epochs", type=int, default=8, help="most epochs the plain loop may take")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", type=Path, default=Path("specxai-output/bench-tta"))
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    cfg = RunConfig(methods=("cam",), metrics=("formant_band_mass",), tasks=(args.task,), corpus=args.corpus,
                    profile=args.profile, arch=args.arch, device=args.device, seed=args.seed, output=args.output,
                    progress=False)
    exp = Experiment.create(cfg)
    task, profile, device = exp.plan.tasks[0], exp.profile, exp.device
    load_before = os.getloadavg()[0]
    data = exp.data(task)
    print(f"{task.name} on {args.corpus} ({len(data['train'])} train / {len(data['val'])} val / "
          f"{len(data['test'])} test images), {profile.arch} {profile.image_size} px on {device}, "
          f"{torch.get_num_threads()} threads, load average {load_before:.2f}", flush=True)
    torch.manual_seed(args.seed)
    recipe_model = SpectrogramClassifier(profile.arch, len(task.classes))
    plain_model = copy.deepcopy(recipe_model)  # the same initial weights
    plain = PlainLoop(plain_model, data["train"], data["val"], profile.batch_size, args.seed, device)

    def after_recipe_epoch(entry: dict) -> None:
        if len(plain.history) < args.plain_epochs:
            p_entry = plain.epoch()
            print(f"  plain epoch {p_entry['epoch']}: val {p_entry['val_accuracy']:.3f} "
                  f"({p_entry['train_seconds']:.1f} s); recipe epoch {entry['epoch']}: val "
                  f"{entry['val_accuracy']:.3f} ({entry['train_seconds']:.1f} s at {entry['image_size']} px)",
                  flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        meta = training._train(recipe_model, task, data, profile, seed=args.seed, device=device, progress=False,
                               resume_path=Path(tmp) / "resume.pt", chash="tta", after_epoch=after_recipe_epoch)
    while len(plain.history) < args.plain_epochs and time_to(plain.history, args.target)["seconds"] is None:
        e = plain.epoch()
        print(f"  plain epoch {e['epoch']}: val {e['val_accuracy']:.3f} ({e['train_seconds']:.1f} s)", flush=True)
    plain_model.load_state_dict(plain.best[1])
    plain_test = accuracy(plain_model, data["test"], device, 32)
    sides = {"recipe": {"history": meta["history"], "test_accuracy": meta["test_accuracy"],
                        "best_epoch": meta["best_epoch"], **time_to(meta["history"], args.target)},
             "plain": {"history": plain.history, "test_accuracy": plain_test,
                       "best_epoch": int(np.argmax([h["val_accuracy"] for h in plain.history])) + 1,
                       **time_to(plain.history, args.target)}}
    r, q = sides["recipe"]["seconds"], sides["plain"]["seconds"]
    ratio = q / r if r and q else None
    lower = (sides["plain"].get("seconds_spent", 0) / r) if r and q is None else None
    report = {"task": task.name, "corpus": args.corpus, "profile": profile.name, "arch": profile.arch,
              "image_size": profile.image_size, "device": device, "threads": torch.get_num_threads(),
              "target": args.target, "n_train": len(data["train"]), "n_val": len(data["val"]),
              "n_test": len(data["test"]), "recipe": sides["recipe"], "plain": sides["plain"],
              "speedup": ratio, "speedup_at_least": lower, "load_before": load_before,
              "load_after": os.getloadavg()[0], "date": time.strftime("%Y-%m-%d"),
              "recipe_settings": {"cpu_bf16": profile.cpu_bf16, "epoch_scales": list(profile.epoch_scales),
                                  "epochs": profile.epochs, "lr": profile.lr, "precision": meta.get("precision")}}
    for side in ("recipe", "plain"):
        s = sides[side]
        reached = f"{s['seconds']:.0f} s ({s['epochs']} epochs)" if s["seconds"] else "not reached"
        print(f"{side}: validation {args.target:.2f} in {reached}; test accuracy {s['test_accuracy']:.3f} "
              f"(best epoch {s['best_epoch']})")
    print(f"speed-up to {args.target:.2f} validation accuracy: "
          + (f"{ratio:.2f}x" if ratio else f"> {lower:.2f}x (plain did not reach it)" if lower else "n/a")
          + f"; load average {load_before:.2f} -> {report['load_after']:.2f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
