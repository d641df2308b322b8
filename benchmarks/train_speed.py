"""Training speed: iterations per second of the trainer, per configuration.

    python benchmarks/train_speed.py                 # default table
    python benchmarks/train_speed.py --iterations 500 --repeats 1   # quick look

One iteration is GAN Lab's: k_D discriminator updates then k_G generator
updates (defaults 2 and 1) on batches of 150. Each figure is the median of
``--repeats`` timed runs after one warm-up run, on one torch thread unless
``--threads`` says otherwise. On a CPU every trainer path that applies is
measured: the compiled kernel (the default for small models), the NumPy fast
path and the plain PyTorch loop.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time

import torch

from ganlab_panel import ExperimentConfig, Trainer
from ganlab_panel.engine.device import configure_threads

CONFIGS = {
    "GAN Lab default (ring)": dict(distribution="ring"),
    "default, Adam": dict(distribution="ring", d_optimizer="adam", g_optimizer="adam", d_lr=0.01, g_lr=0.01),
    "3 layers x 32 neurons": dict(distribution="ring", g_layers=3, d_layers=3, g_neurons=32, d_neurons=32),
    "3 layers x 64 neurons": dict(distribution="ring", g_layers=3, d_layers=3, g_neurons=64, d_neurons=64),
    "5 layers x 100, batch 4096": dict(distribution="ring", g_layers=5, d_layers=5, g_neurons=100,
                                      d_neurons=100, batch_size=4096),
}


#: trainer path -> the Trainer options that select it
PATHS = {"compiled": dict(), "numpy": dict(compiled=False), "torch": dict(fast=False)}


def measure(settings: dict, iterations: int, repeats: int, device: str, path: str) -> list[float] | None:
    """it/s of ``repeats`` timed runs, or None where ``path`` does not apply."""
    trainer = Trainer(ExperimentConfig(seed=0, device=device, **settings), **PATHS[path])
    if trainer.path != path:
        return None
    trainer.train(max(10, iterations // 10))  # warm-up (and the kernel's compilation)
    rates = []
    for _ in range(repeats):
        if trainer.device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        trainer.train(iterations)
        trainer.snapshot()  # forces any pending device work
        rates.append(iterations / (time.perf_counter() - start))
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=2000, help="iterations per timed run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per configuration")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--only", default=None, help="run only configurations whose name contains this")
    parser.add_argument("--large", action="store_true", help="include the 5x100 / batch 4096 model on the CPU")
    parser.add_argument("--path", choices=list(PATHS), default=None, help="only this trainer path")
    args = parser.parse_args(argv)

    configure_threads(args.threads)
    on_gpu = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    print(f"# train_speed: torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
          f"{'CUDA ' + torch.cuda.get_device_name(0) if on_gpu else 'CPU ' + (platform.processor() or platform.machine())}")
    print(f"# {args.iterations} iterations per run, median of {args.repeats}")
    print(f"{'configuration':32s} {'path':>8s} {'it/s (median)':>14s} {'min':>9s} {'max':>9s}")
    for name, settings in CONFIGS.items():
        if args.only and args.only not in name:
            continue
        if "4096" in name and not (on_gpu or args.large or args.only):
            continue
        its = args.iterations if "4096" not in name or on_gpu else max(1, args.iterations // 20)
        for path in (("torch",) if on_gpu else PATHS):
            if args.path and args.path != path:
                continue
            rates = measure(settings, its, args.repeats, args.device, path)
            if rates is None:
                continue
            print(f"{name:32s} {path:>8s} {statistics.median(rates):14.0f} {min(rates):9.0f} {max(rates):9.0f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
