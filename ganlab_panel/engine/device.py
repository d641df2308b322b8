"""The one place that decides where tensors live and how many threads torch uses.

CUDA is used when present (``device="auto"``), else the CPU. Torch's intra-op
thread count is capped (default 1, ``GANLAB_TORCH_THREADS`` overrides): one
thread trains GAN Lab's tiny networks as fast as two, and leaves the other cores
to the server, the browser and other sessions.
"""

from __future__ import annotations

import os

import torch

from ganlab_panel.engine.errors import ConfigError

DEVICE_CHOICES = ("auto", "cpu", "cuda")
DEFAULT_THREADS = 1

_threads_configured = False


def resolve_device(name: str = "auto") -> torch.device:
    """Map a config's ``device`` value to a ``torch.device``.

    ``"auto"`` picks CUDA when available, else the CPU; asking for ``"cuda"``
    on a machine without it is an error rather than a silent fallback.
    """
    if name not in DEVICE_CHOICES:
        raise ConfigError(f"device must be one of {DEVICE_CHOICES}, not {name!r}", "device")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was requested but no CUDA GPU is available", "device")
    return torch.device(name)


def configure_threads(threads: int | None = None) -> int:
    """Cap torch's intra-op threads once per process and return the count in use.

    An explicit ``threads`` argument always applies; otherwise the cap is set the
    first time a trainer is built, from ``GANLAB_TORCH_THREADS`` or the default.
    """
    global _threads_configured
    if threads is None:
        if _threads_configured:
            return torch.get_num_threads()
        threads = int(os.environ.get("GANLAB_TORCH_THREADS", DEFAULT_THREADS))
    threads = max(1, int(threads))
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    _threads_configured = True
    return threads
