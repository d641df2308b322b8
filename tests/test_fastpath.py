"""The NumPy fast path trains exactly what the PyTorch path trains."""

import numpy as np
import pytest
import torch

from ganlab_panel import ExperimentConfig, Trainer


def params(tr):
    return [p.detach().numpy().copy() for p in tr._g_params + tr._d_params]


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.1), ("adam", 0.01)])
@pytest.mark.parametrize("loss", ["log", "least_squares"])
def test_fast_and_plain_paths_agree_over_a_short_run(optimizer, lr, loss):
    settings = dict(distribution="ring", seed=3, d_optimizer=optimizer, g_optimizer=optimizer, d_lr=lr, g_lr=lr,
                    loss=loss, g_layers=2, d_neurons=11, batch_size=97, k_d=3, k_g=2)
    plain, fast = Trainer(fast=False, **settings), Trainer(**settings)
    assert plain.path == "torch" and fast.path == "numpy"
    for tr in (plain, fast):
        tr.train(40)
        tr.step_d()
        tr.step_g()
    for a, b in zip(params(plain), params(fast)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-6)
    fp, ff = plain.snapshot(), fast.snapshot()
    assert (fp.iteration, fp.d_steps, fp.g_steps) == (ff.iteration, ff.d_steps, ff.g_steps) == (42, 121, 81)
    assert ff.d_loss == pytest.approx(fp.d_loss, rel=1e-5) and ff.g_loss == pytest.approx(fp.g_loss, rel=1e-5)
    np.testing.assert_allclose(ff.fake, fp.fake, atol=1e-5)


def test_switching_paths_mid_run_keeps_every_state():
    settings = dict(distribution="gaussians", seed=1, d_optimizer="adam", g_optimizer="adam", d_lr=0.01, g_lr=0.01)
    mixed, plain = Trainer(**settings), Trainer(fast=False, **settings)
    mixed.train(25)
    mixed.fast = False
    mixed.train(25)
    mixed.fast = True
    mixed.train(25)
    plain.train(75)
    for a, b in zip(params(mixed), params(plain)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-6)
    # Adam's step counts live in torch's own optimizer state, whichever path ran
    steps = {float(s["step"]) for s in mixed.d_optimizer.state.values()}
    assert steps == {150.0}


def test_the_fast_path_is_cpu_only_and_can_be_turned_off():
    tr = Trainer(ExperimentConfig(device="cpu"))
    assert tr.path == "numpy"
    assert Trainer(fast=False).path == "torch"
    if torch.cuda.is_available():
        assert Trainer(ExperimentConfig(device="cuda")).path == "torch"
