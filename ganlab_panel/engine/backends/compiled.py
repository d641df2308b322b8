"""The compiled CPU path: GAN Lab's whole training loop as one Numba kernel.

GAN Lab's default networks have a few dozen weights and batches of 150, so even
the NumPy fast path spends most of an iteration dispatching small array
operations. Here the same iterations (k_D discriminator updates, then k_G
generator updates, with the same batches, formulas, learning-rate schedule,
SGD / Adam updates, R1 penalty and moving average of G) run as plain loops
compiled by Numba, in place on the trainer's own parameter and optimizer-state
memory, without the GIL.

The module is over 400 lines because the kernel is one piece: every function
it calls must be compiled with it, and its loops (forward, backward, R1, the
optimizer step) read one another's buffers, laid out a column per sample.

The batches, learning-rate schedule, loss gradients and values, and the
SGD, Adam and moving-average steps are :mod:`.formulas`' functions, compiled
here with ``numba.njit`` (a compiled function calls only compiled ones); the
layer loops and activations are this module's own. Which settings the kernel
takes is its row of the support table (``support.py``).

Compilation takes seconds the first time and is cached on disk afterwards
(``cache=True``). :func:`warm_up` compiles in a background thread;
:func:`ready` says whether it is done; :func:`train` runs the kernel on a
training state.
"""

from __future__ import annotations

import threading

import numba
import numpy as np
from numba.typed import List

from ganlab_panel.engine.backends import formulas
from ganlab_panel.engine.backends.support import MAX_BATCH, MAX_NEURONS  # noqa: F401  (the kernel's limits)
from ganlab_panel.engine.losses import REAL_LABEL_SMOOTHING

_compiled = threading.Event()
_failed: list[BaseException] = []
_start_lock = threading.Lock()
_thread: threading.Thread | None = None
_usable = False

#: reassociation lets sums over a batch use SIMD lanes (float32 rounding
#: differs, as between any two correct implementations); no other fast-math
#: flags, so NaN and infinity behave as in NumPy and divergence is seen.
jit = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "contract", "nsz"})

batch_start = jit(formulas.batch_start)
lr_factor = jit(formulas.lr_factor)
loss_scales = jit(formulas.loss_scales)
loss_gradient = jit(formulas.loss_gradient)
d_loss_value = jit(formulas.d_loss_value)
g_loss_value = jit(formulas.g_loss_value)
adam_factors = jit(formulas.adam_factors)
adam_update = jit(formulas.adam_update)
sgd_update = jit(formulas.sgd_update)
ema_update = jit(formulas.ema_update)


@jit
def sigmoid(a):
    """1 / (1 + e^-a): 0 or 1 where e^-a overflows, never NaN."""
    return np.float32(1.0) / (np.float32(1.0) + np.exp(-a))


@jit
def tanh(a):
    """1 − 2 / (e^2a + 1): exact at ±∞, within float32 rounding elsewhere, and
    several times faster than the C library's tanhf."""
    return np.float32(1.0) - np.float32(2.0) / (np.exp(np.float32(2.0) * a) + np.float32(1.0))


@jit
def combine(row, coefs, rows, n):
    """row[:n] += Σ_k coefs[k] · rows[k, :n], four source rows per pass so
    that row is loaded and stored a quarter as often."""
    m = len(coefs)
    k = 0
    while k + 4 <= m:
        c0, c1, c2, c3 = coefs[k], coefs[k + 1], coefs[k + 2], coefs[k + 3]
        r0, r1, r2, r3 = rows[k], rows[k + 1], rows[k + 2], rows[k + 3]
        for i in range(n):
            row[i] += c0 * r0[i] + c1 * r1[i] + c2 * r2[i] + c3 * r3[i]
        k += 4
    while k + 2 <= m:
        c0, c1 = coefs[k], coefs[k + 1]
        r0, r1 = rows[k], rows[k + 1]
        for i in range(n):
            row[i] += c0 * r0[i] + c1 * r1[i]
        k += 2
    if k < m:
        c0 = coefs[k]
        r0 = rows[k]
        for i in range(n):
            row[i] += c0 * r0[i]


