"""Training throughput of the recipe against a plain PyTorch loop of the same model, per architecture;
evaluation throughput; the cost of each stage of a run.

Side by side in one process: the same untrained ResNet weights, the same seeded batch, the same
threads, steps alternating between the two sides, medians of ``--steps`` timed steps after
``--warmup`` untimed ones (so load changes hit both sides alike; the ratio is the figure):

- plain: the textbook loop, float32, default (NCHW) memory layout, Adam;
- recipe: the step as ``training._train_epoch`` takes it: channels_last, bfloat16 autocast where
  the profile asks for it and the device runs bf16 natively (always on CUDA), at full size and at
  each smaller size of the profile's progressive resizing; its schedule rate weighs those sizes
  by the epochs the profile trains at each.

Evaluation is the no-grad forward of ``predict`` (float32 on a CPU). Stages: one
``specxai-bench run`` on a fresh folder (``--stages-profile``), its manifest's seconds per stage.

    python -m benchmarks.training_throughput                      # CPU: resnet18 and resnet101, few steps
    python -m benchmarks.training_throughput --device cuda --archs resnet18,resnet50,resnet101 \
        --batch 32 --steps 50 --stages-profile paper              # the paper path on a GPU

The load average is printed and stored with the numbers; on a shared CPU absolute rates swing by
30 % or more, ratios much less.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from specxai_bench.model.classifier import SpectrogramClassifier
from specxai_bench.model.profiles import Profile, resolve_device, resolve_profile
from specxai_bench.model.training import resize
from specxai_bench.runtime import gpu


def _step_fn(model: torch.nn.Module, x_cpu: torch.Tensor, y: torch.Tensor, device: str, *, recipe: bool,
             cpu_bf16: bool, size: int) -> Callable[[], None]:
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step() -> None:
        if recipe:
            x = gpu.to_device(resize(x_cpu, size), device, channels_last=True)
            with gpu.autocast(device, cpu_bf16=cpu_bf16):
                logits = model(x)
        else:
            logits = model(x_cpu.to(device))
        loss = F.cross_entropy(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def _model(arch: str, device: str, channels_last: bool) -> torch.nn.Module:
    torch.manual_seed(0)  # both sides start from the same weights
    model = SpectrogramClassifier(arch, 5).to(device).train()
    return model.to(memory_format=torch.channels_last) if channels_last else model


def throughput(arch: str, profile: Profile, batch: int, steps: int, warmup: int, device: str) -> dict:
    """Plain loop vs the recipe (full size and each progressive size), alternating steps."""
    size = profile.image_size
    x_cpu = torch.rand(batch, 1, size, size, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 5, (batch,), generator=torch.Generator().manual_seed(1)).to(device)
    gpu.configure(device)
    sizes = sorted({profile.epoch_size(e) for e in range(profile.epochs)}, reverse=True)
    sides: dict[str, Callable[[], None]] = {"plain": _step_fn(_model(arch, device, False), x_cpu, y, device,
                                                              recipe=False, cpu_bf16=False, size=size)}
    for s in sizes:
        sides[f"recipe@{s}"] = _step_fn(_model(arch, device, True), x_cpu, y, device, recipe=True,
                                        cpu_bf16=profile.cpu_bf16, size=s)
    times: dict[str, list[float]] = {k: [] for k in sides}
    for _ in range(warmup):
        for fn in sides.values():
            fn()
    for _ in range(steps):
        for name, fn in sides.items():
            gpu.synchronize(device)
            t = time.perf_counter()
            fn()
            gpu.synchronize(device)
            times[name].append(time.perf_counter() - t)
    rate = {k: batch / statistics.median(v) for k, v in times.items()}
    # the schedule: each epoch's images at its size, at that size's rate
    epoch_sizes = [profile.epoch_size(e) for e in range(profile.epochs)]
    schedule = len(epoch_sizes) / sum(1.0 / rate[f"recipe@{s}"] for s in epoch_sizes)
    plain = rate["plain"]
    model = _model(arch, device, True).eval()
    # evaluation as predict() runs it: the test accuracy (float32 on a CPU) and the validation passes (in the
    # training's precision: bf16 where the profile trains in it), interleaved so both see the same load
    evals: dict[bool, list[float]] = {False: [], True: []}
    with torch.no_grad():
        for _ in range(warmup):
            model(gpu.to_device(x_cpu, device))
        for i in range(2 * steps):
            validating = bool(i % 2)
            gpu.synchronize(device)
            t = time.perf_counter()
            with gpu.autocast(device, cpu_bf16=validating and profile.cpu_bf16):
                model(gpu.to_device(x_cpu, device)).argmax(1).cpu()
            gpu.synchronize(device)
            evals[validating].append(time.perf_counter() - t)
    evaluate, validate = (batch / statistics.median(evals[k]) for k in (False, True))
    peak = torch.cuda.max_memory_allocated() / 2**20 if gpu.is_cuda(device) else None
    return {"arch": arch, "size": size, "batch": batch, "steps": steps, "device": device,
            "amp": gpu.training_precision(device, profile.cpu_bf16), "profile": profile.name,
            "epoch_sizes": epoch_sizes, "plain_train_images_per_s": plain,
            "train_images_per_s": rate[f"recipe@{size}"], "recipe_images_per_s_by_size": {
                s: rate[f"recipe@{s}"] for s in sizes}, "full_size_ratio": rate[f"recipe@{size}"] / plain,
            "schedule_images_per_s": schedule, "schedule_ratio": schedule / plain,
            "eval_images_per_s": evaluate, "validation_images_per_s": validate, "peak_cuda_mb": peak,
            "load_average": os.getloadavg()[0],
            "seconds": {k: v for k, v in times.items()}}


def stages(profile: str, device: str, methods: str, tasks: str, out: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    from specxai_bench.results.store import ResultStore

    from .end_to_end import timed_run

    cmd, wall, _, manifest = timed_run(["--profile", profile, "--device", device, "--methods", methods,
                                        "--tasks", tasks], out)
    with ResultStore(out / "results.sqlite") as store:
        metas = {t: json.loads(m) for t, m in zip(store.models_frame()["task"], store.models_frame()["meta"])}
    return {"command": " ".join(cmd[2:]), "wall_seconds": wall, "stage_seconds": manifest["stage_seconds"],
            "models": {t: {k: metas[t].get(k) for k in ("train_images_per_second", "train_seconds", "test_accuracy",
                                                          "n_train", "best_epoch")} for t in metas}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--profile", default="auto", help="the recipe to measure (auto: paper on CUDA, else cpu)")
    p.add_argument("--archs", default="resnet18,resnet101")
    p.add_argument("--size", type=int, default=None, help="full image size (default: the profile's)")
    p.add_argument("--batch", type=int, default=None, help="default: the profile's batch size")
    p.add_argument("--steps", type=int, default=None, help="timed steps per side (default: 30 on CUDA, 3 on CPU)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps per side (default: 5 on CUDA, 1 on CPU)")
    p.add_argument("--stages-profile", default="smoke", help="profile of the staged run ('' to skip)")
    p.add_argument("--stages-tasks", default="vowel5,vowel5-4k,voicing")
    p.add_argument("--stages-methods", default="cam,gradcam")
    p.add_argument("--output", type=Path, default=Path("specxai-output/bench-throughput"))
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args()
    device = resolve_device(args.device)
    cuda = gpu.is_cuda(device)
    profile = resolve_profile(args.profile, device)
    if args.size:
        profile = replace(profile, image_size=args.size)
    batch = args.batch or profile.batch_size
    steps = args.steps or (30 if cuda else 3)
    warmup = args.warmup if args.warmup is not None else (5 if cuda else 1)
    name = torch.cuda.get_device_name() if cuda else platform.processor() or "cpu"
    load_before = os.getloadavg()[0]
    print(f"device {device} ({name}), torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load average {load_before:.2f}; recipe of profile {profile.name}: {profile.image_size} px, epoch sizes "
          f"{[profile.epoch_size(e) for e in range(profile.epochs)]}, "
          f"{gpu.training_precision(device, profile.cpu_bf16)}")
    print("| arch | px | batch | plain images/s | recipe images/s (full size) | ratio | recipe over its schedule "
          "| ratio | eval images/s |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    results = []
    for arch in args.archs.split(","):
        r = throughput(arch, profile, batch, steps, warmup, device)
        results.append(r)
        print(f"| {arch} | {r['size']} | {batch} | {r['plain_train_images_per_s']:.1f} | "
              f"{r['train_images_per_s']:.1f} | {r['full_size_ratio']:.2f}x | {r['schedule_images_per_s']:.1f} | "
              f"{r['schedule_ratio']:.2f}x | {r['eval_images_per_s']:.1f} |", flush=True)
    report = {"device": device, "device_name": name, "cores": os.cpu_count(), "threads": torch.get_num_threads(),
              "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"), "profile": profile.name,
              "load_before": load_before, "load_after": os.getloadavg()[0], "throughput": results}
    if args.stages_profile:
        st = stages(args.stages_profile, device, args.stages_methods, args.stages_tasks, args.output)
        report["stages"] = st
        print(f"\nstages of `{st['command']}` (wall {st['wall_seconds']:.1f} s, including start-up):")
        print("| stage | seconds |\n|---|--:|")
        for k, v in st["stage_seconds"].items():
            print(f"| {k} | {v:.1f} |")
        print("| task | train images/s | train s | test accuracy |\n|---|--:|--:|--:|")
        for task, m in st["models"].items():
            ips = m.get("train_images_per_second")
            print(f"| {task} | {ips if ips is None else format(ips, '.1f')} | "
                  f"{m.get('train_seconds') or 0:.1f} | {m.get('test_accuracy') or float('nan'):.3f} |")
        print(f"(load average now {os.getloadavg()[0]:.2f})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
