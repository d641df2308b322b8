"""The fast CPU paths (the compiled kernel, NumPy) train exactly what the PyTorch path trains.

The agreement tests are generated from the backends' support table: for every
fast backend, every setting its row restricts or gives examples for, and every
such value, a short run on the backend and on PyTorch end at the same weights,
counters, cursors and losses (to float32 rounding).
"""


import numpy as np
import pytest

from ganlab_panel import ExperimentConfig, Trainer
from ganlab_panel.engine.backends import compiled as kernels
from ganlab_panel.engine.backends import support
from ganlab_panel.engine.backends.support import SUPPORT, allows, refusals
from ganlab_panel.engine.device import cuda_available

PATHS = {"torch": dict(fast=False), "numpy": dict(compiled=False), "compiled": dict()}
FAST = [name for name in support.BACKENDS if name != "torch"]
#: the settings every generated run starts from (each case changes one)
BASE = dict(distribution="ring", seed=3, d_optimizer="adam", g_optimizer="sgd", d_lr=0.01, g_lr=0.05,
            g_layers=2, d_neurons=11, batch_size=97, k_d=3, k_g=2, device="cpu")


def params(tr):
    return [p.copy() for p in tr.state.g_params + tr.state.d_params]


def cases():
    for backend in FAST:
        for name, rule in SUPPORT[backend].items():
            for value in rule.examples:
                yield pytest.param(backend, name, value, id=f"{backend}-{name}={value!r}")


def refused_cases():
    for backend in FAST:
        for name, rule in SUPPORT[backend].items():
            for value in rule.refused:
                yield pytest.param(backend, name, value, id=f"{backend}-{name}={value!r}")


@pytest.fixture(autouse=True, scope="module")
def compiled_kernel():
    kernels.warm_up(wait=True)


def test_the_kernel_compiles_here():
    assert kernels.ready(), f"the compiled kernel failed: {kernels.failure()!r}"


def test_every_setting_is_in_a_table_and_the_torch_row_names_every_one():
    fields = set(ExperimentConfig.field_names())
    assert set(SUPPORT["torch"]) == fields
    for backend, row in SUPPORT.items():
        assert set(row) <= fields, f"{backend} names settings the config lacks: {set(row) - fields}"
    assert set(SUPPORT) == set(support.BACKENDS)


def test_a_setting_missing_from_a_row_keeps_that_backend_off(monkeypatch):
    cfg = ExperimentConfig(device="cpu")
    assert allows("compiled", cfg) and allows("numpy", cfg)
    row = dict(SUPPORT["numpy"])
    del row["noise_dim"]
    monkeypatch.setitem(SUPPORT, "numpy", row)
    assert not allows("numpy", cfg) and refusals("numpy", cfg) == ["noise_dim"]
    assert Trainer(cfg, compiled=False).path == "torch"


@pytest.mark.parametrize("backend, name, value", list(cases()))
def test_a_fast_backend_trains_what_torch_trains(backend, name, value):
    settings = {**BASE, name: value}
    if name.startswith("adam_beta"):
        settings["g_optimizer"] = "adam"
    if name == "lr_decay_start":
        settings["lr_half_life"] = 10
    if name == "r1_gamma":
        # Adam divides by √v + ε: where R1's part of a weight's gradient nearly
        # cancels the loss's (to ~1e-9), the order of a sum's float32 additions
        # moves Adam's step by 1e-6, so SGD compares the gradients themselves
        # (and the deep-network test below compares Adam's runs)
        settings["d_optimizer"] = "sgd"
    plain, fast = Trainer(**settings, **PATHS["torch"]), Trainer(**settings, **PATHS[backend])
    assert plain.path == "torch" and fast.path == backend, refusals(backend, fast.config)
    plain.train(12)
    for n in (5, 1, 6):   # chunked differently
        fast.train(n)
    for tr in (plain, fast):
        tr.step_d()
        tr.step_g()
        tr.train_discriminator()
        tr.train_generator()
    assert fast.path == backend
    for a, b in zip(params(plain), params(fast)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-6)
    fp, ff = plain.snapshot(), fast.snapshot()
    assert (fp.iteration, fp.d_steps, fp.g_steps) == (ff.iteration, ff.d_steps, ff.g_steps)
    assert ff.d_loss == pytest.approx(fp.d_loss, rel=1e-5, abs=1e-6)
    assert ff.g_loss == pytest.approx(fp.g_loss, rel=1e-5, abs=1e-6)
    np.testing.assert_allclose(ff.fake, fp.fake, atol=1e-5)
    # the same batches were taken, and the learning rates end the same
    assert (fast.state.noise_cursor, fast.state.real_cursor) == (plain.state.noise_cursor, plain.state.real_cursor)
    for opt in ("d_optimizer", "g_optimizer"):
        lr = getattr(fast, opt).param_groups[0]["lr"]
        assert lr == pytest.approx(getattr(plain, opt).param_groups[0]["lr"])


@pytest.mark.parametrize("backend, name, value", list(refused_cases()))
def test_a_setting_outside_a_backends_row_never_trains_on_it(backend, name, value, monkeypatch):
    tr = Trainer(**{**BASE, name: value}, **PATHS[backend])
    assert tr.path != backend and name in refusals(backend, tr.config)
    # a trainer whose setting changes while it runs leaves the backend too
    running = Trainer(**BASE, **PATHS[backend])
    running.train(2)
    running.config.param.update({name: value})
    assert running.path != backend