@jit
def forward(ws, bs, acts, n):
    """acts[0][:, :n] holds the input, one column per sample; fills acts[l + 1]
    with layer l's output (ReLU between layers, none after the last)."""
    last = len(ws) - 1
    for layer in range(len(ws)):
        w, b, h, out = ws[layer], bs[layer], acts[layer], acts[layer + 1]
        n_in, n_out = w.shape
        for o in range(n_out):
            row = out[o]
            bias = b[o]
            for i in range(n):
                row[i] = bias
            combine(row, w[:, o], h, n)
            if layer < last:
                for i in range(n):
                    if row[i] < 0.0:
                        row[i] = 0.0


@jit
def backward(ws, acts, grads, gws, gbs, n, want_params):
    """From grads[L][:, :n] (d loss / d output) back to grads[0] (d loss / d
    input), with the weight and bias gradients in gws, gbs if wanted."""
    for layer in range(len(ws) - 1, -1, -1):
        w, h, g, g_in = ws[layer], acts[layer], grads[layer + 1], grads[layer]
        n_in, n_out = w.shape
        if want_params:
            gw, gb = gws[layer], gbs[layer]
            for o in range(n_out):
                go = g[o]
                total = np.float32(0.0)
                for i in range(n):
                    total += go[i]
                gb[o] = total
                for k in range(n_in):
                    hk = h[k]
                    total = np.float32(0.0)
                    for i in range(n):
                        total += hk[i] * go[i]
                    gw[k, o] = total
            if layer == 0:
                break
        for k in range(n_in):
            row = g_in[k]
            for i in range(n):
                row[i] = 0.0
            combine(row, w[k], g, n)
            if layer > 0:  # ReLU: this layer's input is the previous layer's output
                hk = h[k]
                for i in range(n):
                    if hk[i] <= 0.0:
                        row[i] = 0.0


@jit
def step(ws, bs, gws, gbs, mws, mbs, vws, vbs, adam, lr, beta1, beta2, eps, t):
    """One optimizer step (SGD, or Adam at step count t) on every layer."""
    rate = np.float32(lr)
    step_size, one_b1, b2, one_b2, c2, e = adam_factors(lr, beta1, beta2, eps, t)
    for layer in range(len(ws)):
        w, gw, b, gb = ws[layer], gws[layer], bs[layer], gbs[layer]
        if adam:
            mw, vw, mb, vb = mws[layer], vws[layer], mbs[layer], vbs[layer]
            for k in range(w.shape[0]):
                for o in range(w.shape[1]):
                    w[k, o], mw[k, o], vw[k, o] = adam_update(w[k, o], gw[k, o], mw[k, o], vw[k, o],
                                                              step_size, one_b1, b2, one_b2, c2, e)
            for o in range(b.shape[0]):
                b[o], mb[o], vb[o] = adam_update(b[o], gb[o], mb[o], vb[o], step_size, one_b1, b2, one_b2, c2, e)
        else:
            for k in range(w.shape[0]):
                for o in range(w.shape[1]):
                    w[k, o] = sgd_update(w[k, o], gw[k, o], rate)
            for o in range(b.shape[0]):
                b[o] = sgd_update(b[o], gb[o], rate)


