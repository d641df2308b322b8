"""GAN losses by name: what each is called and what D's output means under it.

Each entry of :data:`LOSSES` has a human ``label`` and ``critic``: whether D's
raw output is the score itself (Wasserstein, hinge) rather than a logit whose
sigmoid is a probability of "real". The losses themselves are computed where
training runs: in PyTorch by ``backends/torch_losses.py`` (with the penalties
that need D's input gradients), in NumPy and in the compiled kernel from
``backends/formulas.py``'s gradients and values.
"""

from __future__ import annotations

from dataclasses import dataclass

#: GAN Lab's one-sided label smoothing on the real term of the log loss.
REAL_LABEL_SMOOTHING = 0.95


@dataclass(frozen=True)
class GANLoss:
    name: str
    label: str
    #: D is a critic: its raw output is the score (no sigmoid, no probability)
    critic: bool = False
    #: what D's output means, for legends
    output: str = "probability that a sample is real"


CRITIC_OUTPUT = "critic score (higher: more real); not a probability"

LOSSES: dict[str, GANLoss] = {
    "log": GANLoss("log", "Log loss"),
    "minimax": GANLoss("minimax", "Minimax (saturating) loss"),
    "least_squares": GANLoss("least_squares", "Least squares loss"),
    "wgan_gp": GANLoss("wgan_gp", "Wasserstein with gradient penalty", critic=True, output=CRITIC_OUTPUT),
    "hinge": GANLoss("hinge", "Hinge loss", critic=True, output=CRITIC_OUTPUT),
}


def get_loss(name: str) -> GANLoss:
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of: {', '.join(LOSSES)}") from None
