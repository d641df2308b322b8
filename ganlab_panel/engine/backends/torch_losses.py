"""The losses and penalties in PyTorch, computed from the discriminator's logits
(the PyTorch path's; ``losses.py`` names them).

GAN Lab applies a sigmoid and then takes logs; working from logits gives the
same values where GAN Lab's are finite (log σ(a) = logsigmoid(a),
log(1 - σ(a)) = logsigmoid(-a)) and stays finite where a saturated sigmoid
would give log 0. ``d_loss(real_logits, fake_logits)`` and ``g_loss(fake_logits)``
are scalars to minimise.

The penalties that need D's input gradients (WGAN-GP's and R1) take D's
``logits`` function and the points, and build a graph that the
discriminator's update differentiates again.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F

from ganlab_panel.engine.losses import REAL_LABEL_SMOOTHING, get_loss


def log_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-(0.95 · mean log D(x) + mean log(1 - D(G(z))))."""
    real_term = REAL_LABEL_SMOOTHING * F.logsigmoid(real_logits).mean()
    fake_term = F.logsigmoid(-fake_logits).mean()
    return -(real_term + fake_term)


def log_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """-mean log D(G(z)): the non-saturating generator loss."""
    return -F.logsigmoid(fake_logits).mean()


def least_squares_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """mean (D(x) - 1)² + mean D(G(z))², with D the sigmoid output."""
    return (torch.sigmoid(real_logits) - 1.0).square().mean() + torch.sigmoid(fake_logits).square().mean()


def least_squares_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """mean (D(G(z)) - 1)²."""
    return (torch.sigmoid(fake_logits) - 1.0).square().mean()


def minimax_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-(mean log D(x) + mean log(1 - D(G(z)))): the original game, no smoothing."""
    return -(F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean())


def minimax_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """mean log(1 - D(G(z))): the saturating generator loss of the original game."""
    return F.logsigmoid(-fake_logits).mean()


def wasserstein_d_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """mean C(G(z)) - mean C(x): the critic's side of the Wasserstein estimate
    (WGAN-GP adds :func:`gradient_penalty`)."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_g_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """-mean C(G(z))."""
    return -fake_scores.mean()


def hinge_d_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """mean max(0, 1 - C(x)) + mean max(0, 1 + C(G(z)))."""
    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()


def hinge_g_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """-mean C(G(z))."""
    return -fake_scores.mean()


def _input_gradients(logits: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor) -> torch.Tensor:
    x = points.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(logits(x).sum(), x, create_graph=True)
    return grad


def gradient_penalty(logits: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     mix: torch.Tensor) -> torch.Tensor:
    """WGAN-GP's penalty, mean (‖∇C(x̂)‖₂ - 1)², at x̂ = mix·real + (1 - mix)·fake
    (``mix``: one uniform number per pair). Multiply by λ."""
    mix = mix.reshape(-1, 1)
    between = mix * real.detach() + (1.0 - mix) * fake.detach()
    grad = _input_gradients(logits, between)
    return (grad.norm(dim=1) - 1.0).square().mean()


def r1_penalty(logits: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor) -> torch.Tensor:
    """R1: mean ‖∇D(x)‖² over real samples (of D's logit). Multiply by γ/2."""
    return _input_gradients(logits, real).square().sum(dim=1).mean()


class LossFunctions(NamedTuple):
    d_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g_loss: Callable[[torch.Tensor], torch.Tensor]


#: each loss's (D's loss, G's loss), by name
FUNCTIONS: dict[str, LossFunctions] = {
    "log": LossFunctions(log_d_loss, log_g_loss),
    "minimax": LossFunctions(minimax_d_loss, minimax_g_loss),
    "least_squares": LossFunctions(least_squares_d_loss, least_squares_g_loss),
    "wgan_gp": LossFunctions(wasserstein_d_loss, wasserstein_g_loss),
    "hinge": LossFunctions(hinge_d_loss, hinge_g_loss),
}


def loss_functions(name: str) -> LossFunctions:
    """(D's loss, G's loss) of the loss called ``name``."""
    return FUNCTIONS[get_loss(name).name]
