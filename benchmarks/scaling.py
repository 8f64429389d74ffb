"""Cost of the pipeline's stages at 1x, 2x and 4x corpus size (speakers per group), and whether it grows linearly.

Per corpus size, in one process: synthesis of the synthetic corpus, the task's spectrogram images and
tracks (``data.build_task_data``, all splits), then attribution (CAM and Grad-CAM) and the default
linguistic metrics on all the task's images (every split: the test split alone grows in steps, since
speakers are split in whole sixths), with one fixed untrained ResNet-18 (speed does not depend on
the weights; training would only add noise). Each stage's cost is compared with 1x: the growth is
called linear when cost ratio / size ratio lies within ``--tolerance`` (20 %) of 1, where size is
the number of items the stage handles (segments, images), which grows with the number of speakers
but not always exactly 2x / 4x (balanced sampling per class). To keep the run to minutes on two
cores, each speaker says every vowel and every consonant once (``--vowel-tokens``), so 1x is 3
speakers per group (9 speakers) = 45 vowel images for vowel5-4k. The spectrogram caches (overlap
weights) are warmed on the 1x corpus before anything is timed; synthesis and spectrograms (under a
second at 1x) are the median of ``--repeats`` runs.

Training: one epoch at 1x (seconds and images/s). An epoch is a loop over the training images, so
its cost is linear in the training set by construction; the figure gives the slope.

    python -m benchmarks.scaling [--task vowel5-4k] [--base-speakers 3] [--scales 1,2,4] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from specxai_bench.io import atomic_write_text


def _attribute_and_score(model: torch.nn.Module, test, methods: list[str], metrics: list[str], batch: int) -> float:
    from specxai_bench.methods import METHODS
    from specxai_bench.metrics import METRICS, ScoringBatch

    ms = [METHODS.get(m)(model) for m in methods]
    scorers = [METRICS.get(m)() for m in metrics]
    t = time.perf_counter()
    for i in range(0, len(test), batch):
        sub = test.subset(range(i, min(i + batch, len(test))))
        for method in ms:
            maps = method.attribute(sub.images, sub.targets)
            sb = ScoringBatch(maps, sub.images, sub.targets, sub.f0, sub.formants, sub.axis, model, method, sub.bands)
            for s in scorers:
                s.score(sb)
    return time.perf_counter() - t


def _concat(parts: list):
    """The splits of one task as one TaskData (images, targets and tracks; what attribution needs)."""
    from dataclasses import replace

    parts = [p for p in parts if len(p)]
    first = parts[0]
    return replace(first, images=torch.cat([p.images for p in parts]), targets=torch.cat([p.targets for p in parts]),
                   ids=sum((p.ids for p in parts), ()), labels=sum((p.labels for p in parts), ()),
                   speakers=sum((p.speakers for p in parts), ()), groups=sum((p.groups for p in parts), ()),
                   f0=np.concatenate([p.f0 for p in parts]), formants=np.concatenate([p.formants for p in parts]),
                   **{k: None if getattr(first, k) is None else np.concatenate([getattr(p, k) for p in parts])
                      for k in ("bands", "boxes", "durations")})


def _one_epoch(model: torch.nn.Module, train, batch: int) -> float:
    import torch.nn.functional as F

    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    t = time.perf_counter()
    for i in range(0, len(train), batch):
        x, y = train.images[i:i + batch].contiguous(memory_format=torch.channels_last), train.targets[i:i + batch]
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()
    return time.perf_counter() - t


def run(task_name: str = "vowel5-4k", base_speakers: int = 3, scales: tuple[int, ...] = (1, 2, 4),
        image_size: int = 224, methods: str = "cam,gradcam",
        metrics: str = "formant_band_mass,formant_band_lift,formant_pointing_game", batch: int = 16,
        tolerance: float = 0.2, train_epoch: bool = True, vowel_tokens: int = 1, consonant_tokens: int = 1, repeats: int = 3) -> dict:
    from specxai_bench.data.corpora.synthetic import SyntheticConfig, synthesize
    from specxai_bench.data.datasets import build_task_data
    from specxai_bench.data.tasks import get_task
    from specxai_bench.model.classifier import SpectrogramClassifier

    task = get_task(task_name)
    torch.manual_seed(0)
    model = SpectrogramClassifier("resnet18", len(task.classes)).eval().to(memory_format=torch.channels_last)
    with torch.no_grad():
        model(torch.rand(2, 1, image_size, image_size))  # warm-up
    def config(scale: int) -> SyntheticConfig:
        return SyntheticConfig(speakers_per_group=base_speakers * scale, vowel_tokens=vowel_tokens,
                               consonant_tokens=consonant_tokens)

    build_task_data(task, synthesize(config(scales[0])), image_size, seed=0, progress=False)  # warm-up
    rows, epoch = {}, None
    for scale in scales:
        t_syn, t_spec = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            corpus = synthesize(config(scale))
            t_syn.append(time.perf_counter() - t)
            t = time.perf_counter()
            data = build_task_data(task, corpus, image_size, seed=0, progress=False)
            t_spec.append(time.perf_counter() - t)
        t_syn, t_spec = float(np.median(t_syn)), float(np.median(t_spec))
        every = _concat(list(data.values()))
        t_attr = _attribute_and_score(model, every, methods.split(","), metrics.split(","), batch)
        rows[f"{scale}x"] = {"speakers_per_group": base_speakers * scale,
                             "stages": {"synthesis": {"items": len(corpus), "seconds": t_syn},
                                        "spectrograms": {"items": len(every), "seconds": t_spec},
                                        "attribution+metrics": {"items": len(every), "seconds": t_attr}}}
        if train_epoch and scale == scales[0]:
            seconds = _one_epoch(model, data["train"], batch)
            epoch = {"scale": f"{scale}x", "images": len(data["train"]), "seconds": seconds,
                     "images_per_s": len(data["train"]) / seconds, "batch": batch}
        print(f"{scale}x ({base_speakers * scale} speakers/group): " + ", ".join(
            f"{k} {v['items']} items {v['seconds']:.2f} s" for k, v in rows[f"{scale}x"]["stages"].items()), flush=True)
    base = rows[f"{scales[0]}x"]["stages"]
    growth = {}
    for stage in base:
        per = {}
        for key, r in rows.items():
            s = r["stages"][stage]
            size_ratio = s["items"] / base[stage]["items"]
            cost_ratio = s["seconds"] / base[stage]["seconds"]
            per[key] = {"size_ratio": size_ratio, "cost_ratio": cost_ratio, "cost_per_size": cost_ratio / size_ratio}
        linear = all(abs(v["cost_per_size"] - 1) <= tolerance for v in per.values())
        growth[stage] = {"ratios": per, "linear": linear}
    return {"task": task_name, "image_size": image_size, "methods": methods, "metrics": metrics, "batch": batch,
            "model": "resnet18 (untrained, fixed)", "vowel_tokens": vowel_tokens,
            "consonant_tokens": consonant_tokens, "repeats": repeats, "tolerance": tolerance, "threads": torch.get_num_threads(),
            "scales": rows, "growth": growth, "train_epoch": epoch}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="vowel5-4k")
    p.add_argument("--base-speakers", type=int, default=3, help="speakers per group at 1x")
    p.add_argument("--scales", default="1,2,4")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--tolerance", type=float, default=0.2)
    p.add_argument("--repeats", type=int, default=3, help="runs of synthesis and spectrograms (median)")
    p.add_argument("--vowel-tokens", type=int, default=1, help="per speaker and vowel")
    p.add_argument("--consonant-tokens", type=int, default=1, help="per speaker and consonant")
    p.add_argument("--no-train-epoch", action="store_true")
    p.add_argument("--json", type=Path, default=Path("benchmarks/results/scaling.json"))
    args = p.parse_args()
    report = run(args.task, args.base_speakers, tuple(int(s) for s in args.scales.split(",")), args.image_size,
                 tolerance=args.tolerance, train_epoch=not args.no_train_epoch, vowel_tokens=args.vowel_tokens,
                 consonant_tokens=args.consonant_tokens, repeats=args.repeats)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.json, json.dumps(report, indent=2) + "\n")
    print("| stage | " + " | ".join(report["scales"]) + " | linear |\n|---|" + "---|" * (len(report["scales"]) + 1))
    for stage, g in report["growth"].items():
        cells = [f"{v['cost_ratio']:.2f}x cost / {v['size_ratio']:.2f}x size" for v in g["ratios"].values()]
        print(f"| {stage} | " + " | ".join(cells) + f" | {'yes' if g['linear'] else 'no'} |")
    if report["train_epoch"]:
        e = report["train_epoch"]
        print(f"one training epoch at {e['scale']}: {e['images']} images in {e['seconds']:.1f} s "
              f"({e['images_per_s']:.1f} images/s)")


if __name__ == "__main__":
    main()
