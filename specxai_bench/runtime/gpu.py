"""The GPU path of training and inference: mixed precision, channels_last, pinned-memory copies.

Every helper is a no-op on CPU, so the CPU path (and its bitwise reproducibility) is untouched:
autocast only when the device is CUDA, pinning only when there is a CUDA device to copy to.
Mixed precision is bfloat16 autocast (no loss scaling needed; batch norm and the loss stay in
float32 under autocast). Batches are augmented on the CPU from the CPU generator, so the random
stream is the same on every device, then pinned and copied asynchronously.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import ContextManager

import torch


def is_cuda(device: str | torch.device) -> bool:
    return torch.device(device).type == "cuda"


def autocast(device: str | torch.device) -> ContextManager[object]:
    """bfloat16 autocast on CUDA; nothing elsewhere."""
    if is_cuda(device):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()


def to_device(x: torch.Tensor, device: str | torch.device, *, channels_last: bool = False) -> torch.Tensor:
    """``x`` on ``device``: through pinned memory and a non-blocking copy on CUDA, ``.to`` elsewhere."""
    if is_cuda(device):
        x = x.pin_memory().to(device, non_blocking=True)
    else:
        x = x.to(device)
    return x.to(memory_format=torch.channels_last) if channels_last else x


def configure(device: str | torch.device) -> None:
    """Fast CUDA kernels (TF32 matmuls and convolutions); nothing on CPU."""
    if is_cuda(device):
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True


def synchronize(device: str | torch.device) -> None:
    """Wait for queued CUDA work (for honest timings); nothing on CPU."""
    if is_cuda(device):
        torch.cuda.synchronize(torch.device(device))
