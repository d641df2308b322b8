import math

import pytest
import torch

from ganlab_panel.engine.backends.torch_losses import gradient_penalty, r1_penalty
from ganlab_panel.engine.backends.torch_losses import loss_functions as get_loss
from ganlab_panel.engine.losses import LOSSES


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


def test_minimax_wasserstein_and_hinge_match_hand_computations():
    mm = get_loss("minimax")
    assert mm.d_loss(t(REAL), t(FAKE)).item() == pytest.approx(
        -(sum(math.log(sig(a)) for a in REAL) / 3 + sum(math.log(1 - sig(a)) for a in FAKE) / 2), rel=1e-12)
    assert mm.g_loss(t(FAKE)).item() == pytest.approx(sum(math.log(1 - sig(a)) for a in FAKE) / 2, rel=1e-12)
    w = get_loss("wgan_gp")
    assert w.d_loss(t(REAL), t(FAKE)).item() == pytest.approx(sum(FAKE) / 2 - sum(REAL) / 3, rel=1e-12)
    assert w.g_loss(t(FAKE)).item() == pytest.approx(-sum(FAKE) / 2, rel=1e-12)
    h = get_loss("hinge")
    assert h.d_loss(t(REAL), t(FAKE)).item() == pytest.approx(
        sum(max(0, 1 - a) for a in REAL) / 3 + sum(max(0, 1 + a) for a in FAKE) / 2, rel=1e-12)
    assert h.g_loss(t(FAKE)).item() == pytest.approx(-sum(FAKE) / 2, rel=1e-12)
    assert [n for n, loss in LOSSES.items() if loss.critic] == ["wgan_gp", "hinge"]


def test_minimax_saturates_where_the_non_saturating_loss_does_not():
    confident = torch.tensor([-8.0], requires_grad=True)  # D is sure the fake is fake
    get_loss("minimax").g_loss(confident).backward()
    saturating = confident.grad.abs().item()
    confident.grad = None
    get_loss("log").g_loss(confident).backward()
    assert saturating < 1e-3 < confident.grad.abs().item()


def _tiny_critic():
    w1 = torch.tensor([[1.0, -2.0, 0.5], [0.3, 1.0, -1.0]], dtype=torch.float64)
    b1 = torch.tensor([0.1, 0.2, -0.3], dtype=torch.float64)
    w2 = torch.tensor([[1.5], [-0.7], [2.0]], dtype=torch.float64)
    return lambda x: (torch.relu(x @ w1 + b1) @ w2).squeeze(-1), (w1, b1, w2)


def test_gradient_penalty_matches_a_hand_computed_input_gradient():
    critic, (w1, b1, w2) = _tiny_critic()
    real = t([[0.2, 0.9], [0.7, 0.1]])
    fake = t([[0.5, 0.5], [0.1, 0.3]])
    mix = t([0.25, 0.6])
    between = mix[:, None] * real + (1 - mix[:, None]) * fake
    # ∇x C(x) = W1 · diag(relu'(x W1 + b1)) · w2, by hand
    active = ((between @ w1 + b1) > 0).double()
    grads = (active * w2.squeeze(-1)) @ w1.T
    expected = ((grads.norm(dim=1) - 1) ** 2).mean()
    assert gradient_penalty(critic, real, fake, mix).item() == pytest.approx(expected.item(), rel=1e-12)
    assert r1_penalty(critic, real).item() == pytest.approx(
        (((((real @ w1 + b1) > 0).double() * w2.squeeze(-1)) @ w1.T) ** 2).sum(1).mean().item(), rel=1e-12)


def test_penalties_differentiate_against_autograd_through_the_weights():
    critic, params = _tiny_critic()
    for p in params:
        p.requires_grad_(True)
    real = t([[0.2, 0.9], [0.7, 0.1]])
    fake = t([[0.5, 0.5], [0.1, 0.3]])
    mix = t([0.25, 0.6])
    penalty = gradient_penalty(critic, real, fake, mix)
    (g_w2,) = torch.autograd.grad(penalty, [params[2]])
    # finite differences on the critic's output weights
    eps = 1e-6
    for i in range(3):
        w2 = params[2].detach().clone()
        w2[i, 0] += eps
        up_critic = lambda x, w2=w2: (torch.relu(x @ params[0].detach() + params[1].detach()) @ w2).squeeze(-1)  # noqa: E731
        w2m = params[2].detach().clone()
        w2m[i, 0] -= eps
        down_critic = lambda x, w2=w2m: (torch.relu(x @ params[0].detach() + params[1].detach()) @ w2).squeeze(-1)  # noqa: E731
        numeric = (gradient_penalty(up_critic, real, fake, mix) - gradient_penalty(down_critic, real, fake, mix)) / (2 * eps)
        assert g_w2[i, 0].item() == pytest.approx(numeric.item(), rel=1e-5, abs=1e-8)


def test_registry_and_unknown_names():
    assert list(LOSSES) == ["log", "minimax", "least_squares", "wgan_gp", "hinge"]
    with pytest.raises(ValueError, match="unknown loss"):
        get_loss("nope")
