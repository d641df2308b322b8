import math

import pytest
import torch

from ganlab_panel.losses import LOSSES, get_loss


def sig(a):
    return 1 / (1 + math.exp(-a))


REAL = [0.5, -1.0, 2.0]
FAKE = [-0.3, 1.5]


def t(values):
    return torch.tensor(values, dtype=torch.float64)


def test_log_loss_matches_gan_labs_formula():
    loss = get_loss("log")
    d_expected = -(0.95 * sum(math.log(sig(a)) for a in REAL) / 3 + sum(math.log(1 - sig(a)) for a in FAKE) / 2)
    g_expected = -sum(math.log(sig(a)) for a in FAKE) / 2
    assert loss.d_loss(t(REAL), t(FAKE)).item() == pytest.approx(d_expected, rel=1e-12)
    assert loss.g_loss(t(FAKE)).item() == pytest.approx(g_expected, rel=1e-12)


def test_least_squares_loss_matches_gan_labs_formula():
    loss = get_loss("least_squares")
    d_expected = sum((sig(a) - 1) ** 2 for a in REAL) / 3 + sum(sig(a) ** 2 for a in FAKE) / 2
    g_expected = sum((sig(a) - 1) ** 2 for a in FAKE) / 2
    assert loss.d_loss(t(REAL), t(FAKE)).item() == pytest.approx(d_expected, rel=1e-12)
    assert loss.g_loss(t(FAKE)).item() == pytest.approx(g_expected, rel=1e-12)


def test_log_loss_stays_finite_where_a_saturated_sigmoid_would_give_log_zero():
    loss = get_loss("log")
    real = torch.tensor([-200.0])
    fake = torch.tensor([200.0])
    d = loss.d_loss(real, fake)
    g = loss.g_loss(torch.tensor([-200.0]))
    assert torch.isfinite(d) and torch.isfinite(g)
    assert d.item() == pytest.approx(0.95 * 200 + 200, rel=1e-6)
    assert g.item() == pytest.approx(200, rel=1e-6)


def test_gradients_push_d_and_g_the_right_way():
    loss = get_loss("log")
    fake = torch.zeros(4, requires_grad=True)
    loss.g_loss(fake).backward()
    assert (fake.grad < 0).all()  # G lowers its loss by raising D's score on fakes
    fake2 = torch.zeros(4, requires_grad=True)
    real = torch.zeros(4, requires_grad=True)
    loss.d_loss(real, fake2).backward()
    assert (real.grad < 0).all() and (fake2.grad > 0).all()


def test_registry_and_unknown_names():
    assert set(LOSSES) == {"log", "least_squares"}
    with pytest.raises(ValueError, match="unknown loss"):
        get_loss("nope")
