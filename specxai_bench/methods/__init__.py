"""Attribution methods: one small file per family, each registers itself in METHODS."""

from .base import METHODS, AttributionError, AttributionMethod

__all__ = ["METHODS", "AttributionError", "AttributionMethod"]