@jit
def r1(ws, acts, outs, ins, gws, n, gamma):
    """R1 on the first ``n`` columns (the real samples) of D's last forward
    pass: adds the gradient of (γ/2)·mean ‖∇ₓ logit‖² to every weight's in
    ``gws`` and returns its value (``numpy_path._r1``, by hand, column-wise).

    Between ReLU kinks ∇ₓ logit is the backward pass of a 1 at the output:
    r_L = 1, r_(k-1) = (W_k r_k) ⊙ m_(k-1), ∇ₓ = W_0 r_0. Its square's
    gradient is then G_0 = (γ/n)·∇ₓ, ∂/∂W_k = G_k r_kᵀ, G_(k+1) = (W_kᵀ G_k) ⊙ m_k,
    where m_k marks where layer k's ReLU passed (its output, ``acts[k + 1]``, > 0).
    r_k is kept in ``outs[k + 1]``, G_k in ``ins[k]`` (buffers shaped as ``acts``)."""
    last = len(ws) - 1
    top = outs[last + 1]
    for i in range(n):
        top[0, i] = 1.0
    for k in range(last, 0, -1):
        w, below, mask = ws[k], outs[k], acts[k]
        for o in range(w.shape[0]):
            row = below[o]
            for i in range(n):
                row[i] = 0.0
            combine(row, w[o], outs[k + 1], n)
            mrow = mask[o]
            for i in range(n):
                if mrow[i] <= 0.0:
                    row[i] = 0.0
    g = ins[0]
    for j in range(ws[0].shape[0]):   # ∇ₓ, one row per input coordinate
        row = g[j]
        for i in range(n):
            row[i] = 0.0
        combine(row, ws[0][j], outs[1], n)
    total = np.float32(0.0)
    for j in range(ws[0].shape[0]):
        for i in range(n):
            total += g[j, i] * g[j, i]
    value = np.float32(gamma / 2) * total / np.float32(n)
    scale = np.float32(gamma / n)
    for j in range(ws[0].shape[0]):
        for i in range(n):
            g[j, i] *= scale
    for k in range(last + 1):
        w, g, r, gw = ws[k], ins[k], outs[k + 1], gws[k]
        for a in range(w.shape[0]):
            ga = g[a]
            for b in range(w.shape[1]):
                rb = r[b]
                total = np.float32(0.0)
                for i in range(n):
                    total += ga[i] * rb[i]
                gw[a, b] += total
        if k < last:
            above, mask = ins[k + 1], acts[k + 1]
            for b in range(w.shape[1]):
                row = above[b]
                for i in range(n):
                    row[i] = 0.0
                combine(row, w[:, b], g, n)
                mrow = mask[b]
                for i in range(n):
                    if mrow[i] <= 0.0:
                        row[i] = 0.0
    return value


@jit
def load_batch(dst, atlas, cursor, size, offset):
    """Batch ``cursor`` of ``atlas`` (see formulas.batch_start) into columns offset.. of dst."""
    n = atlas.shape[0]
    row = batch_start(cursor, size, n)
    for i in range(size):
        for j in range(atlas.shape[1]):
            dst[j, offset + i] = atlas[row, j]
        row += 1
        if row == n:
            row = 0


@jit
def buffers(ws, rows, width_in):
    acts = List()
    grads = List()
    acts.append(np.zeros((width_in, rows), np.float32))
    grads.append(np.zeros((width_in, rows), np.float32))
    for w in ws:
        acts.append(np.zeros((w.shape[1], rows), np.float32))
        grads.append(np.zeros((w.shape[1], rows), np.float32))
    gws = List()
    gbs = List()
    for w in ws:
        gws.append(np.zeros(w.shape, np.float32))
        gbs.append(np.zeros(w.shape[1], np.float32))
    return acts, grads, gws, gbs

