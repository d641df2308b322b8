"""Train the pretrained models the app loads (one per built-in distribution).

    python scripts/make_pretrained.py            # writes ganlab_panel/pretrained/<name>.npz
    python scripts/make_pretrained.py --quick    # fewer iterations, for a smoke test

For each distribution a few candidate settings are trained with this project's
own trainer; the one with the lowest grid JS divergence (mean of its last five
measurements) is kept. The chosen settings and scores are printed and written to
``ganlab_panel/pretrained/README.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ganlab_panel import ExperimentConfig, Trainer
from ganlab_panel.engine.data import DISTRIBUTIONS

OUT = Path(__file__).resolve().parents[1] / "ganlab_panel" / "pretrained"

CANDIDATES = [
    dict(g_layers=2, g_neurons=16, d_layers=2, d_neurons=24, d_lr=0.03, g_lr=0.01),
    dict(g_layers=2, g_neurons=24, d_layers=3, d_neurons=24, d_optimizer="adam", g_optimizer="adam",
         d_lr=0.01, g_lr=0.003, k_d=1),
    dict(g_layers=2, g_neurons=12, d_layers=2, d_neurons=12, d_lr=0.03, g_lr=0.01),
    dict(g_layers=2, g_neurons=16, d_layers=2, d_neurons=16, d_optimizer="adam", g_optimizer="adam",
         d_lr=0.003, g_lr=0.001),
    dict(g_layers=1, g_neurons=16, d_layers=1, d_neurons=16, d_lr=0.1, g_lr=0.03),
    dict(g_layers=3, g_neurons=16, d_layers=2, d_neurons=16, d_optimizer="adam", g_optimizer="adam",
         d_lr=0.01, g_lr=0.003),
]


def score(trainer: Trainer, iterations: int, checks: int = 5) -> float:
    """Train, then return the mean JS over the last ``checks`` measurements."""
    step = max(1, iterations // 50)
    history = []
    done = 0
    while done < iterations:
        trainer.train(step)
        done += step
        history.append(trainer.snapshot().js)
    return float(np.mean(history[-checks:]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=6000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--quick", action="store_true", help="200 iterations, one candidate, one seed")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", nargs="*", default=None, help="distributions to train (default: all)")
    args = parser.parse_args(argv)
    candidates = CANDIDATES[:1] if args.quick else CANDIDATES
    seeds = args.seeds[:1] if args.quick else args.seeds
    iterations = 200 if args.quick else args.iterations
    args.out.mkdir(parents=True, exist_ok=True)
    index_path = args.out / "index.json"
    index = json.loads(index_path.read_text()) if index_path.is_file() else {}
    for name in DISTRIBUTIONS:
        if args.only and name not in args.only:
            continue
        best = None
        for i, settings in enumerate(candidates):
            for seed in seeds:
                start = time.perf_counter()
                trainer = Trainer(ExperimentConfig(distribution=name, seed=seed, **settings))
                js = score(trainer, iterations)
                print(f"{name:10s} candidate {i} seed {seed}: JS {js:.3f} ({time.perf_counter() - start:.0f} s)",
                      flush=True)
                if best is None or js < best[0]:
                    best = (js, i, seed, trainer)
        js, i, seed, trainer = best
        trainer.save(args.out / f"{name}.npz")
        index[name] = {"settings": candidates[i], "seed": seed, "iterations": trainer.iteration, "js": round(js, 3)}
        print(f"{name}: kept candidate {i}, seed {seed}, JS {js:.3f}", flush=True)
    index_path.write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    write_readme(args.out, index)
    return 0


def write_readme(folder: Path, index: dict) -> None:
    lines = ["# Pretrained models", "", "Made by `python scripts/make_pretrained.py`: for each distribution the",
             "candidate settings with the lowest final grid JS divergence were kept (see `index.json`).", "",
             "| distribution | settings | seed | iterations | JS (bits) |", "|---|---|---:|---:|---:|"]
    for name in DISTRIBUTIONS:
        if name in index:
            e = index[name]
            desc = ", ".join(f"{k}={v}" for k, v in e["settings"].items())
            lines.append(f"| {name} | {desc} | {e['seed']} | {e['iterations']} | {e['js']:.3f} |")
    (folder / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
