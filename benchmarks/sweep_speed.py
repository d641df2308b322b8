"""Sweep speed: how fast many small GANs train at once, in-process and on Dask.

    python benchmarks/sweep_speed.py                          # 64 cells × 3,000 iterations
    python benchmarks/sweep_speed.py --cells 8 --iterations 300   # a quick look

Each cell is GAN Lab's default model on the ring, its own learning rate (the
cells differ only in ``d_lr``). Prints, for each way of running the sweep:

- one core, one cell after another (an in-process client with one thread):
  the baseline;
- in-process, every core (the default of ``Sweep.run`` and ``ganlab sweep``);
- a local Dask cluster of 1 and of 2 worker processes (``--workers``), the
  processes' start-up timed apart from the sweep;

the wall time (start-up included), the start-up (a client and its workers
ready, the engine imported and the kernel loaded in each), GAN iterations per
second over all cells once started, the speed-up of that over the baseline,
and the per-task overhead: the time the workers spent beyond the cells' own
training, per cell.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

from ganlab_panel import ExperimentConfig
from ganlab_panel.sweeps import Sweep


def sweep_of(cells: int, iterations: int) -> Sweep:
    rates = np.round(np.geomspace(0.001, 0.3, cells), 6)
    return Sweep(ExperimentConfig(distribution="ring"), {"d_lr": [float(r) for r in rates]},
                 iterations=iterations, record_every=max(1, iterations // 10))


def warm() -> None:
    """A worker's start-up: import the engine, load the compiled kernel, train a moment."""
    from ganlab_panel.sweeps.cell import train_cell

    train_cell(ExperimentConfig().to_json(), {}, 0, 10, 10)


def measure(name: str, cells: int, iterations: int, client_of, threads: int) -> dict:
    """Run one sweep; its figures. ``client_of()`` makes the client (None: the default)."""
    start = time.perf_counter()
    client = client_of()
    if client is not None:
        client.run(warm)
    ready = time.perf_counter()
    sweep = sweep_of(cells, iterations)
    with tempfile.TemporaryDirectory() as out:
        sweep.run(client=client, out=out)
    end = time.perf_counter()
    if client is not None:
        client.close()
        if getattr(client, "cluster", None) is not None:
            client.cluster.close()
    work = sum(r["row"]["seconds"] for r in sweep.results.values())
    wall = end - start
    return {"name": name, "wall": wall, "startup": ready - start, "its": cells * iterations / (end - ready),
            "overhead": max(0.0, (end - ready) * threads - work) / cells}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--no-cluster", action="store_true", help="skip the local Dask clusters")
    args = parser.parse_args(argv)
    from distributed import Client, LocalCluster

    cores = os.cpu_count() or 1
    # compile (or load) the kernel once, outside every figure
    sweep_of(1, 10).run()

    def threads(n):
        return lambda: Client(processes=False, n_workers=1, threads_per_worker=n,
                              dashboard_address="127.0.0.1:0")

    def processes(n):
        return lambda: Client(LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                           dashboard_address="127.0.0.1:0"))

    runs = [("one core, one cell after another", threads(1), 1),
            (f"in-process, {cores} threads (the default)", lambda: None, cores)]
    if not args.no_cluster:
        runs += [("local cluster, 1 worker process", processes(1), 1),
                 ("local cluster, 2 worker processes", processes(2), 2)]
    print(f"# sweep_speed: {args.cells} cells × {args.iterations:,} iterations, GAN Lab's default model, "
          f"{cores} cores")
    print(f"{'how':44} {'wall s':>8} {'start-up s':>10} {'GAN it/s':>10} {'speed-up':>8} {'overhead ms/cell':>16}")
    base = None
    for name, client_of, n in runs:
        r = measure(name, args.cells, args.iterations, client_of, n)
        base = base or r["its"]
        print(f"{name:44} {r['wall']:8.2f} {r['startup']:10.2f} {r['its']:10,.0f} {r['its'] / base:8.2f} "
              f"{1000 * r['overhead']:16.1f}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
