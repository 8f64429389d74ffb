"""Predictions and accuracy of a trained model on a split (sharded across ranks under torchrun)."""

from __future__ import annotations

import torch

from ..data.datasets import TaskData
from ..runtime import distributed, gpu


@torch.no_grad()
def predict(model: torch.nn.Module, images: torch.Tensor, device: str, batch_size: int, *,
            cpu_bf16: bool = False) -> torch.Tensor:
    """Predicted classes; bfloat16 autocast on CUDA, and on a CPU with native bf16 when ``cpu_bf16``."""
    model.eval()
    out = []
    for i in range(0, len(images), batch_size):
        with gpu.autocast(device, cpu_bf16=cpu_bf16):
            out.append(model(gpu.to_device(images[i:i + batch_size], device)).argmax(1).cpu())
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)


def accuracy(model: torch.nn.Module, data: TaskData, device: str, batch_size: int, *, cpu_bf16: bool = False) -> float:
    if len(data) == 0:
        return float("nan")
    env = distributed.current()
    if env.active:  # each rank predicts its share of the batches; the counts are summed
        correct = 0
        for i in distributed.shard(range(0, len(data), batch_size), env):
            pred = predict(model, data.images[i:i + batch_size], device, batch_size, cpu_bf16=cpu_bf16)
            correct += int((pred == data.targets[i:i + batch_size]).sum())
        return distributed.all_sum(correct, env) / len(data)
    # counted, then divided in Python: a float32 mean puts 171 of 180 at 0.94999999, below a 0.95 target
    return int((predict(model, data.images, device, batch_size, cpu_bf16=cpu_bf16) == data.targets).sum()) / len(data)
