"""The seeds every library here accepts: numpy's legacy seeding and ``torch.manual_seed`` both take
0 .. 2**32 - 1 (a negative seed or a larger one failed deep inside a run, after its store was made)."""

from __future__ import annotations

from .errors import ConfigError

MAX_SEED = 2**32 - 1


def check_seed(value: object, option: str = "--seed") -> int:
    """``value`` when it is an integer seed in range, else a ConfigError naming ``option``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise ConfigError(f"{option} must be an integer from 0 to {MAX_SEED}, got {value!r}")
    return value
