"""Runs across processes with torch.distributed: data-parallel training, sharded evaluation, one store.

Launch with torchrun (one process per GPU, or per CPU slot on the gloo backend)::

    torchrun --standalone --nproc_per_node 2 -m specxai_bench run --profile paper ...
    torchrun --nnodes 2 --node_rank R --rdzv_endpoint HOST:PORT --nproc_per_node 8 -m specxai_bench run ...

The process group comes from torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
MASTER_PORT): nccl when the device is CUDA (each rank on ``cuda:LOCAL_RANK``), gloo on CPU. Without
those variables everything here is a no-op and a run is the ordinary single-process run.

- **Training** (:func:`data_parallel`): DistributedDataParallel with synchronised batch norm, each
  global batch split across the ranks. The global batch, its order and its augmentation are the
  single-process ones, and the loss is scaled so that DDP's gradient average equals the gradient
  of the global batch's mean loss: N ranks train the same model as one process, up to float
  rounding (docs/scaling.md).
- **Evaluation** (:func:`shard`): the test batches, formed exactly as one process forms them, are
  dealt round-robin to the ranks, so every sample is attributed and scored in the same batch as in
  a single-process run (the rows are then identical, not only close).
- **Rows**: rank 0 writes the run's ``results.sqlite``; rank r > 0 writes ``results.rank{r}.sqlite``
  beside it. After a barrier rank 0 merges them with ``INSERT OR IGNORE`` (the rows' primary key
  makes this idempotent) and deletes them (:func:`merge_rank_stores`). A run killed before the merge
  leaves the rank stores behind; the next run merges them first, so nothing computed is lost.
  Multi-node runs need the output folder on a filesystem every node sees (as the checkpoints do).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from ..errors import ConfigError, SpecXAIError

T = TypeVar("T")


@dataclass(frozen=True)
class DistEnv:
    """This process's place in the job: rank, world size and the rank on its node."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


SINGLE = DistEnv()


def env_from(environ: dict[str, str] | os._Environ = os.environ) -> DistEnv:
    """The torchrun variables (RANK, WORLD_SIZE, LOCAL_RANK); a single process when they are absent."""
    if "WORLD_SIZE" not in environ:
        return SINGLE
    try:
        world = int(environ["WORLD_SIZE"])
        rank = int(environ.get("RANK", "0"))
        local = int(environ.get("LOCAL_RANK", str(rank)))
    except ValueError:
        raise ConfigError("torch.distributed variables RANK / WORLD_SIZE / LOCAL_RANK must be integers, got "
                          f"{environ.get('RANK')!r} / {environ.get('WORLD_SIZE')!r} / "
                          f"{environ.get('LOCAL_RANK')!r}") from None
    if world < 1 or not 0 <= rank < world or local < 0:
        raise ConfigError(f"torch.distributed variables out of range: RANK={rank}, WORLD_SIZE={world}, "
                          f"LOCAL_RANK={local}")
    return DistEnv(rank, world, local)


def is_reporter(env: DistEnv | None = None) -> bool:
    """Whether this process prints result tables and summaries and writes study tables: rank 0 (or the
    only process). Under torchrun the other ranks print nothing but errors (``env``: default from the
    environment, which stays set after the process group is left)."""
    return (env_from() if env is None else env).is_main


