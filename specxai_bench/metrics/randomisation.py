"""Model parameter randomisation sanity check (Adebayo et al. 2018, "Sanity checks for saliency maps").

Every parameter of a copy of the model is re-drawn (independent full randomisation, seeded; batch-norm
running statistics reset), the same method is asked for the same samples and targets on that copy,
and the score is the Spearman rank correlation between each sample's two maps: lower is better. A
method whose maps barely change when the model is destroyed does not explain the model; its mean
above ``sanity_threshold`` (0.5) fails the check and the leaderboard flags it. Model-free maps
(input_energy, random) score 1 by construction; a constant map gives NaN.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from .base import METRICS, Metric, ScoringBatch
from .correlation import spearman_rows


def randomised_copy(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """A deep copy with every parameter re-initialised by its module's own ``reset_parameters``."""
    clone = copy.deepcopy(model).eval()
    torch.manual_seed(seed)
    for module in clone.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
        if hasattr(module, "reset_running_stats"):
            module.reset_running_stats()
        if isinstance(module, torch.nn.BatchNorm2d):  # reset_parameters makes BN the identity: randomise it too
            torch.nn.init.normal_(module.weight, 1.0, 0.5)
            torch.nn.init.normal_(module.bias, 0.0, 0.5)
    return clone


@METRICS.register()
class ModelParameterRandomisation(Metric):
    name = "model_parameter_randomisation"
    nan_means = "a map (original or randomised) is constant: no similarity"
    family = "randomisation"
    higher_is_better = False
    role = "sanity"
    sanity_threshold = 0.5
    description = "Spearman correlation of maps on the trained vs a fully randomised model (lower = sane)"

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed
        self._cache: tuple[int, torch.nn.Module] | None = None

    def params(self) -> str:
        return f"full,spearman,seed{self.seed}"

    def _random_model(self, model: torch.nn.Module) -> torch.nn.Module:
        if self._cache is None or self._cache[0] != id(model):
            self._cache = (id(model), randomised_copy(model, self.seed))
        return self._cache[1]

    def score(self, batch: ScoringBatch) -> np.ndarray:
        if batch.model is None or batch.method is None:
            raise ValueError("model_parameter_randomisation needs the model and the method in the batch")
        random_maps = batch.method.with_model(self._random_model(batch.model)).attribute(batch.images, batch.targets)
        a = batch.attributions.flatten(1).cpu().double().numpy()
        b = torch.nan_to_num(random_maps).flatten(1).cpu().double().numpy()
        return spearman_rows(a, b)
