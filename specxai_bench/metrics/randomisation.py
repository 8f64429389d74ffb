"""Model parameter randomisation (Adebayo et al. 2018, "Sanity checks for saliency maps", NeurIPS).

The model's stages are re-initialised top-down: ``cascade`` randomises the logits (``fc``), then
also ``layer4``, ... down to ``conv1`` (the stem: conv1 and bn1); ``independent`` randomises one
stage alone. ``upto=all`` is every stage at once, the fully randomised model. Each stage is
re-drawn by its modules' own ``reset_parameters`` (batch norm: scale 1, shift 0, running
statistics reset) after ``torch.manual_seed(seed)``; that is Quantus' MPRT on a network whose
stages are single layers. The same method attributes the same samples and target classes on the
randomised copy and :mod:`.similarity` compares each sample's two maps: lower is better. Networks
other than torchvision ResNets: every module with ``reset_parameters`` is a stage, output first.

Per batch the randomised models and maps are cached, so the similarities of one (mode, stage,
seed) reuse one attribution. The sanity flag of the boards reads |rho| of ``upto=all`` with
``similarity=spearman_abs``, pooled over seeds (:func:`is_flag_cell`).
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

import numpy as np
import torch
from torch import nn

from .base import METRICS, Metric, ScoringBatch
from .similarity import SIMILARITIES, similarity

MODES = ("cascade", "independent")
# torchvision ResNet stages, top (logits) first; the stem's batch norm goes with its convolution
RESNET_STAGES = (("fc", ("fc",)), ("layer4", ("layer4",)), ("layer3", ("layer3",)), ("layer2", ("layer2",)),
                 ("layer1", ("layer1",)), ("conv1", ("conv1", "bn1")))
STAGE_ORDER = tuple(name for name, _ in RESNET_STAGES) + ("all",)
MODEL_CACHE_BYTES = 2 * 1024**3  # randomised copies kept across batches (LRU beyond this)


def stages(model: nn.Module) -> list[tuple[str, list[nn.Module]]]:
    """(name, modules) of each stage, top first."""
    net = getattr(model, "backbone", model)
    if all(hasattr(net, m) for _, mods in RESNET_STAGES for m in mods):
        return [(name, [getattr(net, m) for m in mods]) for name, mods in RESNET_STAGES]
    named = [(n, m) for n, m in model.named_modules() if n and hasattr(m, "reset_parameters")]
    return [(n, [m]) for n, m in reversed(named)]


def randomised(model: nn.Module, mode: str, upto: str, seed: int) -> nn.Module:
    """A copy of ``model`` with the stages ``mode`` and ``upto`` name re-initialised (the model is untouched)."""
    names = [n for n, _ in stages(model)]
    if upto != "all" and upto not in names:
        raise ValueError(f"model has no stage {upto!r}; its stages: {', '.join(names)}, all")
    device = next(model.parameters()).device
    clone = copy.deepcopy(model).cpu().eval()  # drawn on the CPU: the same weights on every device
    chosen = stages(clone)
    if upto != "all":
        k = names.index(upto)
        chosen = chosen[: k + 1] if mode == "cascade" else chosen[k:k + 1]
    with torch.random.fork_rng(devices=[]):
        for _, modules in chosen:
            torch.manual_seed(seed)
            for module in modules:
                for sub in module.modules():
                    if hasattr(sub, "reset_parameters"):
                        sub.reset_parameters()
    return clone.to(device)


class _Cache:
    """Randomised copies per (model, mode, stage, seed), LRU by bytes; maps per batch, one batch at a time."""

    def __init__(self) -> None:
        self.models: OrderedDict[tuple, tuple[nn.Module, nn.Module, int]] = OrderedDict()
        self.batch: ScoringBatch | None = None
        self.maps: dict[tuple, torch.Tensor] = {}

    def model(self, model: nn.Module, mode: str, upto: str, seed: int) -> nn.Module:
        key = (id(model), mode, upto, seed)
        hit = self.models.get(key)
        if hit is not None and hit[0] is model:
            self.models.move_to_end(key)
            return hit[1]
        clone = randomised(model, mode, upto, seed)
        size = sum(p.numel() * p.element_size() for p in clone.parameters())
        self.models[key] = (model, clone, size)
        while len(self.models) > 1 and sum(v[2] for v in self.models.values()) > MODEL_CACHE_BYTES:
            self.models.popitem(last=False)
        return clone

    def random_maps(self, batch: ScoringBatch, mode: str, upto: str, seed: int) -> torch.Tensor:
        if self.batch is not batch:
            self.batch, self.maps = batch, {}
        key = (mode, upto, seed)
        if key not in self.maps:
            method = batch.method.with_model(self.model(batch.model, mode, upto, seed))
            self.maps[key] = method.attribute(batch.images, batch.targets).detach().float().cpu()
        return self.maps[key]


_CACHE = _Cache()


@METRICS.register()
class ModelRandomisation(Metric):
    name = "model_randomisation"
    nan_means = "the map on the trained model is constant: it has no order to compare (a constant randomised map scores 0)"
    family = "randomisation"
    higher_is_better = False
    role = "sanity"
    sanity_threshold = 0.5
    description = ("similarity of each map on the trained and on a randomised model, cascading or one stage at a "
                   "time (Adebayo et al. 2018); lower = the map depends on the weights")

    def __init__(self, *, mode: str = "cascade", upto: str = "all", similarity: str = "spearman_abs",
                 seed: int = 0) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if similarity not in SIMILARITIES:
            raise ValueError(f"similarity must be one of {', '.join(SIMILARITIES)}, got {similarity!r}")
        if not upto or not all(part.isidentifier() or part.isdigit() for part in upto.split(".")):
            raise ValueError(f"upto must be a stage name ({', '.join(STAGE_ORDER)}), got {upto!r}")
        self.mode, self.upto, self.similarity, self.seed = mode, upto, similarity, int(seed)

    def params(self) -> str:
        return f"{self.mode},{self.upto},{self.similarity},seed{self.seed}"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        if batch.model is None or batch.method is None:
            raise ValueError(f"{self.name} needs the model and the method in the batch")
        rand = _CACHE.random_maps(batch, self.mode, self.upto, self.seed)
        a = batch.attributions.detach().double().cpu().numpy()
        b = rand.double().numpy()
        out = similarity(self.similarity, a, np.nan_to_num(b))
        return np.where(np.isfinite(b).reshape(len(b), -1).all(1), out, np.nan)  # broke on the random model: NaN


# the first, single-seed version (v1 rows: "model_parameter_randomisation@full,spearman,seed0") named the
# fully randomised model with the signed Spearman correlation; its rows stay readable under this name
METRICS.alias("model_parameter_randomisation", "model_randomisation@similarity=spearman")


def parse_id(metric_id: str) -> dict[str, Any] | None:
    """mode, upto, similarity, seed of a randomisation metric id; None for any other metric.

    Rows of the first version (``model_parameter_randomisation@full,spearman,seed0``) read as the
    fully randomised model (mode ``full``), similarity ``spearman``."""
    name, _, params = metric_id.partition("@")
    if name not in ("model_randomisation", "model_parameter_randomisation"):
        return None
    parts = params.split(",")
    seed = next((int(p[4:]) for p in parts if p.startswith("seed") and p[4:].isdigit()), 0)
    if name == "model_randomisation" and len(parts) == 4:
        return {"mode": parts[0], "upto": parts[1], "similarity": parts[2], "seed": seed}
    sim = next((p for p in parts if p in SIMILARITIES), "spearman")
    return {"mode": "full", "upto": "all", "similarity": sim, "seed": seed}


def is_flag_cell(metric_id: str) -> bool:
    """Whether a randomisation id's rows decide the sanity flag: the fully randomised model, Spearman of |A|
    (or a first-version row, which has only the full randomisation)."""
    cfg = parse_id(metric_id)
    return cfg is not None and cfg["upto"] == "all" and (cfg["mode"] == "full" or cfg["similarity"] == "spearman_abs")


def stage_index(upto: str) -> int:
    """Position of a stage on the cascade curve (fc = 1 ... conv1 = 6, all = 7; other names after them)."""
    return STAGE_ORDER.index(upto) + 1 if upto in STAGE_ORDER else len(STAGE_ORDER) + 1
