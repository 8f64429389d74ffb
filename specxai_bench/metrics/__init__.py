"""Metrics: one small file per family, each registers itself in METRICS."""

from .base import METRICS, Metric, ScoringBatch

__all__ = ["METRICS", "Metric", "ScoringBatch"]
