"""Train (or load) one model per task: selection on validation, test accuracy measured once.

No augmentation moves, rescales or flips the frequency axis or reverses time (the study's
RandomResizedCrop and horizontal flip did both): only small time shifts and additive noise.
The recipe's speed-ups (docs/performance.md): bfloat16 autocast on a CPU with native bf16
(``Profile.cpu_bf16``) and progressive resizing (``Profile.epoch_scales``: early epochs on
whole images shrunk by area averaging, every image by the same factor, so row i still spans the
same Hz; the last epoch always at full size). Validation (the checkpoint choice) runs at full size
in the training's precision (bf16 where the profile trains in it: 2.1x faster per image than float32
on this EPYC, as on CUDA); the test accuracy is measured once in float32 on a CPU, as the model is
used afterwards.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from .. import __version__
from ..data.datasets import TaskData
from ..data.tasks import Task
from ..errors import CheckpointError, SpecXAIError
from ..io import atomic_write, config_hash
from ..runtime import distributed, gpu
from ..runtime.progress import progress_bar, status
from .checkpoints import (
    load_backbone_weights,
    load_checkpoint,
    save_checkpoint,
    weights_digest,
)
from .classifier import SpectrogramClassifier
from .predict import accuracy
from .profiles import Profile


class TrainingError(SpecXAIError):
    """Training cannot go on (a non-finite loss) or its state cannot be saved (disk full)."""


def model_config(task: Task, profile: Profile, corpus_fingerprint: str, seed: int,
                 weights: Path | None = None, train_seed: int | None = None, split: str | None = None
                 ) -> dict[str, Any]:
    """Everything that changes the trained weights; its hash names the checkpoint.

    ``seed`` drew the split; ``train_seed`` (None: ``seed``) the initial weights, data order and
    augmentation. It enters the config only when it differs, so models trained before it existed
    keep their names. ``split`` names a split scheme other than the default single speaker split
    (e.g. ``speaker-fold 2/4``)."""
    return {
        "init": "scratch" if weights is None else f"{Path(weights).name}:{weights_digest(Path(weights))}",
        "task": task.name, "classes": list(task.classes), "fmax": task.fmax, "arch": profile.arch,
        "image_size": profile.image_size, "epochs": profile.epochs, "batch_size": profile.batch_size,
        "lr": profile.lr, "patience": profile.patience, "schedule": profile.max_lr_schedule,
        "corpus": corpus_fingerprint, "seed": seed, "format": 2,
    } | ({} if task.shortcut is None else {"shortcut": task.shortcut.as_dict()}) | (  # the planted bands, when any
        {} if train_seed in (None, seed) else {"train_seed": train_seed}) | ({} if split is None else {"split": split}) | (
        _recipe(profile))


def _recipe(profile: Profile) -> dict[str, Any]:
    """The recipe fields a profile sets away from their defaults (so older configs keep their hash)."""
    return {k: v for k, v in {"cpu_bf16": profile.cpu_bf16, "bf16_validation": profile.cpu_bf16,
                              "epoch_scales": list(profile.epoch_scales),
                              "max_train_per_class": profile.max_train_per_class}.items() if v}


def augment(x: torch.Tensor, gen: torch.Generator, max_shift: int) -> torch.Tensor:
    """Per-sample circular time shift of up to ``max_shift`` columns plus faint noise."""
    if max_shift > 0:
        b, _, _, w = x.shape
        shifts = torch.randint(-max_shift, max_shift + 1, (b,), generator=gen)
        cols = (torch.arange(w)[None, :] - shifts[:, None]) % w
        x = torch.gather(x, 3, cols[:, None, None, :].expand(-1, x.shape[1], x.shape[2], -1))
    return x + 0.01 * torch.randn(x.shape, generator=gen)


def resize(x: torch.Tensor, size: int) -> torch.Tensor:
    """Images [B, C, H, W] shrunk to ``size`` x ``size`` by area averaging (unchanged at their own size)."""
    return x if x.shape[-1] == size and x.shape[-2] == size else F.interpolate(x, size=(size, size), mode="area")


def checkpoint_path(checkpoint_dir: Path, task: Task, profile: Profile, chash: str) -> Path:
    """Where the model of this config lives: its name carries the task, arch, size and config hash."""
    return Path(checkpoint_dir) / f"{task.name}-{profile.arch}-{profile.image_size}px-{chash}.pt"


def train_or_load(task: Task, splits: dict[str, TaskData] | Callable[[], dict[str, TaskData]], profile: Profile, *,
                  corpus_fingerprint: str, seed: int, device: str, checkpoint_dir: Path, retrain: bool = False,
                  weights: Path | None = None, progress: bool = True, train: bool = True,
                  recreate_hint: str = "", train_seed: int | None = None, split: str | None = None
                  ) -> tuple[SpectrogramClassifier, dict[str, Any]]:
    """The task's model: from its cached checkpoint when one exists for this exact config.

    ``splits`` may be a callable: the images are then only built when the model must be trained.
    With ``train=False`` a missing checkpoint is a CheckpointError (``recreate_hint`` says how to
    make it). Training writes a resume state after every epoch but the last (model, optimizer, schedule,
    RNG, best so far; ~4x the weights' size, so it is skipped where the checkpoint follows at once), so a
    killed run continues from its last saved epoch with the same weights.
    """
    config = model_config(task, profile, corpus_fingerprint, seed, weights, train_seed, split)
    chash = config_hash(config)
    model_seed = seed if train_seed is None else train_seed  # weights, data order, augmentation
    path = checkpoint_path(checkpoint_dir, task, profile, chash)
    resume = path.with_suffix(".resume.pt")
    env = distributed.current()  # under torchrun: every rank trains its part of each batch; rank 0 writes
    torch.manual_seed(model_seed)  # the initial weights derive from the seed too
    model = SpectrogramClassifier(profile.arch, len(task.classes))
    if path.exists() and not retrain:
        meta = load_checkpoint(path, model, chash)
        if env.is_main:
            status(f"[{task.name}] loaded model {path.name} (test accuracy {meta['test_accuracy']:.3f})")
        # channels_last as after training: a loaded model computes exactly what the freshly trained one did
        model.to(device).to(memory_format=torch.channels_last)
        return model.eval(), {**meta, "checkpoint": str(path), "cached": True}
    if not train:
        raise CheckpointError(f"no checkpoint {path} for model {chash} of task {task.name}"
                              + (f"; recreate it with `{recreate_hint}`" if recreate_hint else ""))
    if retrain:
        if env.is_main:
            resume.unlink(missing_ok=True)
        distributed.barrier(env)
    if weights is not None:
        load_backbone_weights(model, weights)
    data = splits() if callable(splits) else splits
    meta = _train(model, task, data, profile, seed=model_seed, device=device, progress=progress,
                  resume_path=resume, chash=chash)
    meta.update(config_hash=chash, config=config, specxai_version=__version__)
    if env.is_main:
        try:
            save_checkpoint(path, model, meta)
        except OSError as exc:  # the resume state of the epoch before the last stays (if any): a rerun trains on from it
            kept = (f"training resumes from the state kept in {resume.name}" if resume.exists()
                    else "the model is trained again")
            raise TrainingError(f"could not write the checkpoint {path} ({exc.strerror or exc}); free disk space and "
                                f"rerun the same command: {kept}") from None
        resume.unlink(missing_ok=True)
    distributed.barrier(env)
    return model.eval(), {**meta, "checkpoint": str(path), "cached": False}


def _load_resume(path: Path, chash: str) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"training resume state {path} is unreadable ({type(exc).__name__}); "
                              f"delete it or run with --retrain") from None
    if state.get("config_hash") != chash:
        raise CheckpointError(f"training resume state {path} belongs to another config; delete it or --retrain")
    return state


def _train(model: SpectrogramClassifier, task: Task, splits: dict[str, TaskData], profile: Profile, *,
           seed: int, device: str, progress: bool, resume_path: Path, chash: str,
           after_epoch: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Train ``model`` per ``profile``; ``after_epoch`` (benchmarks/time_to_accuracy.py) is called with each
    epoch's history entry, outside the epoch's timing."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    env = distributed.current()
    say = status if env.is_main else (lambda message: None)
    gpu.configure(device)
    model.to(device).to(memory_format=torch.channels_last)  # ~1.3x faster on CPU too (benchmarks/)
    train, val, test = splits["train"], splits["val"], splits["test"]
    opt = torch.optim.Adam(model.parameters(), lr=profile.lr)
    steps_per_epoch = max(1, int(np.ceil(len(train) / profile.batch_size)))
    total_steps = profile.epochs * steps_per_epoch
    sched = (torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=profile.lr, total_steps=total_steps, pct_start=0.25)
             if profile.max_lr_schedule and total_steps >= 8 else None)
    st: dict[str, Any] = {"epoch": 0, "best_acc": -1.0, "best_state": None, "best_epoch": 0, "history": [],
                          "seen": 0, "seconds": 0.0}
    saved = _load_resume(resume_path, chash)
    if saved is not None:
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        if sched is not None:
            sched.load_state_dict(saved["scheduler"])
        gen.set_state(saved["generator"])
        st = saved["progress"]
        say(f"[{task.name}] resuming training after epoch {st['epoch']} ({resume_path.name})")
    with distributed.data_parallel(model, env, device) as net:  # DDP + synchronised batch norm under torchrun
        for epoch in range(st["epoch"], profile.epochs):
            if profile.patience and st["best_epoch"] and epoch - st["best_epoch"] >= profile.patience:
                break  # early stopping on validation accuracy
            t0 = time.time()
            size = profile.epoch_size(epoch)
            losses = _train_epoch(net, train, opt, sched, gen, profile, device, progress and env.is_main,
                                  desc=f"[{task.name}] train epoch {epoch + 1}/{profile.epochs}", size=size)
            gpu.synchronize(device)
            seconds = time.time() - t0
            val_acc = accuracy(model, val, device, profile.eval_batch_size, cpu_bf16=profile.cpu_bf16)
            st["history"].append({"epoch": epoch + 1, "loss": float(np.mean(losses)), "val_accuracy": val_acc,
                                  "image_size": size, "train_seconds": seconds, "seconds": time.time() - t0})
            if val_acc > st["best_acc"]:
                st.update(best_acc=val_acc, best_state=copy.deepcopy(model.state_dict()), best_epoch=epoch + 1)
            st.update(epoch=epoch + 1, seen=st["seen"] + len(train), seconds=st["seconds"] + time.time() - t0)
            if env.is_main and epoch + 1 < profile.epochs:  # after the last epoch the checkpoint itself is written
                _save_resume(resume_path, chash, model, opt, sched, gen, st)
            say(f"[{task.name}] epoch {epoch + 1}: loss {np.mean(losses):.3f}, val accuracy {val_acc:.3f} "
                f"({len(train) / max(seconds, 1e-9):.1f} train images/s at {size} px)")
            if after_epoch is not None:
                after_epoch(st["history"][-1])
    model.load_state_dict(st["best_state"])
    test_acc = accuracy(model, test, device, profile.eval_batch_size)  # measured once, on held-out speakers
    improving = still_improving(st["history"])
    say(f"[{task.name}] best epoch {st['best_epoch']} of {len(st['history'])} (val {st['best_acc']:.3f}); "
        f"test accuracy {test_acc:.3f}" + (" - validation accuracy was still rising at the last epoch: more "
                                           "epochs (--epochs) may help" if improving else ""))
    return {
        "task": task.name, "arch": profile.arch, "image_size": profile.image_size, "profile": profile.name,
        "best_epoch": st["best_epoch"], "val_accuracy": st["best_acc"], "test_accuracy": test_acc,
        "n_test": len(test), "n_train": len(train), "n_val": len(val), "train_seconds": st["seconds"],
        "train_images_per_second": st["seen"] / max(st["seconds"], 1e-9), "device": device,
        "history": st["history"], "precision": gpu.training_precision(device, profile.cpu_bf16),
        "threads": torch.get_num_threads(),  # a CPU model's weights depend on it (reduction order)
        "still_improving": improving,
    } | ({"world_size": env.world_size} if env.active else {})


def still_improving(history: list[dict[str, Any]]) -> bool:
    """True when the last epoch was the best and raised validation accuracy over the one before:
    training stopped while the model was still getting better (more epochs may help)."""
    if len(history) < 2:
        return False
    last, before = history[-1]["val_accuracy"], history[-2]["val_accuracy"]
    return last > before and last >= max(h["val_accuracy"] for h in history)


def _train_epoch(model: torch.nn.Module, train: TaskData, opt: torch.optim.Optimizer, sched: Any,
                 gen: torch.Generator, profile: Profile, device: str, progress: bool, desc: str,
                 size: int) -> list[float]:
    model.train()
    env = distributed.current()
    order = torch.randperm(len(train), generator=gen)
    batches = [order[i:i + profile.batch_size] for i in range(0, len(order), profile.batch_size)]
    losses = []
    for idx in progress_bar(batches, desc=desc, unit="batch", enabled=progress):
        # the whole global batch is augmented on every rank: one random stream, as in a single process
        x = resize(augment(train.images[idx], gen, max_shift=profile.image_size // 16), size)
        y = train.targets[idx]
        if env.active:  # this rank's part; DDP averages gradients over ranks, so scale the summed loss
            part = distributed.local_slice(len(idx), env)
            x, y = x[part], y[part]
        x = gpu.to_device(x, device, channels_last=True)
        with gpu.autocast(device, cpu_bf16=profile.cpu_bf16):
            logits = model(x)
        if env.active:
            local = F.cross_entropy(logits.float(), y.to(device), reduction="sum")
            loss = local * (env.world_size / len(idx))
        else:
            loss = F.cross_entropy(logits.float(), y.to(device))
        value = distributed.all_sum(float(local.detach()), env) / len(idx) if env.active else float(loss.detach())
        if not np.isfinite(value):  # before the step: NaN gradients would make every weight NaN
            raise_non_finite_loss(value, desc, len(losses) + 1, train.ids, idx)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        losses.append(value)
    return losses


def raise_non_finite_loss(value: float, desc: str, step: int, ids: tuple[str, ...], idx: torch.Tensor) -> None:
    """Stop training (every rank sees the same summed loss): nothing of this model is cached."""
    first = ", ".join(ids[int(i)] for i in idx[:3])
    raise TrainingError(f"{desc}: the loss became {value} at batch {step} (samples {first}, ...); training "
                        "stopped and no checkpoint was written. The images are checked to be finite, so lower "
                        "the learning rate, or look for extreme recordings among these samples")


def _save_resume(path: Path, chash: str, model: torch.nn.Module, opt: torch.optim.Optimizer, sched: Any,
                 gen: torch.Generator, st: dict[str, Any]) -> None:
    state = {"config_hash": chash, "model": model.state_dict(), "optimizer": opt.state_dict(),
             "scheduler": sched.state_dict() if sched is not None else None, "generator": gen.get_state(),
             "progress": st}
    try:
        atomic_write(path, lambda f: torch.save(state, f))
    except OSError as exc:  # the temp file is gone; the previous state file (if any) is whole
        kept = f"the state after epoch {st['epoch'] - 1} is kept" if path.exists() else "no earlier state existed"
        raise TrainingError(f"could not write the training resume state {path} after epoch {st['epoch']} "
                            f"({exc.strerror or exc}); {kept}: free disk space and rerun the same command to "
                            "resume") from None