@jit
def run(iterations, k_d, k_g, size, log_loss, smoothing,
        gw, gb, dw, db, d_state, g_state, d_adam, g_adam, d_lr, g_lr, betas, eps,
        schedule, iteration, count_iterations, t_d, t_g, noise, real, cursors,
        r1_gamma, average_w, average_b, beta):
    """``iterations`` × (k_d D updates, then k_g G updates). ``schedule`` is
    (half-life, decay start) or half-life 0 for constant rates; ``cursors``
    holds the noise and real batch cursors and is advanced in place. With
    ``r1_gamma`` > 0 each D update adds R1; with ``beta`` > 0 each G update is
    followed by a step of the moving average whose weights and biases are
    ``average_w`` and ``average_b``. Returns (last D loss, last G loss,
    learning rates last used), NaN where no update ran."""
    noise_dim = noise.shape[1]
    ga, gg, ggw, ggb = buffers(gw, 2 * size, noise_dim)
    da, dg, dgw, dgb = buffers(dw, 2 * size, 2)
    # R1's two backward passes (a column each when there is no R1)
    r1_outs, r1_ins, _, _ = buffers(dw, size if r1_gamma > 0.0 else 1, 2)
    beta32 = np.float32(beta)
    half_life, start = schedule[0], schedule[1]
    d_loss = g_loss = np.nan
    lr_d, lr_g = d_lr, g_lr
    last_d, last_g = len(dw), len(gw)
    real_scale, fake_scale, g_scale = loss_scales(log_loss, size, smoothing)
    one = np.float32(1.0)
    g_in, d_in = ga[0], da[0]              # the networks' inputs, a column per sample
    g_out, d_out = ga[last_g], da[last_d]  # their pre-activation outputs
    d_grad, d_grad_in = dg[last_d], dg[0]  # d loss / d D's output, and / d D's input
    g_grad = gg[last_g]                    # d loss / d G's pre-activation output
    for it in range(iterations):
        if half_life > 0.0:
            factor = lr_factor(iteration, half_life, start)
            lr_d, lr_g = d_lr * factor, g_lr * factor
        last_iteration = it == iterations - 1
        # ----- discriminator updates: real samples in columns :size, fake ones after
        for j in range(k_d):
            load_batch(g_in, noise, cursors[0], size, 0)
            load_batch(d_in, real, cursors[1], size, 0)
            cursors[0] += 1
            cursors[1] += 1
            forward(gw, gb, ga, size)
            for c in range(2):
                for i in range(size):
                    d_in[c, size + i] = tanh(g_out[c, i])
            forward(dw, db, da, 2 * size)
            for i in range(size):
                d_grad[0, i] = loss_gradient(sigmoid(d_out[0, i]), True, log_loss, real_scale)
            for i in range(size, 2 * size):
                d_grad[0, i] = loss_gradient(sigmoid(d_out[0, i]), False, log_loss, fake_scale)
            backward(dw, da, dg, dgw, dgb, 2 * size, True)
            penalty = r1(dw, da, r1_outs, r1_ins, dgw, size, r1_gamma) if r1_gamma > 0.0 else np.float32(0.0)
            if last_iteration and j == k_d - 1:
                d_loss = d_loss_value(d_out[0, :size], d_out[0, size:2 * size], log_loss, smoothing) + penalty
            t_d += 1.0
            step(dw, db, dgw, dgb, d_state[0], d_state[1], d_state[2], d_state[3],
                 d_adam, lr_d, betas[0], betas[1], eps, t_d)
        # ----- generator updates
        for j in range(k_g):
            load_batch(g_in, noise, cursors[0], size, 0)
            cursors[0] += 1
            forward(gw, gb, ga, size)
            for c in range(2):
                for i in range(size):
                    d_in[c, i] = tanh(g_out[c, i])
            forward(dw, db, da, size)
            for i in range(size):
                d_grad[0, i] = loss_gradient(sigmoid(d_out[0, i]), True, log_loss, g_scale)
            if last_iteration and j == k_g - 1:
                g_loss = g_loss_value(d_out[0, :size], log_loss)
            backward(dw, da, dg, dgw, dgb, size, False)
            for c in range(2):
                for i in range(size):
                    f = d_in[c, i]
                    g_grad[c, i] = d_grad_in[c, i] * (one - f * f)  # through G's tanh
            backward(gw, ga, gg, ggw, ggb, size, True)
            t_g += 1.0
            step(gw, gb, ggw, ggb, g_state[0], g_state[1], g_state[2], g_state[3],
                 g_adam, lr_g, betas[2], betas[3], eps, t_g)
            if beta > 0.0:   # the moving average of G's weights
                for layer in range(len(gw)):
                    w, b, aw, ab = gw[layer], gb[layer], average_w[layer], average_b[layer]
                    for k in range(w.shape[0]):
                        for o in range(w.shape[1]):
                            aw[k, o] = ema_update(aw[k, o], w[k, o], beta32)
                    for o in range(b.shape[0]):
                        ab[o] = ema_update(ab[o], b[o], beta32)
        if count_iterations:
            iteration += 1
    return d_loss, g_loss, lr_d, lr_g


