"""specxai-bench: benchmark attribution methods on speech-spectrogram classifiers against phonetics.

The Python API (docs/api.md) is importable from here: ``explain``, ``metric``, ``spectrogram``,
``tracks``, ``wrap``, ``load_run`` (and ``Explanation``, ``Run``, ``FrequencyAxis``, the ``METHODS``
and ``METRICS`` registries). They load lazily, so ``import specxai_bench`` (and the CLI's ``--help``)
does not import torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API = {
    "explain": "api", "Explanation": "api", "metric": "api", "spectrogram": "api", "tracks": "api", "wrap": "api",
    "load_run": "api", "Run": "api", "FrequencyAxis": "data.spectrogram", "METHODS": "methods", "METRICS": "metrics",
}
__all__ = ["FrequencyAxis", "METHODS", "METRICS", "Explanation", "Run", "__version__", "explain", "load_run", "metric",
           "spectrogram", "tracks", "wrap"]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(f".{_API[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
