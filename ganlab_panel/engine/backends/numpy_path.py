"""The fast CPU path: GAN Lab's training step written out in NumPy.

GAN Lab's networks are tiny (a few hundred weights, batches of 150), so on a CPU
PyTorch's per-operation overhead dominates: its eager loop spends more time
dispatching than multiplying. Here the same forward and backward passes, losses
and SGD / Adam updates are written out by hand in NumPy, working *in place* on
the trainer's own parameter and optimizer-state memory (CPU tensors share it with
NumPy). Switching between this path and PyTorch's is therefore seamless: both
read and write the same numbers, and checkpoints do not know which one ran.

It is the same training (same batches, same formulas, float32), not bit for bit
the same arithmetic: results agree with the PyTorch path to float32 rounding over
short runs (a test checks it), as two correct implementations do.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import torch

from ganlab_panel.engine.losses import REAL_LABEL_SMOOTHING

F32 = np.float32


def supported(trainer) -> bool:
    """The fast path covers CPU training with GAN Lab's losses and optimizers
    (Adam with any betas), without R1, spectral normalisation or packing."""
    cfg = trainer.config
    return (trainer.device.type == "cpu" and cfg.loss in ("log", "least_squares")
            and cfg.d_optimizer in ("sgd", "adam") and cfg.g_optimizer in ("sgd", "adam")
            and cfg.r1_gamma == 0 and not cfg.d_spectral_norm and cfg.d_pack == 1)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = (1 + tanh(a/2)) / 2: one transcendental, no overflow."""
    out = np.tanh(a * F32(0.5))
    out += 1
    out *= F32(0.5)
    return out


def _log_sigmoid(a: np.ndarray) -> np.ndarray:
    """log σ(a) without overflow: -(max(-a, 0) + log1p(exp(-|a|)))."""
    return -(np.maximum(-a, 0) + np.log1p(np.exp(-np.abs(a))))


def _forward(x: np.ndarray, ws: list, bs: list) -> tuple[np.ndarray, list]:
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


def _backward(grad_out: np.ndarray, ws: list, inputs: list, want_params: bool = True):
    """Back through the MLP from d(loss)/d(output pre-activation).

    Returns (param grads [dW0, db0, dW1, db1, ...] or None, d(loss)/d(input)).
    """
    grads = [None] * (2 * len(ws)) if want_params else None
    g = grad_out
    ones = _ones(len(g)) if want_params else None
    for i in range(len(ws) - 1, -1, -1):
        if want_params:
            grads[2 * i] = inputs[i].T @ g
            grads[2 * i + 1] = ones @ g          # the bias gradient: a column sum, as one matmul
        if i > 0 or not want_params:
            g = g @ ws[i].T
        if i > 0:
            g *= inputs[i] > 0  # ReLU: the layer's input is the previous layer's output
    return grads, g


_ONES: dict[int, np.ndarray] = {}


def _ones(n: int) -> np.ndarray:
    if n not in _ONES:
        _ONES[n] = np.ones(n, dtype=F32)
    return _ONES[n]


class _Optimizer:
    """SGD or Adam updating NumPy views of a torch optimizer's params and state."""

    def __init__(self, opt: torch.optim.Optimizer, params: list[torch.nn.Parameter]):
        self.opt = opt
        self.group = opt.param_groups[0]
        self.params = [p.detach().numpy() for p in params]
        self.adam = isinstance(opt, torch.optim.Adam)
        if self.adam:
            self.m, self.v, self.steps = [], [], []
            for p in params:
                state = opt.state[p]
                if not state:  # torch creates Adam's state lazily; create it as torch would
                    state["step"] = torch.tensor(0.0)
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                self.m.append(state["exp_avg"].numpy())
                self.v.append(state["exp_avg_sq"].numpy())
                self.steps.append(state["step"])

    @property
    def sgd_scale(self) -> np.float32 | None:
        """For SGD, the factor to fold into the output gradient so that the
        parameter gradients come out already multiplied by the learning rate."""
        return None if self.adam else F32(self.group["lr"])

    def step(self, grads: list, scaled: bool = False) -> None:
        lr = self.group["lr"]
        if not self.adam:
            for p, g in zip(self.params, grads):
                if scaled:
                    p -= g
                else:
                    p -= F32(lr) * g
            return
        beta1, beta2 = self.group["betas"]
        eps = self.group["eps"]
        for p, g, m, v, step in zip(self.params, grads, self.m, self.v, self.steps):
            step += 1
            t = float(step)
            m += (g - m) * F32(1 - beta1)          # torch: exp_avg.lerp_(grad, 1 - beta1)
            v *= F32(beta2)
            v += F32(1 - beta2) * g * g
            step_size = lr / (1 - beta1 ** t)
            denom = np.sqrt(v) / F32((1 - beta2 ** t) ** 0.5)
            denom += F32(eps)
            p -= F32(step_size) * (m / denom)


def _kernels_importable() -> bool:
    return importlib.util.find_spec("numba") is not None


