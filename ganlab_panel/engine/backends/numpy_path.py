"""The NumPy path: GAN Lab's training step written out in NumPy.

GAN Lab's networks are tiny (a few hundred weights, batches of 150), so on a CPU
PyTorch's per-operation overhead dominates: its eager loop spends more time
dispatching than multiplying. Here the same forward and backward passes are
written out by hand in NumPy, with the batches, learning-rate schedule, loss
gradients and values and SGD / Adam steps of :mod:`.formulas` (the kernel's
own), working *in place* on the training state's memory through
:class:`~.views.Views`. Switching between this path and the others is therefore
seamless: all read and write the same numbers, and checkpoints do not know
which one ran.

It trains while the compiled kernel compiles, and the models wider than the
kernel takes (see BENCHMARKS.md). It is the same training (same batches, same
formulas, float32), not bit for bit the same arithmetic: results agree with
the PyTorch path to float32 rounding over short runs (tests check it), as two
correct implementations do.
"""

from __future__ import annotations

import numpy as np

from ganlab_panel.engine.backends import formulas as f
from ganlab_panel.engine.losses import REAL_LABEL_SMOOTHING
from ganlab_panel.engine.models import backward as _backward
from ganlab_panel.engine.models import forward as _forward
from ganlab_panel.engine.models import sigmoid as _sigmoid

F32 = np.float32



def _step(opt, params: list, grads: list, scaled: bool) -> None:
    """One SGD or Adam step of ``params`` in place (``scaled``: SGD's rate is
    already in the gradients)."""
    if not opt.adam:
        rate = F32(1.0) if scaled else F32(opt.group["lr"])
        for p, g in zip(params, grads):
            p[...] = f.sgd_update(p, g, rate)
        return
    beta1, beta2 = opt.group["betas"]
    opt.count_steps(1)
    factors = f.adam_factors(opt.group["lr"], beta1, beta2, opt.group["eps"], opt.step_count)
    for p, g, m, v in zip(params, grads, opt.m, opt.v):
        p[...], m[...], v[...] = f.adam_update(p, g, m, v, *factors)


def _update(opt, params: list, grad_out: np.ndarray, ws: list, inputs: list, extra: list | None = None) -> None:
    """Backpropagate ``grad_out`` through a network and step its optimizer;
    for SGD the learning rate is folded into ``grad_out`` first (a column, not
    every parameter's gradient, is scaled). ``extra``: more gradients for the
    weights (one per layer), added before the step."""
    scaled = not opt.adam
    rate = F32(opt.group["lr"])
    if scaled:
        grad_out *= rate
    grads, _ = _backward(grad_out, ws, inputs)
    for k, more in enumerate(extra or ()):
        grads[2 * k] = grads[2 * k] + (more * rate if scaled else more)
    _step(opt, params, grads, scaled)


def _r1(ws: list, inputs: list, n: int, gamma: float) -> tuple[list, float]:
    """R1 on the first ``n`` rows (the real ones) of a forward pass: the
    gradients of (γ/2)·mean ‖∇ₓ logit‖² for every weight, and its value.

    Between ReLU kinks the masks are constant, so ∇ₓ logit is the backward
    pass of a 1 at the output, r_L = 1, r_(k-1) = (r_k Wₖᵀ) ⊙ m_(k-1),
    ∇ₓ = r₀ W₀ᵀ: linear in each weight. Its square's gradient is then
    G₀ = (γ/n)·∇ₓ, ∂/∂Wₖ = Gₖᵀ rₖ, G_(k+1) = (Gₖ Wₖ) ⊙ mₖ (no bias appears).
    """
    last = len(ws) - 1
    masks = [inputs[k][:n] > 0 for k in range(1, last + 1)]   # mₖ: where layer k's ReLU passes
    r = [None] * (last + 1)
    r[last] = np.ones((n, 1), dtype=F32)
    for k in range(last, 0, -1):
        r[k - 1] = (r[k] @ ws[k].T) * masks[k - 1]
    grad_x = r[0] @ ws[0].T
    value = F32(gamma / 2) * float((grad_x * grad_x).sum(axis=1).mean())
    g = grad_x * F32(gamma / n)
    out = []
    for k in range(last + 1):
        out.append(g.T @ r[k])
        if k < last:
            g = (g @ ws[k]) * masks[k]
    return out, value


