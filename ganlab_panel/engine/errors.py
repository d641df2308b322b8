"""Errors raised for bad input: each is a ``ValueError`` that names the problem.

The app catches these and shows the message; the Python API lets them through so
a script fails with a sentence a user can act on.
"""


class GANLabError(ValueError):
    """Base class of every input error ganlab-panel raises on purpose."""


class ConfigError(GANLabError):
    """A configuration value is out of range, of the wrong type, or unknown.

    ``field`` names the offending parameter (``None`` when the whole document is
    wrong, e.g. not JSON at all).
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class DataError(GANLabError):
    """User-supplied points are unusable (empty, non-finite, wrong shape, ...)."""


class ModelFileError(GANLabError):
    """A checkpoint or GAN Lab model file is corrupt, truncated or mismatched."""
