"""specxai-bench: benchmark attribution methods on speech-spectrogram classifiers against phonetics."""

__version__ = "0.1.0"
