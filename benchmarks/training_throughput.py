"""Training and evaluation throughput (images/s) per architecture and image size, and the cost of each
stage of a run.

Throughput: an untrained ResNet on seeded noise images, the training step exactly as
``training._train_epoch`` takes it (channels_last; on CUDA bfloat16 autocast, pinned-memory
non-blocking copies), Adam; ``--warmup`` steps are not timed (cuDNN autotuning, allocator).
Evaluation is the no-grad forward of ``training.predict``. Stages: one ``specxai-bench run`` on a
fresh folder (``--stages-profile``), its manifest's seconds per stage (data, each model, each
task's attributions and scores).

    python -m benchmarks.training_throughput                      # CPU: reduced steps
    python -m benchmarks.training_throughput --device cuda --archs resnet18,resnet50,resnet101 \
        --sizes 224 --batch 32 --steps 50 --stages-profile paper   # the paper path on a GPU

On a shared CPU the numbers are noisy (+-30 % or worse); the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from specxai_bench.model.classifier import SpectrogramClassifier
from specxai_bench.model.profiles import resolve_device
from specxai_bench.runtime import gpu


def throughput(arch: str, size: int, batch: int, steps: int, warmup: int, device: str) -> dict:
    torch.manual_seed(0)
    model = SpectrogramClassifier(arch, 5).to(device).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x_cpu = torch.rand(batch, 1, size, size)
    y = torch.randint(0, 5, (batch,)).to(device)
    gpu.configure(device)

    def step() -> None:
        x = gpu.to_device(x_cpu, device, channels_last=True)
        with gpu.autocast(device):
            logits = model(x)
        loss = F.cross_entropy(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    model.train()
    for _ in range(warmup):
        step()
    gpu.synchronize(device)
    t = time.perf_counter()
    for _ in range(steps):
        step()
    gpu.synchronize(device)
    train = steps * batch / (time.perf_counter() - t)

    model.eval()
    with torch.no_grad():
        for _ in range(warmup):
            with gpu.autocast(device):
                model(gpu.to_device(x_cpu, device))
        gpu.synchronize(device)
        t = time.perf_counter()
        for _ in range(steps):
            with gpu.autocast(device):
                model(gpu.to_device(x_cpu, device)).argmax(1).cpu()
        gpu.synchronize(device)
        evaluate = steps * batch / (time.perf_counter() - t)
    peak = torch.cuda.max_memory_allocated() / 2**20 if gpu.is_cuda(device) else None
    return {"arch": arch, "size": size, "batch": batch, "steps": steps, "device": device,
            "amp": "bf16" if gpu.is_cuda(device) else "off", "train_images_per_s": train,
            "eval_images_per_s": evaluate, "peak_cuda_mb": peak}


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
    p.add_argument("--archs", default="resnet18,resnet101")
    p.add_argument("--sizes", default="224")
    p.add_argument("--batch", type=int, default=None, help="default: 32 on CUDA (the paper's), 8 on CPU")
    p.add_argument("--steps", type=int, default=None, help="timed steps (default: 30 on CUDA, 3 on CPU)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps (default: 5 on CUDA, 1 on CPU)")
    p.add_argument("--stages-profile", default="smoke", help="profile of the staged run ('' to skip)")
    p.add_argument("--stages-tasks", default="vowel5,vowel5-4k,voicing")
    p.add_argument("--stages-methods", default="cam,gradcam")
    p.add_argument("--output", type=Path, default=Path("specxai-output/bench-throughput"))
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args()
    device = resolve_device(args.device)
    cuda = gpu.is_cuda(device)
    batch = args.batch or (32 if cuda else 8)
    steps = args.steps or (30 if cuda else 3)
    warmup = args.warmup if args.warmup is not None else (5 if cuda else 1)
    name = torch.cuda.get_device_name() if cuda else platform.processor() or "cpu"
    print(f"device {device} ({name}), torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.2f}")
    print("| arch | px | batch | AMP | train images/s | eval images/s | peak CUDA MB |\n|---|--:|--:|---|--:|--:|--:|")
    results = []
    for arch in args.archs.split(","):
        for size in map(int, args.sizes.split(",")):
            r = throughput(arch, size, batch, steps, warmup, device)
            results.append(r)
            peak = f"{r['peak_cuda_mb']:.0f}" if r["peak_cuda_mb"] is not None else "—"
            print(f"| {arch} | {size} | {batch} | {r['amp']} | {r['train_images_per_s']:.1f} | "
                  f"{r['eval_images_per_s']:.1f} | {peak} |", flush=True)
    report = {"device": device, "device_name": name, "cores": os.cpu_count(), "threads": torch.get_num_threads(),
              "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"), "throughput": results}
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
