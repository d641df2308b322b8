"""The one place that decides where training runs and how many threads it uses.

CUDA is used when present (``device="auto"``), else the CPU. Whether CUDA is
present is first asked of the system (an NVIDIA driver loaded), so a machine
without one never imports PyTorch to find out; only where a driver is loaded
does torch itself say whether it can use it.

NumPy's BLAS gets one thread from the first Trainer on (:func:`one_blas_thread`),
and torch's intra-op thread count is capped (default 1, ``GANLAB_TORCH_THREADS``
overrides) the first time the PyTorch path runs: one thread trains GAN Lab's
tiny networks as fast as two, and leaves the other cores to the server, the
browser and other sessions.
"""

from __future__ import annotations

import ctypes.util
import functools
import os
import sys

from ganlab_panel.engine.errors import ConfigError

DEVICE_CHOICES = ("auto", "cpu", "cuda")
DEFAULT_THREADS = 1

_threads_configured = False


def nvidia_driver_loaded() -> bool:
    """Whether this system has an NVIDIA driver (without importing torch)."""
    if sys.platform.startswith("linux"):
        return os.path.exists("/proc/driver/nvidia/version")
    if sys.platform == "win32":
        return ctypes.util.find_library("nvcuda") is not None
    return False   # macOS has had no CUDA for years


@functools.cache
def cuda_available() -> bool:
    """Whether torch can train on a CUDA GPU here (torch is imported only where a driver is loaded)."""
    if not nvidia_driver_loaded():
        return False
    import torch

    return torch.cuda.is_available()


def resolve_device(name: str = "auto") -> str:
    """Map a config's ``device`` value to ``"cpu"`` or ``"cuda"``.

    ``"auto"`` picks CUDA when available, else the CPU; asking for ``"cuda"``
    on a machine without it is an error rather than a silent fallback.
    """
    if name not in DEVICE_CHOICES:
        raise ConfigError(f"device must be one of {DEVICE_CHOICES}, not {name!r}", "device")
    if name == "auto":
        return "cuda" if cuda_available() else "cpu"
    if name == "cuda" and not cuda_available():
        raise ConfigError("device 'cuda' was requested but no CUDA GPU is available", "device")
    return name


_blas_limited = False


def one_blas_thread() -> None:
    """Let NumPy's BLAS use one thread in this process from now on (once).

    GAN Lab's matrices are small (a batch of 256 by 128 neurons at most on the
    NumPy path; a few thousand points by a few neurons for a Frame), and
    BLAS's threads spin while they wait for each other. With every core busy
    (other sessions training, another run), two threads made an iteration 2–3×
    slower than one (BENCHMARKS.md, "Training speed"). Sessions, runs and sweep
    cells then share cores by running side by side instead.
    """
    global _blas_limited
    if not _blas_limited:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
        _blas_limited = True


def configure_threads(threads: int | None = None) -> int:
    """Cap torch's intra-op threads once per process and return the count in use.

    An explicit ``threads`` argument always applies; otherwise the cap is set the
    first time the PyTorch path runs, from ``GANLAB_TORCH_THREADS`` or the default.
    """
    import torch

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
