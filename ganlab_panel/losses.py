"""GAN losses by name, computed from the discriminator's logits.

GAN Lab applies a sigmoid and then takes logs; working from logits gives the
same values where GAN Lab's are finite (log σ(a) = logsigmoid(a),
log(1 - σ(a)) = logsigmoid(-a)) and stays finite where a saturated sigmoid
would give log 0.

Each entry of :data:`LOSSES` has ``d_loss(real_logits, fake_logits)`` and
``g_loss(fake_logits)``, both scalars to minimise, and a human ``label``.
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


LOSSES: dict[str, GANLoss] = {
    "log": GANLoss("Log loss", log_d_loss, log_g_loss),
    "least_squares": GANLoss("Least squares loss", least_squares_d_loss, least_squares_g_loss),
}


def get_loss(name: str) -> GANLoss:
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of: {', '.join(LOSSES)}") from None
