"""Corpora: where segments (audio + label + phonetic tracks) come from."""

from .base import Corpus, Segment, Tracks

__all__ = ["Corpus", "Segment", "Tracks"]
