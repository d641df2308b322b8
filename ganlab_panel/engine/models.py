"""GAN Lab's generator and discriminator: small fully connected ReLU networks.

Generator:      noise_dim -> n (ReLU) -> [n -> n (ReLU)] x layers -> 2, tanh
Discriminator:  2 -> n (ReLU) -> [n -> n (ReLU)] x layers -> 1, sigmoid

The networks are plain NumPy float32 arrays, so a process that trains on the
fast CPU paths never imports PyTorch; the PyTorch path works on these very
arrays (``backends/torch_path.py``). Weights are stored as GAN Lab stores them,
``W`` of shape [in, out] applied as ``x @ W + b``, so its model files map onto
:meth:`MLP.ordered_parameters` one to one, in order (W then b per layer, input
to output). Initialisation is GAN Lab's: weights normal with mean 0, std 1/√2
for the first layer and 1/√n for every other layer (n = the network's
neurons), biases zero, drawn from a NumPy generator so the same seed gives the
same network on any device.

Spectral normalisation (an option for D, beyond GAN Lab) divides each weight by
an estimate of its largest singular value, σ ≈ vᵀ W u, with ``u`` kept beside
the weights and refined by :meth:`MLP.power_iteration` once per D update (never
by a forward pass, so looking at D does not change it).

:func:`forward` and :func:`backward` are the passes every NumPy caller shares:
the NumPy training path, the views' Frame and the trainer's ``generate`` and
``discriminate``.
"""

from __future__ import annotations

import numpy as np

F32 = np.float32

#: power iterations run when a spectrally normalised network is built
SN_WARM_UP_ITERATIONS = 10


def forward(x: np.ndarray, ws: list, bs: list) -> tuple[np.ndarray, list]:
    """Pre-activation output of an MLP and the inputs of every layer (ReLU between)."""
    inputs = []
    h = x
    last = len(ws) - 1
    for i, (w, b) in enumerate(zip(ws, bs)):
        inputs.append(h)
        a = h @ w
        a += b
        h = np.maximum(a, 0, out=a) if i < last else a
    return h, inputs


def backward(grad_out: np.ndarray, ws: list, inputs: list, want_params: bool = True):
    """Back through the MLP from d(loss)/d(output pre-activation).

    Returns (param grads [dW0, db0, dW1, db1, ...] or None, d(loss)/d(input)).
    """
    grads = [None] * (2 * len(ws)) if want_params else None
    g = grad_out
    ones = np.ones(len(g), dtype=g.dtype) if want_params else None
    for i in range(len(ws) - 1, -1, -1):
        if want_params:
            grads[2 * i] = inputs[i].T @ g
            grads[2 * i + 1] = ones @ g          # the bias gradient: a column sum, as one matmul
        if i > 0 or not want_params:
            g = g @ ws[i].T
        if i > 0:
            g *= inputs[i] > 0  # ReLU: the layer's input is the previous layer's output
    return grads, g


def sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = (1 + tanh(a/2)) / 2: one transcendental, no overflow."""
    out = np.tanh(a * F32(0.5))
    out += 1
    out *= F32(0.5)
    return out


def normalize(v: np.ndarray) -> np.ndarray:
    """``v`` scaled to length 1 (a zero vector stays zero)."""
    return v / max(float(np.linalg.norm(v)), 1e-12)


def as_inputs(x) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=F32)


class MLP:
    """A stack of ``x @ W + b`` layers with ReLU between them; no output activation."""

    def __init__(self, in_dim: int, hidden_layers: int, neurons: int, out_dim: int,
                 rng: np.random.Generator | None = None, spectral_norm: bool = False):
        self.in_dim, self.hidden_layers, self.neurons, self.out_dim = in_dim, hidden_layers, neurons, out_dim
        sizes = [in_dim] + [neurons] * (hidden_layers + 1) + [out_dim]
        rng = rng if rng is not None else np.random.default_rng()
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            std = 1.0 / np.sqrt(2.0) if i == 0 else 1.0 / np.sqrt(neurons)
            self.weights.append(rng.normal(0.0, std, size=(fan_in, fan_out)).astype(F32))
            self.biases.append(np.zeros(fan_out, dtype=F32))
        self.spectral_norm = spectral_norm
        self._u: list[np.ndarray] = []
        if spectral_norm:
            self._u = [normalize(rng.normal(size=fan_out).astype(F32)).astype(F32) for fan_out in sizes[1:]]
            for _ in range(SN_WARM_UP_ITERATIONS):
                self.power_iteration()

    def copy(self) -> MLP:
        """A network of its own with the same shape and numbers."""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin.weights = [w.copy() for w in self.weights]
        twin.biases = [b.copy() for b in self.biases]
        twin._u = [u.copy() for u in self._u]
        return twin

    def sn_vectors(self) -> list[np.ndarray]:
        """The power iteration's ``u`` per layer (empty without spectral normalisation)."""
        return list(self._u)

    def power_iteration(self) -> None:
        """One step of the power iteration for every layer's largest singular value."""
        for w, u in zip(self.weights, self._u):
            v = normalize(w @ u)
            u[...] = normalize(w.T @ v)

    def effective_weights(self) -> list[np.ndarray]:
        """The weights as applied: W, or W / σ(W) with spectral normalisation."""
        if not self.spectral_norm:
            return list(self.weights)
        return [w / F32(normalize(w @ u) @ w @ u) for w, u in zip(self.weights, self._u)]

    @property
    def num_layers(self) -> int:
        return len(self.weights)

    def ordered_parameters(self) -> list[np.ndarray]:
        """W0, b0, W1, b1, ...: GAN Lab's variable order."""
        out: list[np.ndarray] = []
        for w, b in zip(self.weights, self.biases):
            out += [w, b]
        return out

    def pre_activation(self, x) -> np.ndarray:
        return forward(as_inputs(x), self.effective_weights(), self.biases)[0]


