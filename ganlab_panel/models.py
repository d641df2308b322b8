"""GAN Lab's generator and discriminator: small fully connected ReLU networks.

Generator:      noise_dim -> n (ReLU) -> [n -> n (ReLU)] x layers -> 2, tanh
Discriminator:  2 -> n (ReLU) -> [n -> n (ReLU)] x layers -> 1, sigmoid

Weights are stored as GAN Lab stores them, ``W`` of shape [in, out] applied as
``x @ W + b``, so its model files map onto ``parameters()`` one to one, in order
(W then b per layer, input to output). Initialisation is GAN Lab's: weights
normal with mean 0, std 1/√2 for the first layer and 1/√n for every other layer
(n = the network's neurons), biases zero. Initial values are drawn from a NumPy
generator so the same seed gives the same network on any device.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class MLP(nn.Module):
    """A stack of ``x @ W + b`` layers with ReLU between them; no output activation."""

    def __init__(self, in_dim: int, hidden_layers: int, neurons: int, out_dim: int,
                 rng: np.random.Generator | None = None):
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
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
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
    """Scores points; ``logits`` feed the losses, ``forward`` is D's probability."""

    def __init__(self, hidden_layers: int = 1, neurons: int = 8, rng: np.random.Generator | None = None):
        super().__init__(2, hidden_layers, neurons, 1, rng)

    def logits(self, points: torch.Tensor) -> torch.Tensor:
        return self.pre_activation(points).squeeze(-1)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(points))
