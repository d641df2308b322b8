"""The PyTorch path: autograd gradients and torch.optim's updates.

It trains every setting on every device (its row of the support table names
every field), and is what runs wherever the faster paths do not apply. It is
the only path that imports torch, and it is imported only when it runs.

It works on the :class:`~ganlab_panel.engine.state.TrainingState`'s NumPy
arrays through tensors (:class:`Bound`): on the CPU the tensors share the
arrays' memory, so autograd and ``torch.optim`` update the very numbers the
other paths and the checkpoints see; on a GPU the arrays are copied to the
device when a run begins and back when it ends.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ganlab_panel.engine.backends.formulas import batch_rows, batch_start, learning_rates
from ganlab_panel.engine.backends.torch_losses import gradient_penalty, loss_functions, r1_penalty
from ganlab_panel.engine.device import configure_threads
from ganlab_panel.engine.optimizers import KINDS


class Network:
    """One network's tensors: its weights and biases (leaves that autograd
    differentiates) and, with spectral normalisation, the power iteration's
    ``u`` vectors."""

    def __init__(self, model, tensor, trained: bool):
        self.weights = [tensor(w, trained) for w in model.weights]
        self.biases = [tensor(b, trained) for b in model.biases]
        self.sn = [tensor(u, False) for u in model.sn_vectors()]
        self.packing = getattr(model, "packing", 1)

    def parameters(self) -> list[torch.Tensor]:
        """W0, b0, W1, b1, ...: the models' order."""
        return [t for pair in zip(self.weights, self.biases) for t in pair]

    @torch.no_grad()
    def power_iteration(self) -> None:
        for w, u in zip(self.weights, self.sn):
            v = F.normalize(w @ u, dim=0)
            u.copy_(F.normalize(w.t() @ v, dim=0))

    def effective_weights(self) -> list[torch.Tensor]:
        if not self.sn:
            return list(self.weights)
        out = []
        for w, u in zip(self.weights, self.sn):
            v = F.normalize(w.detach() @ u, dim=0)
            out.append(w / (v @ w @ u))
        return out

    def pre_activation(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.effective_weights(), self.biases)):
            x = torch.addmm(b, x, w)
            if i < last:
                x = torch.relu(x)
        return x

    def generate(self, noise: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.pre_activation(noise))

    def pack(self, points: torch.Tensor) -> torch.Tensor:
        """(n, 2) samples as packs of ``packing`` consecutive ones (``Discriminator.pack``)."""
        m = self.packing
        if m == 1:
            return points
        n = len(points)
        if n < m:
            points = points[torch.arange(m, device=points.device) % max(n, 1)]
            n = m
        return points[: n - n % m].reshape(-1, 2 * m)

    def packed_logits(self, packs: torch.Tensor) -> torch.Tensor:
        return self.pre_activation(packs).squeeze(-1)


def torch_optimizer(opt, params: list[torch.Tensor], tensor) -> torch.optim.Optimizer:
    """A ``torch.optim`` optimizer over ``params`` whose state is ``opt``'s arrays."""
    made = getattr(torch.optim, KINDS[opt.kind])(params, **opt.group)
    for p, state in zip(params, opt.states):
        if state:   # the step count stays a CPU tensor, as torch keeps it
            made.state[p] = {k: (torch.from_numpy(v) if k == "step" else tensor(v, False)) for k, v in state.items()}
    return made


class Bound:
    """Tensors over a training state's arrays, on its device (see the module docstring)."""

    def __init__(self, state, device: str):
        self.device = torch.device(device)
        #: (array, tensor) pairs to copy back after a run (off the CPU only)
        self.copies: list[tuple[np.ndarray, torch.Tensor]] = []
        self.G = Network(state.generator, self.tensor, True)
        self.D = Network(state.discriminator, self.tensor, True)
        self.average = Network(state.g_average, self.tensor, False) if state.g_average is not None else None
        self.noise = self.tensor(state.noise_atlas, False, back=False)
        self.real = self.tensor(state.real_atlas, False, back=False)
        self.d_opt = torch_optimizer(state.d_optimizer, self.D.parameters(), self.tensor)
        self.g_opt = torch_optimizer(state.g_optimizer, self.G.parameters(), self.tensor)
        self.state, self.version = state, state.version

    def tensor(self, array: np.ndarray, trained: bool, back: bool = True) -> torch.Tensor:
        t = torch.from_numpy(array)
        if self.device.type != "cpu":
            t = t.to(self.device)
            if back:
                self.copies.append((array, t))
        return t.requires_grad_(True) if trained else t

    def current(self, state, device: str) -> bool:
        """Whether these tensors still stand for ``state`` (on the CPU they are its memory)."""
        return (self.device.type == "cpu" and device == "cpu" and state is self.state
                and state.version == self.version)

    def copy_back(self) -> None:
        with torch.no_grad():
            for array, t in self.copies:
                array[...] = t.detach().cpu().numpy()

    def settings(self, state) -> None:
        """The optimizers' settings as the state's (the schedule and hot changes set those)."""
        for made, opt in ((self.d_opt, state.d_optimizer), (self.g_opt, state.g_optimizer)):
            made.param_groups[0].update(opt.group)


