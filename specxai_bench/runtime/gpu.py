"""Device-specific speed-ups of training and inference: mixed precision, channels_last, pinned copies.

Mixed precision is bfloat16 autocast (no loss scaling needed; batch norm and the loss stay in
float32 under autocast): always on CUDA; on a CPU only when asked (``cpu_bf16``, the cpu profile's
training recipe) and only where oneDNN has native bf16 kernels (AVX512-BF16 or AMX), since
emulated bf16 is slower than float32. Inference on a CPU stays float32, so attributions and the
reported accuracy are those of the float32 model. Pinning only happens when there is a CUDA
device to copy to. Batches are augmented on the CPU from the CPU generator, so the random stream
is the same on every device, then pinned and copied asynchronously.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import ContextManager

import torch


def is_cuda(device: str | torch.device) -> bool:
    return torch.device(device).type == "cuda"


def cpu_bf16_supported() -> bool:
    """Whether this CPU's oneDNN runs bfloat16 natively (AVX512-BF16 or AMX)."""
    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def training_precision(device: str | torch.device, cpu_bf16: bool) -> str:
    """``bf16`` where training runs under bfloat16 autocast on ``device``, else ``fp32``."""
    return "bf16" if is_cuda(device) or (cpu_bf16 and cpu_bf16_supported()) else "fp32"


def autocast(device: str | torch.device, *, cpu_bf16: bool = False) -> ContextManager[object]:
    """bfloat16 autocast on CUDA, and on a CPU with native bf16 when ``cpu_bf16``; nothing elsewhere."""
    if is_cuda(device):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if training_precision(device, cpu_bf16) == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
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
