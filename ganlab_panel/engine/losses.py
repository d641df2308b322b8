"""GAN losses by name, computed from the discriminator's logits.

GAN Lab applies a sigmoid and then takes logs; working from logits gives the
same values where GAN Lab's are finite (log σ(a) = logsigmoid(a),
log(1 - σ(a)) = logsigmoid(-a)) and stays finite where a saturated sigmoid
would give log 0.

Each entry of :data:`LOSSES` has ``d_loss(real_logits, fake_logits)`` and
``g_loss(fake_logits)``, both scalars to minimise, a human ``label``, and
``critic``: whether D's raw output is the score itself (Wasserstein, hinge)
rather than a logit whose sigmoid is a probability of "real".

The penalties that need D's input gradients (WGAN-GP's and R1) are here too;
they take D's ``logits`` function and the points, and build a graph that the
discriminator's update differentiates again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

#: GAN Lab's one-sided label smoothing on the real term of the log loss.
REAL_LABEL_SMOOTHING = 0.95


@dataclass(frozen=True)
class GANLoss:
    label: str
    d_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g_loss: Callable[[torch.Tensor], torch.Tensor]
    #: D is a critic: its raw output is the score (no sigmoid, no probability)
    critic: bool = False
    #: what D's output means, for legends
    output: str = "probability that a sample is real"


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


CRITIC_OUTPUT = "critic score (higher: more real); not a probability"

LOSSES: dict[str, GANLoss] = {
    "log": GANLoss("Log loss", log_d_loss, log_g_loss),
    "minimax": GANLoss("Minimax (saturating) loss", minimax_d_loss, minimax_g_loss),
    "least_squares": GANLoss("Least squares loss", least_squares_d_loss, least_squares_g_loss),
    "wgan_gp": GANLoss("Wasserstein with gradient penalty", wasserstein_d_loss, wasserstein_g_loss,
                       critic=True, output=CRITIC_OUTPUT),
    "hinge": GANLoss("Hinge loss", hinge_d_loss, hinge_g_loss, critic=True, output=CRITIC_OUTPUT),
}


def get_loss(name: str) -> GANLoss:
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of: {', '.join(LOSSES)}") from None
