"""Mode coverage of a preset on the benchmark mixtures, over several seeds.

    python benchmarks/modes.py                                  # mode-coverage, ring8 and grid25, 5 seeds
    python benchmarks/modes.py --first-seed 5 --seeds 10                # seeds the preset was not chosen on
    python benchmarks/modes.py --preset wgan-gp --iterations 4000 --seeds 2
    python benchmarks/modes.py --set g_neurons=64 --set batch_size=512   # a variant of the preset
    python benchmarks/modes.py --misses                         # ...and where the low-quality samples lie

Each run trains what ``ganlab train --preset NAME --distribution DATA --seed S``
trains: the preset's settings on the mixture, for the preset's own length
(or ``--iterations``), then measured by the published protocol (2,500
samples; a sample is high quality within 3σ of its nearest mode; a mode is
captured when a high-quality sample is nearest to it). With Jacobian-based
truncation on (``jacobian_truncation``; ``--set jacobian_truncation=0`` turns
it off) the 2,500 samples are those it keeps, and each run also prints the
share over G's every sample of the same noise ("untruncated"). Runs go in
parallel, one per core, each on one thread. Prints each run, then the mean
over seeds per mixture beside the published baselines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

#: (modes, high-quality %) published for these mixtures: VEEGAN (Srivastava et al.
#: 2017, Table 1) and PacGAN (Lin et al. 2018, Table 1).
PUBLISHED = {
    "ring8": {"VEEGAN": (8.0, 52.9), "PacGAN2": (7.9, 95.6)},
    "grid25": {"VEEGAN": (24.6, 40.0), "PacGAN4": (24.8, 93.6)},
}


#: distance bands (in σ of the mixture) that ``--misses`` sorts 20,000 fresh samples into
MISS_BANDS = (3.0, 5.0, 10.0)
MISS_SAMPLES = 20_000


def misses(trainer) -> list[float]:
    """Shares (%) of fresh samples within 3σ of their nearest mode, at 3–5σ,
    5–10σ and beyond 10σ (between the modes)."""
    import numpy as np

    from ganlab_panel.engine.metrics import nearest_modes

    mixture = trainer.experiment.mixture
    d = nearest_modes(trainer.sample(MISS_SAMPLES), mixture.centres)[1] / mixture.sigma
    edges = np.r_[0.0, MISS_BANDS, np.inf]
    return [100.0 * float(((d > lo) & (d <= hi)).mean()) for lo, hi in zip(edges[:-1], edges[1:])]


def run(preset: str, distribution: str, seed: int, iterations: int, overrides: dict,
        where: bool = False) -> dict:
    from ganlab_panel import ExperimentConfig, Trainer
    from ganlab_panel.engine.presets import apply_preset
    from ganlab_panel.engine.snapshot import measure_modes

    config = ExperimentConfig(distribution=distribution, seed=seed)
    apply_preset(config, preset)
    config.param.update(**overrides)
    trainer = Trainer(config)
    start = time.perf_counter()
    trainer.train(iterations)
    seconds = time.perf_counter() - start
    modes, high_quality = trainer.mode_metrics()
    balance = trainer.mode_balance()
    # with Jacobian-based truncation on, also every sample of G (the same 2,500 noise vectors, none left out)
    every_sample = (100.0 * measure_modes(trainer.shown_generator, trainer.experiment)[1]
                    if config.jacobian_truncation else None)
    return {"distribution": distribution, "seed": seed, "modes": modes, "total": len(trainer.experiment.mixture.centres),
            "hq": 100.0 * high_quality, "untruncated": every_sample, "balance": balance, "seconds": seconds,
            "finite": not trainer.diverged, "misses": misses(trainer) if where else None}


def untruncated(share: float | None) -> str:
    """How a run's high-quality share reads without Jacobian-based truncation ('' when it is off)."""
    return "" if share is None else f" (untruncated {share:5.1f} %)"


def main(argv=None) -> int:
    # one thread a run: NumPy's BLAS must not spread each run over every core as
    # well (set before anything imports NumPy; the runs inherit it)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    from ganlab_panel.engine.presets import PRESETS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="mode-coverage", choices=list(PRESETS))
    parser.add_argument("--distributions", nargs="+", default=["ring8", "grid25"], choices=list(PUBLISHED))
    parser.add_argument("--seeds", type=int, default=5, help="how many seeds [default: 5]")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds FIRST .. FIRST+N-1 [default: 0; the preset was chosen on seeds 0-4, "
                             "so 5 and up are held out]")
    parser.add_argument("--iterations", type=int, default=None,
                        help="iterations a run [default: the preset's own length, else 120,000]")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--misses", action="store_true",
                        help="also print where 20,000 fresh samples lie: within 3σ of a mode, 3-5σ, 5-10σ, beyond")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="change one of the preset's settings (repeatable)")
    args = parser.parse_args(argv)
    from ganlab_panel.engine.config import setting_from_text

    if args.iterations is None:
        args.iterations = PRESETS[args.preset].iterations or 120_000

    overrides = {}
    for item in args.set:
        name, _, text = item.partition("=")
        overrides[name] = setting_from_text(name, text)

    jobs = [(args.preset, d, s, args.iterations, overrides, args.misses) for d in args.distributions
            for s in range(args.first_seed, args.first_seed + args.seeds)]
    changed = "".join(f", {k}={v}" for k, v in overrides.items())
    print(f"# modes: preset {args.preset}{changed}, {args.iterations:,} iterations, "
          f"seeds {args.first_seed}-{args.first_seed + args.seeds - 1}, "
          f"{args.workers} parallel runs", flush=True)
    start = time.perf_counter()
    results = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for future in as_completed([pool.submit(run, *job) for job in jobs]):
            r = future.result()
            results.append(r)
            print(f"{r['distribution']:7s} seed {r['seed']}  modes {r['modes']:2d}/{r['total']}  "
                  f"high quality {r['hq']:5.1f} %{untruncated(r['untruncated'])}  reverse KL {r['balance']:.3f}  "
                  f"{r['seconds']:6.1f} s"
                  f"{'' if r['finite'] else '  DIVERGED'}",
                  flush=True)
            if r["misses"] is not None:
                print("        fresh samples within 3σ / 3-5σ / 5-10σ / beyond 10σ of a mode: "
                      + " / ".join(f"{v:.1f} %" for v in r["misses"]), flush=True)
    for d in args.distributions:
        rows = [r for r in results if r["distribution"] == d]
        modes = statistics.mean(r["modes"] for r in rows)
        hq = statistics.mean(r["hq"] for r in rows)
        balance = statistics.mean(r["balance"] for r in rows)
        seconds = statistics.mean(r["seconds"] for r in rows)
        raw = statistics.mean(r["untruncated"] for r in rows) if rows[0]["untruncated"] is not None else None
        print(f"{d:7s} mean over {len(rows)} seeds: modes {modes:.1f}/{rows[0]['total']}, "
              f"high quality {hq:.1f} %{untruncated(raw)}, reverse KL {balance:.3f}, {seconds:.0f} s a run")
        for name, (m, q) in PUBLISHED[d].items():
            print(f"{'':7s}   published {name}: modes {m}, high quality {q} %")
    print(f"wall time {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
