"""Plugins cannot corrupt each other: per-call time limits and a guard on the shared model.

Every method and metric call in a run goes through :func:`call_plugin`: a call that raises (a
``SystemExit`` included), runs past its time limit, or leaves the model changed (weights, buffers,
hooks, train/eval mode, ``requires_grad``) fails its batch with a message naming the plugin. The
model is then put back as it was, so the plugins after it see the model the run trained.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

import torch

T = TypeVar("T")

REARM_SECONDS = 1.0  # after a timeout fires, it fires again this often until the call ends


class PluginTimeout(BaseException):
    """A plugin call ran past its limit.

    A BaseException, as KeyboardInterrupt is: a plugin's ``except Exception`` cannot swallow it. A
    plugin that catches it anyway (bare ``except:``) gets it again every :data:`REARM_SECONDS`, and
    its late result is discarded when it returns.
    """


@contextmanager
def time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Raise :class:`PluginTimeout` inside the block after ``seconds`` (SIGALRM, main thread only).

    Python code is interrupted at once; a call stuck inside one long C operation is interrupted
    when that operation returns. A block that swallowed the timeout and returned still raises it
    on exit. Outside the main thread (or with no limit) this does nothing.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return
    message = f"{what} ran past the per-call limit of {seconds:g} s (--call-timeout)"
    fired: list[bool] = []

    def on_alarm(signum: int, frame: object) -> None:
        fired.append(True)
        raise PluginTimeout(message)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds, min(REARM_SECONDS, seconds))  # re-armed until disarmed
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if fired:  # the plugin caught the timeout and returned something: not a result
        raise PluginTimeout(f"{message}; it caught the timeout and returned late, so its result was discarded")


def describe(exc: BaseException) -> str:
    """The error text stored in a row: the exception's type and message."""
    if isinstance(exc, SystemExit):
        return f"SystemExit({exc.code!r}): the plugin called sys.exit()"
    return f"{type(exc).__name__}: {exc}"


_HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
_HOOK_EXTRAS = ("_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs")


class ModelGuard:
    """A snapshot of a model (tensors, hooks, modes) that a plugin call must leave unchanged.

    :meth:`check` compares the model with the snapshot exactly (``torch.equal`` on every parameter
    and buffer; version counters alone miss writes through ``.data``) and puts back whatever
    changed. On one CPU thread a check takes 6-23 ms for ResNet-18 and 31-106 ms for ResNet-101
    (idle core vs load 7), ~1 % of a cam batch of 16 at 224 px (2 s / 8 s at load 7); ``runner.run_method``
    checks once per batch and reruns a batch that changed the model with a check after every call.
    """

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model
        self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.modes = {name: m.training for name, m in model.named_modules()}
        self.grads = {name: p.requires_grad for name, p in model.named_parameters()}
        self.hooks = {name: {d: set(getattr(m, d, {})) for d in _HOOK_DICTS} for name, m in model.named_modules()}

    def check(self) -> str | None:
        """None when the model is as snapshotted; else what changed (then restored)."""
        changed: list[str] = []
        current = self.model.state_dict()
        tensors = [k for k, v in self.state.items()
                   if k not in current or current[k].shape != v.shape or not torch.equal(current[k], v)]
        if tensors or set(current) != set(self.state):
            changed.append(_listed("weights or buffers", tensors or sorted(set(current) ^ set(self.state))))
            self.model.load_state_dict(self.state)
        modules = dict(self.model.named_modules())
        modes = [n for n, m in modules.items() if self.modes.get(n, m.training) != m.training]
        if modes:
            changed.append(_listed("train/eval mode", [n or "model" for n in modes]))
            for n in modes:
                modules[n].training = self.modes[n]
        grads = [n for n, p in self.model.named_parameters() if self.grads.get(n, p.requires_grad) != p.requires_grad]
        if grads:
            changed.append(_listed("requires_grad", grads))
            for n, p in self.model.named_parameters():
                if n in grads:
                    p.requires_grad_(self.grads[n])
        hooked = [n or "model" for n, m in modules.items() if self._remove_new_hooks(n, m)]
        if hooked:
            changed.append(_listed("hooks left on", hooked))
        return "; ".join(changed) or None

    def _remove_new_hooks(self, name: str, module: torch.nn.Module) -> bool:
        before = self.hooks.get(name, {})
        found = False
        for d in _HOOK_DICTS:
            hooks = getattr(module, d, None)
            for key in [k for k in (hooks or {}) if k not in before.get(d, set())]:
                found = True
                del hooks[key]
                for extra in _HOOK_EXTRAS:
                    getattr(module, extra, {}).pop(key, None)
        return found


def _listed(what: str, names: list[str], show: int = 3) -> str:
    more = f" and {len(names) - show} more" if len(names) > show else ""
    return f"{what}: {', '.join(names[:show])}{more}"


def call_plugin(call: Callable[[], T], what: str, timeout: float | None,
                guard: ModelGuard | None = None) -> tuple[T | None, str | None]:
    """``(result, None)``, or ``(None, error)`` when the call raised, timed out or changed the model.

    KeyboardInterrupt is not caught: the user's Ctrl-C still stops the run.
    """
    try:
        with time_limit(timeout, what):
            result: T | None = call()
        error = None
    except (Exception, SystemExit, PluginTimeout) as exc:
        result, error = None, describe(exc)
    damage = guard.check() if guard is not None else None
    if damage:
        why = f"{what} changed the model ({damage}); the model was restored and this call's results discarded"
        result, error = None, f"{error}; {why}" if error else why
    return result, error