def train(views, state, config, iterations: int, k_d: int, k_g: int, count_iterations: bool = True) -> None:
    """Run the kernel on the training state bound to ``views`` (see :func:`run`),
    then bring the state's counters, cursors, losses and the optimizers' rates
    and step counts up to date."""
    if views.derived is None:   # typed lists of the views, kept until they are rebound
        def moments(opt, ws, bs):
            if not opt.adam:  # SGD keeps no state: the weights stand in, untouched
                return ws, bs, ws, bs
            return as_list(opt.m[0::2]), as_list(opt.m[1::2]), as_list(opt.v[0::2]), as_list(opt.v[1::2])

        gw, gb, dw, db = as_list(views.gw), as_list(views.gb), as_list(views.dw), as_list(views.db)
        average = ((as_list(views.g_average[0::2]), as_list(views.g_average[1::2]))
                   if views.g_average is not None else (gw, gb))   # none: G's own stand in, untouched
        views.derived = (gw, gb, dw, db, moments(views.d_opt, dw, db), moments(views.g_opt, gw, gb), average)
    gw, gb, dw, db, d_moments, g_moments, (average_w, average_b) = views.derived
    d_opt, g_opt = views.d_opt, views.g_opt
    betas = np.array([*d_opt.group.get("betas", (0.9, 0.999)), *g_opt.group.get("betas", (0.9, 0.999))])
    eps = float(d_opt.group.get("eps", g_opt.group.get("eps", 1e-7)))
    base_d, base_g = config.d_lr, config.g_lr
    if config.lr_half_life:
        schedule = np.array([float(config.lr_half_life), float(config.lr_decay_start)])
    else:  # constant: the rates the optimizers hold
        schedule = np.zeros(2)
        base_d, base_g = d_opt.group["lr"], g_opt.group["lr"]
    cursors = np.array([state.noise_cursor, state.real_cursor], dtype=np.int64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        d_loss, g_loss, lr_d, lr_g = run(
            int(iterations), int(k_d), int(k_g), int(config.batch_size), config.loss == "log",
            float(REAL_LABEL_SMOOTHING), gw, gb, dw, db, d_moments, g_moments, d_opt.adam, g_opt.adam,
            float(base_d), float(base_g), betas, float(eps), schedule, int(state.iteration),
            bool(count_iterations), d_opt.step_count, g_opt.step_count, views.noise, views.real, cursors,
            float(config.r1_gamma), average_w, average_b, float(config.g_ema) if views.g_average is not None else 0.0)
    state.noise_cursor, state.real_cursor = int(cursors[0]), int(cursors[1])
    for opt, n in ((d_opt, iterations * k_d), (g_opt, iterations * k_g)):
        if opt.adam:
            opt.count_steps(n)
    if config.lr_half_life and iterations:
        d_opt.group["lr"], g_opt.group["lr"] = lr_d, lr_g
    if count_iterations:
        state.iteration += iterations
    state.d_steps += iterations * k_d
    state.g_steps += iterations * k_g
    if iterations and k_d:
        state.last_d_loss = float(d_loss)
    if iterations and k_g:
        state.last_g_loss = float(g_loss)


def _compile() -> None:
    global _usable
    try:
        _call_tiny()  # compiles, or loads the compiled code from Numba's cache
        _usable = True
    except Exception as exc:  # it cannot compile here: the NumPy path stays
        _failed.append(exc)
    finally:
        _compiled.set()


def _call_tiny() -> None:
    rng = np.random.default_rng(0)

    def net(sizes):
        ws = as_list([rng.normal(size=(a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])])
        bs = as_list([np.zeros(b, np.float32) for b in sizes[1:]])
        return ws, bs

    gw, gb = net([2, 3, 2])
    dw, db = net([2, 3, 1])
    atlas = rng.random((8, 2)).astype(np.float32)
    for adam, log_loss in ((True, True), (False, False)):
        run(1, 1, 1, 4, log_loss, 0.95, gw, gb, dw, db, (dw, db, dw, db), (gw, gb, gw, gb), adam, adam, 0.1, 0.1,
            np.array([0.9, 0.999, 0.9, 0.999]), 1e-7, np.array([0.0, 0.0]), 0, True, 0.0, 0.0,
            atlas, atlas, np.zeros(2, np.int64), 1.0 if adam else 0.0, gw, gb, 0.5 if adam else 0.0)


def as_list(arrays):
    """A Numba typed list holding (not copying) the given arrays."""
    out = List()
    for a in arrays:
        out.append(a)
    return out


def warm_up(wait: bool = False) -> None:
    """Compile the kernel (or load it from Numba's cache) in a background
    thread, once per process; ``wait`` blocks until it is done."""
    global _thread
    with _start_lock:
        if _thread is None:
            _thread = threading.Thread(target=_compile, name="ganlab-compile", daemon=True)
            _thread.start()
    if wait:
        _compiled.wait()
        _thread.join()   # gone, not just done (a server may fork next)


def ready() -> bool:
    """Whether the compiled kernel can run now (compiled, and it compiled)."""
    return _compiled.is_set() and _usable


def failure() -> BaseException | None:
    """Why the kernel could not be compiled, if it could not."""
    return _failed[0] if _failed else None
