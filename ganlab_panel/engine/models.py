"""GAN Lab's generator and discriminator: small fully connected ReLU networks.

Generator:      noise_dim -> n (ReLU) -> [n -> n (ReLU)] x layers -> 2, tanh
Discriminator:  2 -> n (ReLU) -> [n -> n (ReLU)] x layers -> 1, sigmoid

Weights are stored as GAN Lab stores them, ``W`` of shape [in, out] applied as
``x @ W + b``, so its model files map onto ``parameters()`` one to one, in order
(W then b per layer, input to output). Initialisation is GAN Lab's: weights
normal with mean 0, std 1/√2 for the first layer and 1/√n for every other layer
(n = the network's neurons), biases zero. Initial values are drawn from a NumPy
generator so the same seed gives the same network on any device.

Spectral normalisation (an option for D, beyond GAN Lab) divides each weight by
an estimate of its largest singular value, σ ≈ vᵀ W u, with ``u`` kept as a
buffer and refined by :meth:`MLP.power_iteration` once per D update (never by a
forward pass, so looking at D does not change it).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: power iterations run when a spectrally normalised network is built
SN_WARM_UP_ITERATIONS = 10


class MLP(nn.Module):
    """A stack of ``x @ W + b`` layers with ReLU between them; no output activation."""

    def __init__(self, in_dim: int, hidden_layers: int, neurons: int, out_dim: int,
                 rng: np.random.Generator | None = None, spectral_norm: bool = False):
        super().__init__()
        self.in_dim, self.hidden_layers, self.neurons, self.out_dim = in_dim, hidden_layers, neurons, out_dim
        sizes = [in_dim] + [neurons] * (hidden_layers + 1) + [out_dim]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        rng = rng if rng is not None else np.random.default_rng()
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            std = 1.0 / np.sqrt(2.0) if i == 0 else 1.0 / np.sqrt(neurons)
            w = rng.normal(0.0, std, size=(fan_in, fan_out)).astype(np.float32)
            self.weights.append(nn.Parameter(torch.from_numpy(w)))
            self.biases.append(nn.Parameter(torch.zeros(fan_out)))
        self.spectral_norm = spectral_norm
        if spectral_norm:
            for i, fan_out in enumerate(sizes[1:]):
                u = torch.from_numpy(rng.normal(size=fan_out).astype(np.float32))
                self.register_buffer(f"sn_u{i}", F.normalize(u, dim=0))
            for _ in range(SN_WARM_UP_ITERATIONS):
                self.power_iteration()

    def sn_vectors(self) -> list[torch.Tensor]:
        """The power iteration's ``u`` per layer (empty without spectral normalisation)."""
        return [getattr(self, f"sn_u{i}") for i in range(self.num_layers)] if self.spectral_norm else []

    @torch.no_grad()
    def power_iteration(self) -> None:
        """One step of the power iteration for every layer's largest singular value."""
        for w, u in zip(self.weights, self.sn_vectors()):
            v = F.normalize(w @ u, dim=0)
            u.copy_(F.normalize(w.t() @ v, dim=0))

    def effective_weights(self) -> list[torch.Tensor]:
        """The weights as applied: W, or W / σ(W) with spectral normalisation."""
        if not self.spectral_norm:
            return list(self.weights)
        out = []
        for w, u in zip(self.weights, self.sn_vectors()):
            v = F.normalize(w.detach() @ u, dim=0)
            out.append(w / (v @ w @ u))
        return out

    @property
    def num_layers(self) -> int:
        return len(self.weights)

    def ordered_parameters(self) -> list[nn.Parameter]:
        """W0, b0, W1, b1, ...: GAN Lab's variable order."""
        out: list[nn.Parameter] = []
        for w, b in zip(self.weights, self.biases):
            out += [w, b]
        return out

    def pre_activation(self, x: torch.Tensor) -> torch.Tensor:
        last = self.num_layers - 1
        for i, (w, b) in enumerate(zip(self.effective_weights(), self.biases)):
            x = torch.addmm(b, x, w)
            if i < last:
                x = torch.relu(x)
        return x


class Generator(MLP):
    """Maps noise in [0, 1]^noise_dim to points through a final tanh."""

    def __init__(self, noise_dim: int = 2, hidden_layers: int = 1, neurons: int = 8,
                 rng: np.random.Generator | None = None):
        super().__init__(noise_dim, hidden_layers, neurons, 2, rng)

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.pre_activation(noise))


class Discriminator(MLP):
    """Scores points; ``logits`` feed the losses, ``forward`` is D's probability.

    With ``pack`` > 1 (PacGAN, Lin et al. 2018) D judges ``pack`` samples at
    once, all real or all fake: its input is their coordinates side by side
    (2 · pack numbers). Training scores packs (:meth:`pack` then
    :meth:`packed_logits`); a single point is scored as a pack of copies of
    itself (:meth:`logits`), which is what the heatmap and gradients show.
    """

    def __init__(self, hidden_layers: int = 1, neurons: int = 8, rng: np.random.Generator | None = None,
                 spectral_norm: bool = False, pack: int = 1):
        super().__init__(2 * pack, hidden_layers, neurons, 1, rng, spectral_norm)
        self.packing = int(pack)

    def pack(self, points: torch.Tensor) -> torch.Tensor:
        """(n, 2) samples as (n // pack, 2 · pack) packs of consecutive samples
        (at least one pack: too few samples are cycled)."""
        m = self.packing
        if m == 1:
            return points
        n = len(points)
        if n < m:
            points = points[torch.arange(m, device=points.device) % max(n, 1)]
            n = m
        return points[: n - n % m].reshape(-1, 2 * m)

    def packed_logits(self, packs: torch.Tensor) -> torch.Tensor:
        """D's logit for each (2 · pack)-wide pack."""
        return self.pre_activation(packs).squeeze(-1)

    def logits(self, points: torch.Tensor) -> torch.Tensor:
        """D's logit for each (n, 2) point (a pack of copies of it when packing)."""
        if self.packing > 1:
            points = points.repeat(1, self.packing)
        return self.pre_activation(points).squeeze(-1)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(points))