class FastPath:
    """Runs a trainer's D and G updates in NumPy (see the module docstring)."""

    def __init__(self, trainer):
        self.trainer = trainer
        self._bound_key = None

    def unbind(self) -> None:
        """Forget the views of the trainer's memory (its optimizers' state was replaced)."""
        self._bound_key = None

    def _bind(self) -> None:
        tr = self.trainer
        key = (id(tr.generator), id(tr.discriminator), id(tr.d_optimizer), id(tr.g_optimizer), id(tr._g_average))
        if key == self._bound_key:
            return
        self._lists = None  # the compiled kernel's views, made when it first runs
        self.gw = [w.detach().numpy() for w in tr.generator.weights]
        self.gb = [b.detach().numpy() for b in tr.generator.biases]
        self.dw = [w.detach().numpy() for w in tr.discriminator.weights]
        self.db = [b.detach().numpy() for b in tr.discriminator.biases]
        self.d_opt = _Optimizer(tr.d_optimizer, tr._d_params)
        self.g_opt = _Optimizer(tr.g_optimizer, tr._g_params)
        self.g_params = [p.detach().numpy() for p in tr._g_params]
        self.g_average = ([p.detach().numpy() for p in tr._g_average.ordered_parameters()]
                          if tr._g_average is not None else None)
        self.noise = tr._noise_atlas.numpy()
        self.real = tr._real_atlas.numpy()
        self._bound_key = key

    def _batch(self, atlas: np.ndarray, cursor: int, size: int) -> np.ndarray:
        n = len(atlas)
        start = (cursor * size) % n
        if start + size <= n:
            return atlas[start:start + size]
        return atlas[np.arange(start, start + size) % n]

    def run(self, iterations: int, d_updates: int | None = None, g_updates: int | None = None,
            count_iterations: bool = True) -> None:
        """``iterations`` times: ``d_updates`` D updates then ``g_updates`` G
        updates (k_D and k_G by default). Settings are read once per call."""
        tr = self.trainer
        cfg = tr.config
        self._bind()
        k_d = cfg.k_d if d_updates is None else d_updates
        k_g = cfg.k_g if g_updates is None else g_updates
        size, log_loss = cfg.batch_size, cfg.loss == "log"
        beta = F32(cfg.g_ema)
        scheduled = bool(cfg.lr_half_life)
        if self.compiled:
            self._run_compiled(iterations, k_d, k_g, size, log_loss, count_iterations)
            return
        d_loss = g_loss = None
        # a diverging run overflows: the trainer reports that through its Frame
        # (``finite``), so NumPy's floating-point warnings would only be noise
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for it in range(iterations):
                last = it == iterations - 1
                if scheduled:
                    tr.schedule_learning_rates()
                for j in range(k_d):
                    d_loss = self._d_update(size, log_loss, want_loss=last and j == k_d - 1)
                for j in range(k_g):
                    g_loss = self._g_update(size, log_loss, want_loss=last and j == k_g - 1)
                    if self.g_average is not None:   # the moving average of G's weights
                        for avg, p in zip(self.g_average, self.g_params):
                            avg *= beta
                            avg += (1 - beta) * p
                if count_iterations:
                    tr.iteration += 1
        tr.d_steps += iterations * k_d
        tr.g_steps += iterations * k_g
        if d_loss is not None:
            tr._last_d_loss = d_loss
        if g_loss is not None:
            tr._last_g_loss = g_loss

    @property
    def compiled(self) -> bool:
        """Whether the next run takes the compiled kernel (see ``kernels``)."""
        tr = self.trainer
        if not (tr.compiled and _kernels_importable()):
            return False
        from ganlab_panel.engine.backends import compiled as kernels

        if not kernels.suits(tr.config):
            return False
        if not kernels.ready():
            kernels.warm_up(wait=tr.wait_for_compile)
        return kernels.ready()

    def _run_compiled(self, iterations: int, k_d: int, k_g: int, size: int, log_loss: bool,
                      count_iterations: bool) -> None:
        from ganlab_panel.engine.backends import compiled as kernels

        tr, cfg = self.trainer, self.trainer.config
        if self._lists is None:
            def state(opt, ws, bs):
                if not opt.adam:  # SGD keeps no state: the weights stand in, untouched
                    return ws, bs, ws, bs
                return (kernels.as_list(opt.m[0::2]), kernels.as_list(opt.m[1::2]),
                        kernels.as_list(opt.v[0::2]), kernels.as_list(opt.v[1::2]))

            gw, gb = kernels.as_list(self.gw), kernels.as_list(self.gb)
            dw, db = kernels.as_list(self.dw), kernels.as_list(self.db)
            self._lists = (gw, gb, dw, db, state(self.d_opt, dw, db), state(self.g_opt, gw, gb))
        gw, gb, dw, db, d_state, g_state = self._lists
        d_opt, g_opt = self.d_opt, self.g_opt
        betas = np.array([*d_opt.group.get("betas", (0.9, 0.999)), *g_opt.group.get("betas", (0.9, 0.999))])
        eps = float(d_opt.group.get("eps", g_opt.group.get("eps", 1e-7)))
        t_d = float(d_opt.steps[0]) if d_opt.adam else 0.0
        t_g = float(g_opt.steps[0]) if g_opt.adam else 0.0
        base_d, base_g = cfg.d_lr, cfg.g_lr
        if cfg.lr_half_life:
            schedule = np.array([float(cfg.lr_half_life), float(cfg.lr_decay_start)])
        else:  # constant: the rates the optimizers hold
            schedule = np.zeros(2)
            base_d, base_g = d_opt.group["lr"], g_opt.group["lr"]
        cursors = np.array([tr._noise_cursor, tr._real_cursor], dtype=np.int64)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            d_loss, g_loss, lr_d, lr_g = kernels.run(
                int(iterations), int(k_d), int(k_g), int(size), bool(log_loss), float(REAL_LABEL_SMOOTHING),
                gw, gb, dw, db, d_state, g_state, d_opt.adam, g_opt.adam, float(base_d), float(base_g),
                betas, float(eps), schedule, int(tr.iteration), bool(count_iterations), t_d, t_g,
                self.noise, self.real, cursors)
        tr._noise_cursor, tr._real_cursor = int(cursors[0]), int(cursors[1])
        for opt, n in ((d_opt, iterations * k_d), (g_opt, iterations * k_g)):
            if opt.adam:
                for s in opt.steps:
                    s += n
        if cfg.lr_half_life and iterations:
            for opt, lr in ((d_opt, lr_d), (g_opt, lr_g)):
                opt.group["lr"] = lr
        if count_iterations:
            tr.iteration += iterations
        tr.d_steps += iterations * k_d
        tr.g_steps += iterations * k_g
        if iterations and k_d:
            tr._last_d_loss = float(d_loss)
        if iterations and k_g:
            tr._last_g_loss = float(g_loss)

    def _d_update(self, size: int, log_loss: bool, want_loss: bool) -> float | None:
        tr = self.trainer
        noise = self._batch(self.noise, tr._noise_cursor, size)
        real = self._batch(self.real, tr._real_cursor, size)
        tr._noise_cursor += 1
        tr._real_cursor += 1
        fake = np.tanh(_forward(noise, self.gw, self.gb)[0])
        logits, inputs = _forward(np.concatenate([real, fake]), self.dw, self.db)
        n = len(real)
        lr_, lf = logits[:n, 0], logits[n:, 0]
        grad = np.empty_like(logits)
        sr, sf = _sigmoid(lr_), _sigmoid(lf)
        inv = F32(1.0 / n)
        loss = None
        if log_loss:
            grad[:n, 0] = (sr - 1) * F32(REAL_LABEL_SMOOTHING / n)
            grad[n:, 0] = sf * inv
            if want_loss:
                loss = -(REAL_LABEL_SMOOTHING * float(_log_sigmoid(lr_).sum()) + float(_log_sigmoid(-lf).sum())) / n
        else:
            grad[:n, 0] = (sr - 1) * sr * (1 - sr) * (2 * inv)
            grad[n:, 0] = sf * sf * (1 - sf) * (2 * inv)
            if want_loss:
                loss = (float(((sr - 1) ** 2).sum()) + float((sf ** 2).sum())) / n
        self._update(self.d_opt, grad, self.dw, inputs)
        return loss

    def _g_update(self, size: int, log_loss: bool, want_loss: bool) -> float | None:
        tr = self.trainer
        noise = self._batch(self.noise, tr._noise_cursor, size)
        tr._noise_cursor += 1
        pre, g_inputs = _forward(noise, self.gw, self.gb)
        fake = np.tanh(pre)
        logits, d_inputs = _forward(fake, self.dw, self.db)
        lf = logits[:, 0]
        sf = _sigmoid(lf)
        n = len(lf)
        grad = np.empty_like(logits)
        loss = None
        if log_loss:
            grad[:, 0] = (sf - 1) * F32(1.0 / n)
            if want_loss:
                loss = -float(_log_sigmoid(lf).sum()) / n
        else:
            grad[:, 0] = (sf - 1) * sf * (1 - sf) * F32(2.0 / n)
            if want_loss:
                loss = float(((sf - 1) ** 2).sum()) / n
        _, d_fake = _backward(grad, self.dw, d_inputs, want_params=False)
        d_fake *= 1 - fake * fake
        self._update(self.g_opt, d_fake, self.gw, g_inputs)
        return loss

    @staticmethod
    def _update(opt: "_Optimizer", grad_out: np.ndarray, ws: list, inputs: list) -> None:
        """Backpropagate ``grad_out`` through a network and step its optimizer;
        for SGD the learning rate is folded into ``grad_out`` first."""
        scale = opt.sgd_scale
        if scale is not None:
            grad_out *= scale
        grads, _ = _backward(grad_out, ws, inputs)
        opt.step(grads, scaled=scale is not None)
