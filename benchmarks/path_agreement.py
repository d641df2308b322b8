"""Whether the compiled CPU path trains what the plain PyTorch loop trains.

    python benchmarks/path_agreement.py                     # 60 seeds, 2,000 iterations each
    python benchmarks/path_agreement.py --seeds 10 --iterations 500

For each seed, GAN Lab's default model on the ring is trained twice from the
same start: on the compiled kernel (the default on a CPU) and on PyTorch
(``fast=False``). Both end at a grid JS divergence; a single pair drifts apart
(a GAN's trajectory amplifies float32 rounding), so what is printed is the
mean of the per-seed differences with its standard error: the same training
means a mean difference within a few standard errors of zero.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys

from ganlab_panel import ExperimentConfig, Trainer
from ganlab_panel.engine.device import configure_threads


def final_js(seed: int, iterations: int, **path) -> float:
    trainer = Trainer(ExperimentConfig(distribution="ring", seed=seed), **path)
    trainer.train(iterations)
    js = trainer.snapshot().js
    trainer.close()
    return js


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=60, help="seeds 0 .. N-1 [default: 60]")
    parser.add_argument("--iterations", type=int, default=2000, help="iterations a run [default: 2000]")
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.error("--seeds must be at least 2 (a standard error needs two)")
    configure_threads(1)
    differences = []
    for seed in range(args.seeds):
        compiled = final_js(seed, args.iterations)
        torch_js = final_js(seed, args.iterations, fast=False)
        differences.append(compiled - torch_js)
        print(f"seed {seed:3d}  JS compiled {compiled:.4f}  torch {torch_js:.4f}  difference {compiled - torch_js:+.4f}",
              flush=True)
    mean = statistics.mean(differences)
    error = statistics.stdev(differences) / math.sqrt(len(differences))
    print(f"mean difference in grid JS (compiled - torch) over {len(differences)} seeds, {args.iterations:,} "
          f"iterations: {mean:+.4f} ± {error:.4f} (standard error)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