def update_average(average: list, params: list, beta) -> None:
    """One step of a moving average of weights, in place: avg = β·avg + (1 − β)·w."""
    for avg, p in zip(average, params):
        avg[...] = f.ema_update(avg, p, beta)


def _batch(atlas: np.ndarray, cursor: int, size: int) -> np.ndarray:
    start = f.batch_start(cursor, size, len(atlas))
    if start + size <= len(atlas):
        return atlas[start:start + size]
    return atlas[f.batch_rows(cursor, size, len(atlas))]


def _d_update(views, state, size: int, log_loss: bool, want_loss: bool, r1_gamma: float = 0.0) -> float | None:
    noise = _batch(views.noise, state.noise_cursor, size)
    real = _batch(views.real, state.real_cursor, size)
    state.noise_cursor += 1
    state.real_cursor += 1
    fake = np.tanh(_forward(noise, views.gw, views.gb)[0])
    logits, inputs = _forward(np.concatenate([real, fake]), views.dw, views.db)
    n = len(real)
    real_scale, fake_scale, _ = f.loss_scales(log_loss, n, REAL_LABEL_SMOOTHING)
    grad = np.empty_like(logits)
    grad[:n, 0] = f.loss_gradient(_sigmoid(logits[:n, 0]), True, log_loss, real_scale)
    grad[n:, 0] = f.loss_gradient(_sigmoid(logits[n:, 0]), False, log_loss, fake_scale)
    loss = (f.d_loss_value(logits[:n, 0], logits[n:, 0], log_loss, REAL_LABEL_SMOOTHING)
            if want_loss else None)
    r1 = None
    if r1_gamma > 0:
        r1, penalty = _r1(views.dw, inputs, n, r1_gamma)
        loss = loss + penalty if loss is not None else None
    _update(views.d_opt, views.d_params, grad, views.dw, inputs, r1)
    return loss


def _g_update(views, state, size: int, log_loss: bool, want_loss: bool) -> float | None:
    noise = _batch(views.noise, state.noise_cursor, size)
    state.noise_cursor += 1
    pre, g_inputs = _forward(noise, views.gw, views.gb)
    fake = np.tanh(pre)
    logits, d_inputs = _forward(fake, views.dw, views.db)
    _, _, scale = f.loss_scales(log_loss, size, REAL_LABEL_SMOOTHING)
    grad = np.empty_like(logits)
    grad[:, 0] = f.loss_gradient(_sigmoid(logits[:, 0]), True, log_loss, scale)
    loss = f.g_loss_value(logits[:, 0], log_loss) if want_loss else None
    _, d_fake = _backward(grad, views.dw, d_inputs, want_params=False)
    d_fake *= 1 - fake * fake
    _update(views.g_opt, views.g_params, d_fake, views.gw, g_inputs)
    return loss


def run(views, state, config, iterations: int, k_d: int, k_g: int, count_iterations: bool = True) -> None:
    """``iterations`` times: ``k_d`` D updates then ``k_g`` G updates on the
    state bound to ``views``. Settings are read once per call."""
    size, log_loss, r1_gamma = config.batch_size, config.loss == "log", float(config.r1_gamma)
    beta = F32(config.g_ema)
    d_loss = g_loss = None
    # a diverging run overflows: the trainer reports that through its Frame
    # (``finite``), so NumPy's floating-point warnings would only be noise
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for it in range(iterations):
            last = it == iterations - 1
            if config.lr_half_life:
                views.d_opt.group["lr"], views.g_opt.group["lr"] = f.learning_rates(config, state.iteration)
            for j in range(k_d):
                d_loss = _d_update(views, state, size, log_loss, last and j == k_d - 1, r1_gamma)
            for j in range(k_g):
                g_loss = _g_update(views, state, size, log_loss, want_loss=last and j == k_g - 1)
                if views.g_average is not None:   # the moving average of G's weights
                    update_average(views.g_average, views.g_params, beta)
            if count_iterations:
                state.iteration += 1
    state.d_steps += iterations * k_d
    state.g_steps += iterations * k_g
    if d_loss is not None:
        state.last_d_loss = float(d_loss)
    if g_loss is not None:
        state.last_g_loss = float(g_loss)