def current() -> DistEnv:
    """The initialised process group's view (a single process when there is none)."""
    if dist.is_available() and dist.is_initialized():
        return DistEnv(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", dist.get_rank())))
    return SINGLE


def backend_for(device: str) -> str:
    return "nccl" if device.startswith("cuda") else "gloo"


def rank_device(device: str, env: DistEnv) -> str:
    """``cuda`` -> ``cuda:LOCAL_RANK`` under a multi-process run; anything else unchanged."""
    return f"cuda:{env.local_rank}" if env.active and device == "cuda" else device


@contextmanager
def process_group(device: str) -> Iterator[tuple[DistEnv, str]]:
    """Join the job torchrun describes (no-op for a single process); yields (env, this rank's device).

    A group someone else initialised (a test, a notebook) is used as it is and left open.
    """
    env = env_from()
    if not env.active:
        yield current(), device
        return
    if not dist.is_available():
        raise ConfigError("WORLD_SIZE > 1 but this torch build has no torch.distributed")
    device = rank_device(device, env)
    if device.startswith("cuda"):
        torch.cuda.set_device(torch.device(device))
    if dist.is_initialized():
        yield current(), device
        return
    dist.init_process_group(backend_for(device), init_method="env://", rank=env.rank, world_size=env.world_size)
    try:
        yield current(), device
    finally:
        dist.destroy_process_group()


# ---- collectives that are no-ops for a single process ----

def barrier(env: DistEnv) -> None:
    if env.active:
        dist.barrier()


def all_sum(value: float, env: DistEnv) -> float:
    """Sum of ``value`` over the ranks (float64)."""
    if not env.active:
        return float(value)
    t = torch.tensor([float(value)], dtype=torch.float64)
    dist.all_reduce(t)
    return float(t.item())


def all_gather(obj: T, env: DistEnv) -> list[T]:
    """Every rank's ``obj`` in rank order (picklable objects; small ones)."""
    if not env.active:
        return [obj]
    out: list[Any] = [None] * env.world_size
    dist.all_gather_object(out, obj)
    return out


def shard(items: Sequence[T], env: DistEnv) -> list[T]:
    """This rank's share: items rank, rank + W, rank + 2W, ... (all of them for a single process)."""
    return list(items[env.rank::env.world_size])


def local_slice(n: int, env: DistEnv) -> slice:
    """This rank's contiguous part of a global batch of ``n`` (sizes differ by at most one)."""
    return slice(n * env.rank // env.world_size, n * (env.rank + 1) // env.world_size)


@contextmanager
def main_first(env: DistEnv) -> Iterator[None]:
    """Rank 0 runs the block first (filling caches, creating files), the others after it."""
    if env.active and not env.is_main:
        dist.barrier()
    yield
    if env.active and env.is_main:
        dist.barrier()


@contextmanager
def output_lock(folder: Path, env: DistEnv) -> Iterator[None]:
    """The output folder's lock, held by rank 0 for the whole job; every rank fails if it is taken."""
    from .lock import OutputLock, OutputLockedError

    if not env.active:
        with OutputLock(folder):
            yield
        return
    lock, error = None, None
    if env.is_main:
        try:
            lock = OutputLock(folder).__enter__()
        except SpecXAIError as exc:
            error = str(exc)
    errors = [e for e in all_gather(error, env) if e]
    if errors:
        raise OutputLockedError(errors[0])
    try:
        yield
    finally:
        if lock is not None:
            lock.__exit__(None, None, None)


# ---- training: DDP with synchronised batch norm, undone on exit ----

class AllReduceBatchNorm2d(nn.BatchNorm2d):
    """Batch norm whose training statistics are those of the global batch over all ranks.

    torch's SyncBatchNorm refuses CPU tensors; this one works on any backend through the
    autograd-aware ``torch.distributed.nn.functional.all_reduce`` (two-pass: mean, then variance).
    It shares its parameters and buffers with the layer it stands in for. Eval mode and a single
    process fall back to the ordinary batch norm.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        from torch.distributed.nn.functional import all_reduce

        dims, shape = (0, 2, 3), (1, -1, 1, 1)
        local_n = torch.full((1,), x.numel() / max(x.shape[1], 1), dtype=x.dtype, device=x.device)
        stats = all_reduce(torch.cat([x.sum(dims), local_n]))
        n = stats[-1]
        mean = stats[:-1] / n
        centred = x - mean.view(shape)
        var = all_reduce(centred.pow(2).sum(dims)) / n
        y = centred * torch.rsqrt(var + self.eps).view(shape)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
                self.running_var.mul_(1 - m).add_(var.detach() * (n / (n - 1).clamp(min=1)), alpha=m)
        return y


def _synced(bn: nn.BatchNorm2d, cuda: bool) -> nn.Module:
    cls = nn.SyncBatchNorm if cuda else AllReduceBatchNorm2d
    new = cls(bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats)
    for name in ("weight", "bias"):
        if getattr(bn, name, None) is not None:
            setattr(new, name, getattr(bn, name))  # the same Parameter objects (the optimizer holds them)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        if getattr(bn, name, None) is not None:
            new._buffers[name] = bn._buffers[name]  # the same tensors, updated in place
    new.train(bn.training)
    return new


@contextmanager
def synced_batchnorm(model: nn.Module, device: str) -> Iterator[nn.Module]:
    """Swap every BatchNorm2d for a synchronised one sharing its tensors; put the originals back on exit."""
    swapped: list[tuple[nn.Module, str, nn.Module]] = []
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is nn.BatchNorm2d:
                swapped.append((parent, name, child))
                setattr(parent, name, _synced(child, device.startswith("cuda")))
    try:
        yield model
    finally:
        for parent, name, original in swapped:
            original.train(getattr(parent, name).training)
            setattr(parent, name, original)


@contextmanager
def data_parallel(model: nn.Module, env: DistEnv, device: str) -> Iterator[nn.Module]:
    """The module to train: ``model`` itself for a single process; under a multi-process run a
    DistributedDataParallel wrapper around it, with synchronised batch norm. ``model`` keeps its
    parameters (DDP trains them in place) and gets its own layers back on exit."""
    if not env.active:
        yield model
        return
    from torch.nn.parallel import DistributedDataParallel

    with synced_batchnorm(model, device):
        ids = [torch.device(device).index] if device.startswith("cuda") else None
        # batch-norm buffers stay equal on every rank (synchronised statistics): no per-step broadcast
        ddp = DistributedDataParallel(model, device_ids=ids, broadcast_buffers=False)
        try:
            yield ddp
        finally:
            # no gradient hook may outlive training: a later backward (Grad-CAM, IG) must not all-reduce
            ddp._remove_autograd_hooks()


# ---- result stores: one per rank, merged by rank 0 ----

def rank_store_path(store: Path, rank: int) -> Path:
    """``results.sqlite`` -> ``results.rank{rank}.sqlite`` (rank 0 writes the main store itself)."""
    return store if rank == 0 else store.with_name(f"{store.stem}.rank{rank}{store.suffix}")


def merge_rank_stores(store: Path) -> int:
    """Move every ``<stem>.rank*.sqlite`` beside ``store`` into it; returns the rows added.

    Rows go in with ``INSERT OR IGNORE`` (a key already present is kept) and timings only where an
    identical one is not there yet, in one transaction per rank store, which is then deleted.
    Repeating the merge (after a kill between commit and delete) adds nothing.
    """
    store = Path(store)
    added = 0
    ranks = sorted(store.parent.glob(f"{store.stem}.rank*{store.suffix}"))
    if not ranks:
        return 0
    from ..results.store import ResultStore

    main = ResultStore(store)  # creates the schema if the main store is new
    conn = main.conn
    try:
        for path in ranks:
            conn.execute("ATTACH DATABASE ? AS part", (str(path),))
            try:
                have = {r[0] for r in conn.execute("SELECT name FROM part.sqlite_master WHERE type='table'")}
                with conn:
                    if "rows" in have:
                        added += conn.execute("INSERT OR IGNORE INTO main.rows SELECT * FROM part.rows").rowcount
                    if "timings" in have:
                        conn.execute(
                            "INSERT INTO main.timings SELECT * FROM part.timings p WHERE NOT EXISTS (SELECT 1 FROM "
                            "main.timings m WHERE m.task=p.task AND m.model=p.model AND m.method=p.method AND "
                            "m.method_options=p.method_options AND m.samples=p.samples AND m.seconds=p.seconds "
                            "AND m.run=p.run)")
            finally:
                conn.execute("DETACH DATABASE part")
            for extra in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{extra}").unlink(missing_ok=True)
    finally:
        main.close()
    return added
