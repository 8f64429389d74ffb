"""Defaults shared by the command line and the run config, importable without torch.

``READING_BASELINES`` are the model-free methods every `specxai-bench run` scores beside the methods
asked for (unless ``--baselines none``), because a table without them cannot be read: the energy copy
(formants are where the energy is: the bar a method must clear) and random (chance). Change this one
constant when a stronger energy baseline is registered (e.g. ``input_energy@scale=power``).
"""

from __future__ import annotations

READING_BASELINES: tuple[str, ...] = ("input_energy", "random")