def test_r1_and_the_average_of_g_train_on_the_kernel_as_on_the_numpy_path():
    settings = dict(distribution="ring8", seed=2, r1_gamma=5.0, g_ema=0.99, d_optimizer="adam", g_optimizer="adam",
                    d_lr=0.01, g_lr=0.01, d_layers=2, g_layers=2, d_neurons=16, g_neurons=16)
    kernel, numpy_ = Trainer(**settings), Trainer(**settings, **PATHS["numpy"])
    assert (kernel.path, numpy_.path) == ("compiled", "numpy")
    for tr in (kernel, numpy_):
        tr.train(40)
    np.testing.assert_allclose(kernel.sample(500), numpy_.sample(500), atol=1e-3)   # the average, as shown
    assert kernel.snapshot().d_loss == pytest.approx(numpy_.snapshot().d_loss, rel=1e-4)


@pytest.mark.parametrize("d_optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("backend", ["numpy", "compiled"])
def test_r1_by_hand_is_autograds_r1_in_a_deep_discriminator(backend, d_optimizer):
    # R1 strong enough to steer D (γ 10), through four weight layers
    settings = dict(distribution="gaussians", seed=5, d_layers=3, d_neurons=16, r1_gamma=10.0,
                    d_optimizer=d_optimizer, d_lr=0.02, k_d=2, batch_size=64, device="cpu")
    plain, fast = Trainer(**settings, **PATHS["torch"]), Trainer(**settings, **PATHS[backend])
    assert (plain.path, fast.path) == ("torch", backend)
    without = Trainer(**{**settings, "r1_gamma": 0.0}, **PATHS[backend])
    # the kernel sums in its own order: where a weight's gradient nearly cancels
    # (~1e-9), Adam's division by √v + ε turns that into steps ~1e-6 apart,
    # which later steps amplify (with SGD, the same runs agree to ~1e-8): its
    # Adam run is compared over its first 6 D updates
    short = (backend, d_optimizer) == ("compiled", "adam")
    for tr in (plain, fast, without):
        tr.train(3 if short else 15)
    for a, b in zip(params(plain), params(fast)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 if short else 2e-6)
    assert fast.snapshot().d_loss == pytest.approx(plain.snapshot().d_loss, rel=1e-5)
    # and the penalty did change D
    assert max(np.abs(a - b).max() for a, b in zip(params(fast), params(without))) > 1e-3


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
    # Adam's step counts live in the optimizer's state arrays, whichever path ran
    steps = {float(s["step"]) for s in mixed.d_optimizer.states}
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
    assert Trainer(d_neurons=support.MAX_NEURONS + 1).path == "numpy"
    assert Trainer(batch_size=support.MAX_BATCH + 1).path == "numpy"
    assert Trainer(loss="wgan_gp").path == "torch"
    assert kernels.MAX_NEURONS == support.MAX_NEURONS
    if cuda_available():
        assert Trainer(ExperimentConfig(device="cuda")).path == "torch"


@pytest.mark.subprocess
def test_live_play_trains_on_numpy_while_the_kernel_compiles(tmp_path, fresh_python):
    # a fresh process with an empty Numba cache: the kernel takes seconds to compile
    code = (
        "from ganlab_panel import Trainer\nfrom ganlab_panel.engine.backends import compiled as kernels\n"
        "from ganlab_panel.ui.runner import Runner\n"
        "tr = Trainer(seed=0)\n"
        "runner = Runner(tr, publish=lambda scene: None)\n"
        "first = tr.path\n"
        "tr.train(20)\n"
        "compiling = not kernels.ready()\n"     # trained without waiting for the kernel
        "kernels.warm_up(wait=True)\n"
        "print(first, compiling, tr.path, tr.iteration)\n"
        "script = Trainer(seed=0)\n"           # a script's trainer waits for the kernel instead
        "print(script.path)\n"
    )
    out = fresh_python(code, timeout=300, NUMBA_CACHE_DIR=str(tmp_path))
    (first, compiling, later, iterations), (script,) = (line.split() for line in out.splitlines())
    assert first == "numpy" and compiling == "True" and iterations == "20"
    assert later == "compiled" and script == "compiled"


@pytest.mark.parametrize("path", list(PATHS))
def test_loading_a_state_into_a_trainer_that_trained_continues_exactly(path):
    # loading gives the optimizers new state arrays: Adam's moments
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


def test_the_numpy_path_trains_on_one_blas_thread(fresh_python):
    # BLAS's threads spin waiting for each other: with the other cores busy, two
    # made the NumPy path 2-3x slower than one (BENCHMARKS.md, "Training speed")
    code = (
        "from threadpoolctl import threadpool_info\n"
        "from ganlab_panel import Trainer\n"
        "blas = lambda: max(i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas')\n"
        "before = blas()\n"
        "tr = Trainer(g_neurons=64, g_layers=1, seed=0)\n"
        "tr.train(5)\n"
        "print(tr.path, before, blas())\n"
    )
    path, before, after = fresh_python(code, OPENBLAS_NUM_THREADS="2").split()
    assert (path, before, after) == ("numpy", "2", "1")
