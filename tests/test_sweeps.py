"""Sweeps: axes refused up front, cells expanded in order, each cell the very
run a plain Trainer makes, diverging cells recorded, nothing finished lost."""

import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ganlab_panel import ExperimentConfig, Trainer
from ganlab_panel.cli import main
from ganlab_panel.engine.errors import ConfigError
from ganlab_panel.sweeps import Sweep, SweepSpec, parse_axis
from ganlab_panel.sweeps.cell import train_cell


def weights(trainer):
    return [t.copy() for t in (*trainer.generator.ordered_parameters(), *trainer.discriminator.ordered_parameters())]


def rows(out):
    with (out / "results.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_an_axis_is_parsed_by_the_settings_type():
    assert parse_axis("d_lr=0.01,0.03") == ("d_lr", [0.01, 0.03])
    assert parse_axis(" k_d = 1, 3 ") == ("k_d", [1, 3])
    assert parse_axis("loss=log,least_squares") == ("loss", ["log", "least_squares"])


@pytest.mark.parametrize("text, named", [
    ("bogus=1,2", "bogus"),            # no such setting
    ("d_lr=0.01,-1", "d_lr"),          # out of bounds
    ("d_lr=", "d_lr"),                 # no values
    ("d_lr=0.1,,0.2", "d_lr"),         # an empty one
    ("d_lr=0.1,0.1", "d_lr"),          # the same twice
    ("loss=log,wasserstein", "loss"),  # not one of the choices
    ("seed=1,2", "seed"),              # the sweep's own seeds
    ("d_lr 0.1", "axis"),              # no '='
])
def test_a_bad_axis_is_refused_naming_the_setting(text, named):
    with pytest.raises(ConfigError, match=named):
        parse_axis(text)


def test_a_value_that_does_not_fit_the_base_is_refused_before_anything_trains():
    with pytest.raises(ConfigError, match="noise_dim"):
        Sweep(ExperimentConfig(), {"noise_dim": [1, 17]})
    with pytest.raises(ConfigError, match="seeds"):
        Sweep(ExperimentConfig(), {"d_lr": [0.1]}, seeds=0)


def test_cells_are_every_combination_times_the_seeds_in_order():
    sweep = Sweep(ExperimentConfig(seed=5), ["d_lr=0.01,0.1", "k_d=1,2,3"], seeds=2, iterations=10)
    cells = sweep.cells
    assert len(cells) == 2 * 3 * 2
    assert [dict(c.settings) for c in cells[:3]] == [{"d_lr": 0.01, "k_d": 1}] * 2 + [{"d_lr": 0.01, "k_d": 2}]
    assert [c.seed for c in cells[:2]] == [5, 6]
    assert len({c.key for c in cells}) == len(cells)
    assert cells[0].key == "d_lr=0.01,k_d=1,seed=5"
    assert SweepSpec.from_json(sweep.spec.to_json()).cells() == cells


def test_a_cell_trains_exactly_what_a_trainer_trains_alone():
    base = ExperimentConfig(distribution="ring", d_optimizer="adam")
    result = train_cell(base.to_json(), {"d_lr": 0.03}, 2, 230, 50)
    alone = Trainer(base.copy(d_lr=0.03, seed=2))
    alone.train(230)
    from_cell = Trainer.load(result["checkpoint"])
    assert from_cell.iteration == alone.iteration == result["row"]["iteration"] == 230
    for a, b in zip(weights(from_cell), weights(alone)):
        np.testing.assert_array_equal(a, b)
    assert result["row"]["js"] == pytest.approx(alone.snapshot().js)
    assert [p[0] for p in result["curve"]] == [0, 50, 100, 150, 200, 230]


def test_a_sweep_in_process_keeps_every_cell_and_labels_the_results(tmp_path):
    sweep = Sweep(ExperimentConfig(distribution="line"), ["d_lr=0.01,0.1", "g_lr=0.05"], seeds=2, iterations=100)
    seen = []
    results = sweep.run(out=tmp_path, on_cell=lambda cell, result: seen.append(cell.key))
    assert sorted(seen) == sorted(c.key for c in sweep.cells)
    assert dict(results.js.sizes) == {"d_lr": 2, "g_lr": 1, "seed": 2}
    assert results.js_curve.sizes["iteration"] == 21
    assert np.isfinite(results.js.values).all() and (results.final_iteration == 100).all()
    table = rows(tmp_path)
    assert len(table) == 4 and set(table[0]) >= {"d_lr", "g_lr", "seed", "iteration", "js", "kl", "d_loss",
                                                 "g_loss", "modes", "high_quality", "diverged", "seconds",
                                                 "worker"}
    assert (tmp_path / "results.nc").exists() and (tmp_path / "sweep.json").exists()
    assert Trainer.load(sweep.checkpoint(sweep.cells[0])).iteration == 100


def test_a_kept_run_opens_in_the_lab_where_it_ended(tmp_path):
    sweep = Sweep(ExperimentConfig(distribution="ring"), ["d_lr=0.01,0.1"], iterations=120)
    sweep.run(out=tmp_path)
    lab = sweep.open(sweep.cells[1])
    try:
        assert (lab.trainer.iteration, lab.config.d_lr, lab.config.distribution) == (120, 0.1, "ring")
        alone = Trainer.load(sweep.checkpoint(sweep.cells[1]))
        for a, b in zip(weights(lab.trainer), weights(alone)):
            np.testing.assert_array_equal(a, b)
    finally:
        lab.close()
    # a sweep an earlier version kept (its checkpoints named .pt) opens the same way
    kept = sweep.checkpoint(sweep.cells[0])
    older = kept.rename(kept.with_suffix(".pt"))
    assert sweep.checkpoint(sweep.cells[0]) == older
    lab = sweep.open(sweep.cells[0])
    try:
        assert (lab.trainer.iteration, lab.config.d_lr) == (120, 0.01)
    finally:
        lab.close()


def test_a_diverging_cell_is_recorded_and_the_sweep_goes_on(tmp_path):
    wide = ExperimentConfig(distribution="ring", g_lr=10.0, d_layers=5, d_neurons=100, g_layers=5, g_neurons=100,
                            batch_size=16)
    sweep = Sweep(wide, ["d_lr=0.01,10"], iterations=200)
    results = sweep.run(out=tmp_path)
    diverged = {row["d_lr"]: (row["diverged"], int(row["iteration"])) for row in rows(tmp_path)}
    assert diverged["10.0"][0] == "True" and diverged["10.0"][1] < 200   # stopped where it diverged
    assert bool(results.diverged.sel(d_lr=10.0, seed=0))
    assert len(diverged) == 2   # and the other cell finished too


def test_an_interrupted_sweep_keeps_what_finished_and_resume_trains_the_rest(tmp_path):
    axes = ["d_lr=0.01,0.03,0.1"]
    first = Sweep(ExperimentConfig(distribution="line"), axes, seeds=2, iterations=50)

    def interrupt(cell, result):
        if len(first.results) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        first.run(out=tmp_path, on_cell=interrupt)
    kept = rows(tmp_path)
    assert len(kept) == 2
    again = Sweep(ExperimentConfig(distribution="line"), axes, seeds=2, iterations=50)
    trained = []
    results = again.run(out=tmp_path, resume=True, on_cell=lambda cell, result: trained.append(cell.key))
    assert len(trained) == 4 and len(rows(tmp_path)) == 6
    assert not set(trained) & {f"d_lr={r['d_lr']},seed={r['seed']}" for r in kept}
    assert dict(results.js.sizes) == {"d_lr": 3, "seed": 2} and np.isfinite(results.js.values).all()


def test_a_folder_holding_another_sweep_is_not_overwritten(tmp_path):
    Sweep(ExperimentConfig(), ["d_lr=0.1"], iterations=10).run(out=tmp_path)
    with pytest.raises(ConfigError, match="resume"):
        Sweep(ExperimentConfig(), ["d_lr=0.1"], iterations=10).run(out=tmp_path)
    with pytest.raises(ConfigError, match="another sweep"):
        Sweep(ExperimentConfig(), ["d_lr=0.2"], iterations=10).run(out=tmp_path, resume=True)
    assert len(rows(tmp_path)) == 1


def test_the_command_runs_a_sweep_and_refuses_a_bad_axis(tmp_path, capsys):
    out = tmp_path / "lr"
    assert main(["sweep", "--distribution", "line", "--set", "d_lr=0.01,0.1", "--seeds", "2", "--iterations", "60",
                 "--out", str(out), "--quiet"]) == 0
    assert len(rows(out)) == 4 and len(list((out / "cells").glob("*.npz"))) == 4
    assert main(["sweep", "--set", "d_lr=0.01,-2", "--out", str(tmp_path / "bad"), "--quiet"]) == 2
    assert "d_lr" in capsys.readouterr().err and not (tmp_path / "bad").exists()
    assert main(["sweep", "--distribution", "line", "--set", "d_lr=0.01,0.1", "--seeds", "2", "--iterations", "60",
                 "--out", str(out), "--quiet", "--resume"]) == 0
    assert len(rows(out)) == 4


@pytest.mark.subprocess
def test_two_worker_processes_train_the_same_numbers_as_the_process_alone(tmp_path):
    from distributed import Client, LocalCluster

    axes = ["d_lr=0.01,0.1", "g_lr=0.02,0.2"]
    alone = Sweep(ExperimentConfig(distribution="ring"), axes, iterations=150).run(out=tmp_path / "alone")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0") as cluster, Client(cluster) as client:
        spread = Sweep(ExperimentConfig(distribution="ring"), axes, iterations=150).run(client=client,
                                                                                       out=tmp_path / "spread")
        workers = {r["worker"] for r in rows(tmp_path / "spread")}
    for name in ("js", "kl", "d_loss", "g_loss", "js_curve"):
        np.testing.assert_array_equal(alone[name].values, spread[name].values)
    assert workers and all(w.startswith("tcp://") for w in workers)   # trained by the worker processes


@pytest.mark.subprocess
def test_a_killed_workers_cells_are_trained_again_elsewhere_and_the_sweep_completes(tmp_path):
    from distributed import Client, LocalCluster

    axes = ["d_lr=0.01,0.02,0.03,0.05,0.1,0.2"]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0") as cluster, Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill_one(cell, result):
            if not killed:   # the first cell back: kill a worker while the others train
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        spread = Sweep(ExperimentConfig(distribution="ring"), axes, iterations=600).run(
            client=client, out=tmp_path / "spread", on_cell=kill_one)
    assert killed and len(rows(tmp_path / "spread")) == 6
    alone = Sweep(ExperimentConfig(distribution="ring"), axes, iterations=600).run()
    np.testing.assert_array_equal(alone.js.values, spread.js.values)


@pytest.mark.subprocess
def test_the_command_runs_on_a_dask_scheduler_and_workers_started_on_their_own(tmp_path):
    dask = shutil.which("dask") or str(Path(sys.executable).with_name("dask"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    log = (tmp_path / "dask.log").open("w")
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--dashboard-address", "127.0.0.1:0"], stdout=log, stderr=log)
    worker = subprocess.Popen([dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                              stdout=log, stderr=log)
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        argv = ["sweep", "--distribution", "ring", "--set", "d_lr=0.01,0.1", "--seeds", "2", "--iterations", "120",
                "--quiet"]
        assert main([*argv, "--out", str(tmp_path / "cluster"), "--scheduler", address]) == 0
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
        for proc in (worker, scheduler):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
    assert main([*argv, "--out", str(tmp_path / "here")]) == 0
    there, here = rows(tmp_path / "cluster"), rows(tmp_path / "here")
    assert all(r["worker"].startswith("tcp://127.0.0.1") for r in there)
    key = lambda r: (r["d_lr"], r["seed"])  # noqa: E731
    assert sorted((key(r), r["js"], r["g_loss"]) for r in there) == sorted((key(r), r["js"], r["g_loss"]) for r in here)
