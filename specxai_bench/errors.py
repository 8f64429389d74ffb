"""The toolkit's own exceptions: each message names the culprit and what to do about it."""


class SpecXAIError(Exception):
    """Base class; the CLI prints these without a traceback and exits non-zero."""

    exit_code = 2


class UnknownNameError(SpecXAIError, KeyError):
    """A method, metric, task, profile or corpus name that nothing registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ConfigError(SpecXAIError, ValueError):
    """An option or combination of options that cannot work."""


class DataError(SpecXAIError, ValueError):
    """Bad input data: audio, alignments, labels, corpus contents."""


class CheckpointError(SpecXAIError):
    """A checkpoint that is missing, truncated, foreign or made with another config."""