class Generator(MLP):
    """Maps noise in [0, 1]^noise_dim to points through a final tanh."""

    def __init__(self, noise_dim: int = 2, hidden_layers: int = 1, neurons: int = 8,
                 rng: np.random.Generator | None = None):
        super().__init__(noise_dim, hidden_layers, neurons, 2, rng)

    def __call__(self, noise) -> np.ndarray:
        return np.tanh(self.pre_activation(noise))

    def stretch(self, noise) -> np.ndarray:
        """How much G stretches the noise around each vector: the Frobenius
        norm of its Jacobian ∂G(z)/∂z, exact, one number per row (each of
        G's two outputs back through tanh and the ReLUs to the noise)."""
        weights = self.effective_weights()
        out, inputs = forward(as_inputs(noise), weights, self.biases)
        slope = 1 - np.tanh(out) ** 2
        squares = np.zeros(len(out), dtype=np.float64)
        for c in range(out.shape[1]):
            grad_out = np.zeros_like(out)
            grad_out[:, c] = slope[:, c]
            row = backward(grad_out, weights, inputs, want_params=False)[1]   # ∂G_c/∂z
            squares += (row.astype(np.float64) ** 2).sum(axis=1)
        return np.sqrt(squares)


class Discriminator(MLP):
    """Scores points; ``logits`` feed the losses, calling it gives D's probability.

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

    def pack(self, points: np.ndarray) -> np.ndarray:
        """(n, 2) samples as (n // pack, 2 · pack) packs of consecutive samples
        (at least one pack: too few samples are cycled)."""
        m = self.packing
        if m == 1:
            return points
        n = len(points)
        if n < m:
            points = points[np.arange(m) % max(n, 1)]
            n = m
        return points[: n - n % m].reshape(-1, 2 * m)

    def packed_logits(self, packs) -> np.ndarray:
        """D's logit for each (2 · pack)-wide pack."""
        return self.pre_activation(packs)[:, 0]

    def logits(self, points) -> np.ndarray:
        """D's logit for each (n, 2) point (a pack of copies of it when packing)."""
        points = as_inputs(points)
        if self.packing > 1:
            points = np.tile(points, (1, self.packing))
        return self.pre_activation(points)[:, 0]

    def __call__(self, points) -> np.ndarray:
        return sigmoid(self.logits(points))

    def output_and_gradients(self, points, critic: bool) -> tuple[np.ndarray, np.ndarray]:
        """D's output as shown for (n, 2) points (the critic's score, or the
        probability of "real") and its gradient with respect to each point:
        the direction D pulls a sample (the views' arrows)."""
        x = as_inputs(points)
        m = self.packing
        ws = self.effective_weights()
        logits, inputs = forward(np.tile(x, (1, m)) if m > 1 else x, ws, self.biases)
        out = logits if critic else sigmoid(logits)
        upstream = np.ones_like(logits) if critic else out * (1 - out)
        _, grad = backward(upstream, ws, inputs, want_params=False)
        if m > 1:   # every copy of the point moves with it
            grad = grad.reshape(len(x), m, 2).sum(axis=1)
        return out[:, 0], grad
