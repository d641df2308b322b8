"""The models that come with the package, pretrained on GAN Lab's distributions.

Choosing one of GAN Lab's four shapes (with "pre-trained" ticked) loads the
model trained on it, so the lab opens on a GAN that has already learned
something; the extra distributions always train from scratch.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PRETRAINED_DIR = "pretrained"


def pretrained_path(distribution: str) -> Path | None:
    """The packaged pretrained checkpoint for a built-in distribution, if any."""
    try:
        path = resources.files("ganlab_panel").joinpath(PRETRAINED_DIR, f"{distribution}.npz")
    except (ModuleNotFoundError, FileNotFoundError):
        return None
    path = Path(str(path))
    return path if path.is_file() else None

