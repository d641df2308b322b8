"""The fast CPU paths (NumPy, and the compiled kernel) train exactly what the PyTorch path trains."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from ganlab_panel import ExperimentConfig, Trainer
from ganlab_panel.engine.backends import compiled as kernels

PATHS = {"torch": dict(fast=False), "numpy": dict(compiled=False), "compiled": dict()}


def params(tr):
    return [p.detach().numpy().copy() for p in tr._g_params + tr._d_params]


def test_the_kernel_compiles_here():
    kernels.warm_up(wait=True)
    assert kernels.ready(), f"the compiled kernel failed: {kernels.failure()!r}"


@pytest.mark.parametrize("path", ["numpy", "compiled"])
@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.1), ("adam", 0.01)])
@pytest.mark.parametrize("loss", ["log", "least_squares"])
def test_fast_and_plain_paths_agree_over_a_short_run(path, optimizer, lr, loss):
    settings = dict(distribution="ring", seed=3, d_optimizer=optimizer, g_optimizer=optimizer, d_lr=lr, g_lr=lr,
                    loss=loss, g_layers=2, d_neurons=11, batch_size=97, k_d=3, k_g=2)
    plain, fast = Trainer(fast=False, **settings), Trainer(**settings, **PATHS[path])
    assert plain.path == "torch" and fast.path == path
    for tr in (plain, fast):
        tr.train(40)
        tr.step_d()
        tr.step_g()
        tr.train_discriminator()
        tr.train_generator()
    for a, b in zip(params(plain), params(fast)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-6)
    fp, ff = plain.snapshot(), fast.snapshot()
    assert (fp.iteration, fp.d_steps, fp.g_steps) == (ff.iteration, ff.d_steps, ff.g_steps) == (43, 124, 83)
    assert ff.d_loss == pytest.approx(fp.d_loss, rel=1e-5) and ff.g_loss == pytest.approx(fp.g_loss, rel=1e-5)
    np.testing.assert_allclose(ff.fake, fp.fake, atol=1e-5)
    # the batches consumed are the same too: the next batch after the run
    assert (fast._noise_cursor, fast._real_cursor) == (plain._noise_cursor, plain._real_cursor)


@pytest.mark.parametrize("path", ["numpy", "compiled"])
def test_the_learning_rate_schedule_is_the_same_on_every_path(path):
    settings = dict(distribution="gaussians", seed=2, d_optimizer="adam", g_optimizer="sgd", d_lr=0.01, g_lr=0.1,
                    lr_half_life=10, lr_decay_start=15)
    plain, fast = Trainer(fast=False, **settings), Trainer(**settings, **PATHS[path])
    plain.train(40)
    for n in (7, 1, 20, 12):   # chunked differently
        fast.train(n)
    assert fast.path == path
    for a, b in zip(params(plain), params(fast)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-6)
    assert fast.d_optimizer.param_groups[0]["lr"] == pytest.approx(plain.d_optimizer.param_groups[0]["lr"])
    assert fast.g_optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** ((39 - 15) / 10))


@pytest.mark.parametrize("order", [("compiled", "numpy", "torch"), ("torch", "compiled", "numpy")])
def test_switching_paths_mid_run_keeps_every_state(order):
    settings = dict(distribution="gaussians", seed=1, d_optimizer="adam", g_optimizer="adam", d_lr=0.01, g_lr=0.01)
    mixed, plain = Trainer(**settings), Trainer(fast=False, **settings)
    for path in order:
        mixed.fast, mixed.compiled = path != "torch", path == "compiled"
        assert mixed.path == path
        mixed.train(25)
    plain.train(75)
    for a, b in zip(params(mixed), params(plain)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-6)
    # Adam's step counts live in torch's own optimizer state, whichever path ran
    steps = {float(s["step"]) for s in mixed.d_optimizer.state.values()}
    assert steps == {150.0}


def test_a_diverging_run_is_seen_on_the_compiled_path():
    tr = Trainer(distribution="ring", d_lr=10.0, g_lr=10.0, d_layers=3, g_layers=3, d_neurons=40, g_neurons=40, seed=0)
    assert tr.path == "compiled"
    for _ in range(50):
        tr.train(100)
        if tr.diverged:
            break
    assert tr.diverged and not tr.snapshot().finite


def test_which_path_runs():
    assert Trainer(ExperimentConfig(device="cpu")).path == "compiled"
    assert Trainer(compiled=False).path == "numpy"
    assert Trainer(fast=False).path == "torch"
    # wide layers are faster through BLAS: the NumPy path takes them
    assert Trainer(d_neurons=kernels.MAX_NEURONS + 1).path == "numpy"
    assert Trainer(batch_size=kernels.MAX_BATCH + 1).path == "numpy"
    assert Trainer(loss="wgan_gp").path == "torch"
    if torch.cuda.is_available():
        assert Trainer(ExperimentConfig(device="cuda")).path == "torch"


@pytest.mark.slow
def test_live_play_trains_on_numpy_while_the_kernel_compiles(tmp_path):
    # a fresh process with an empty Numba cache: the kernel takes seconds to compile
    code = (
        "import time\n"
        "from ganlab_panel import Trainer\nfrom ganlab_panel.engine.backends import compiled as kernels\n"
        "from ganlab_panel.ui.runner import Runner\n"
        "tr = Trainer(seed=0)\n"
        "runner = Runner(tr, publish=lambda scene: None)\n"
        "t0 = time.perf_counter()\n"
        "first = tr.path\n"
        "tr.train(20)\n"
        "took = time.perf_counter() - t0\n"
        "kernels.warm_up(wait=True)\n"
        "print(first, round(took, 3), tr.path, tr.iteration)\n"
        "script = Trainer(seed=0)\n"           # a script's trainer waits for the kernel instead
        "print(script.path)\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    (first, took, later, iterations), (script,) = (line.split() for line in out.stdout.splitlines())
    assert first == "numpy" and float(took) < 1.0 and iterations == "20"
    assert later == "compiled" and script == "compiled"


@pytest.mark.parametrize("path", list(PATHS))
def test_loading_a_state_into_a_trainer_that_trained_continues_exactly(path):
    # torch replaces the optimizers' state tensors on loading: Adam's moments
    # must be the loaded ones on every path, not the ones the trainer had
    settings = dict(distribution="ring", seed=0, d_optimizer="adam", g_optimizer="adam", d_lr=0.01, g_lr=0.01)
    rewound, straight = Trainer(**settings, **PATHS[path]), Trainer(**settings, **PATHS[path])
    rewound.train(10)
    saved = rewound.state_dict()
    rewound.train(10)
    rewound.load_state_dict(saved)
    rewound.train(10)
    straight.train(20)
    assert rewound.path == path
    for a, b in zip(params(rewound), params(straight)):
        np.testing.assert_array_equal(a, b)