def take_batch(atlas: torch.Tensor, cursor: int, size: int) -> torch.Tensor:
    """Batch number ``cursor`` of ``atlas``: the rows :func:`~.formulas.batch_rows`
    names (a view where they do not wrap past the last row)."""
    rows = len(atlas)
    start = batch_start(cursor, size, rows)
    if start + size <= rows:
        return atlas[start:start + size]
    return atlas[torch.as_tensor(batch_rows(cursor, size, rows), device=atlas.device)]


def d_update(bound: Bound, state, config) -> None:
    """One discriminator update on the next real and noise batches."""
    noise = take_batch(bound.noise, state.noise_cursor, config.batch_size)
    real = take_batch(bound.real, state.real_cursor, config.batch_size)
    state.noise_cursor += 1
    state.real_cursor += 1
    with torch.no_grad():
        fake = bound.G.generate(noise)
    D = bound.D
    if D.sn:
        D.power_iteration()
    real, fake = D.pack(real), D.pack(fake)   # (PacGAN) packs of samples; unchanged without packing
    d_loss, _ = loss_functions(config.loss)
    loss = d_loss(D.packed_logits(real), D.packed_logits(fake))
    if config.loss == "wgan_gp" and config.gp_weight > 0:
        mix = torch.as_tensor(state.penalty_rng.random(len(real)), dtype=real.dtype, device=real.device)
        loss = loss + config.gp_weight * gradient_penalty(D.packed_logits, real, fake, mix)
    if config.r1_gamma > 0:
        loss = loss + config.r1_gamma / 2 * r1_penalty(D.packed_logits, real)
    params = D.parameters()
    for p, g in zip(params, torch.autograd.grad(loss, params)):
        p.grad = g
    bound.d_opt.step()
    state.last_d_loss = loss.detach()
    state.d_steps += 1


def g_update(bound: Bound, state, config) -> None:
    """One generator update on the next noise batch."""
    noise = take_batch(bound.noise, state.noise_cursor, config.batch_size)
    state.noise_cursor += 1
    D = bound.D
    fake_logits = D.packed_logits(D.pack(bound.G.generate(noise)))
    _, g_loss = loss_functions(config.loss)
    loss = g_loss(fake_logits)
    params = bound.G.parameters()
    for p, g in zip(params, torch.autograd.grad(loss, params)):
        p.grad = g
    bound.g_opt.step()
    if bound.average is not None:   # avg = β·avg + (1 − β)·G
        beta = float(config.g_ema)
        with torch.no_grad():
            for avg, p in zip(bound.average.parameters(), params):
                avg.mul_(beta).add_(p.detach(), alpha=1.0 - beta)
    state.last_g_loss = loss.detach()
    state.g_steps += 1


class TorchPath:
    """Runs the PyTorch path on a state, keeping its tensors while they stay current."""

    def __init__(self):
        self.bound: Bound | None = None

    def run(self, state, config, device: str, iterations: int, d_updates: int, g_updates: int,
            count_iterations: bool = True) -> None:
        """``iterations`` times: the learning rates for the iteration, ``d_updates``
        D updates, ``g_updates`` G updates, and (if counted) the next iteration."""
        configure_threads()
        bound = self.bound
        if bound is None or not bound.current(state, device):
            bound = self.bound = Bound(state, device)
        bound.settings(state)
        try:
            for _ in range(iterations):
                if config.lr_half_life:
                    for made, lr in zip((bound.d_opt, bound.g_opt), learning_rates(config, state.iteration)):
                        made.param_groups[0]["lr"] = lr
                for _ in range(d_updates):
                    d_update(bound, state, config)
                for _ in range(g_updates):
                    g_update(bound, state, config)
                if count_iterations:
                    state.iteration += 1
        finally:
            bound.copy_back()
            for made, opt in ((bound.d_opt, state.d_optimizer), (bound.g_opt, state.g_optimizer)):
                opt.group["lr"] = made.param_groups[0]["lr"]
