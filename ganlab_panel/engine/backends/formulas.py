"""The training formulas the paths share, each written once.

Plain NumPy-style functions on scalars or arrays, with no Numba import: the
PyTorch path calls the batch and schedule functions directly, and
``compiled.py`` wraps every function it uses in ``numba.njit`` so that the
kernel calls the compiled versions. Each function is a leaf (it calls no other
function here), as a jitted function can only call jitted ones. Where a
function must give float32 results its constants are float32, so that it
computes in float32 on float32 input in NumPy and in Numba alike.

What the PyTorch path computes its own way is listed in the package's
docstring (``backends/__init__.py``).
"""

from __future__ import annotations

import numpy as np


def batch_start(cursor, size, atlas_rows):
    """The first atlas row of batch number ``cursor``.

    Batches of ``size`` rows follow each other through the atlas: batch
    ``cursor`` takes rows ``start, start + 1, ...`` from here, wrapping from the
    last row (``atlas_rows - 1``) to row 0, so that batch c + 1 starts where
    batch c ended.
    """
    return (cursor * size) % atlas_rows


def batch_rows(cursor, size, atlas_rows):
    """The atlas rows batch number ``cursor`` takes, in order (see :func:`batch_start`)."""
    return ((cursor * size) % atlas_rows + np.arange(size)) % atlas_rows


def lr_factor(iteration, half_life, decay_start):
    """The learning rates' factor at ``iteration``: they halve every
    ``half_life`` iterations after ``decay_start`` (1 before it, and always
    when ``half_life`` is 0)."""
    if half_life > 0:
        return 0.5 ** (max(0.0, iteration - decay_start) / half_life)
    return 1.0


def learning_rates(config, iteration):
    """(D, G) learning rates a config's schedule puts in force at ``iteration``
    (Python, for the paths that schedule outside the kernel)."""
    factor = lr_factor(iteration, config.lr_half_life, config.lr_decay_start)
    return config.d_lr * factor, config.g_lr * factor


def loss_scales(log_loss, size, smoothing):
    """The float32 weights of a batch's output gradients: (D's real term,
    D's fake term, G's term). The log loss weights D's real term by the label
    smoothing; the mean over ``size`` samples gives 1/size (log) or, with the
    square's factor 2, 2/size (least squares)."""
    if log_loss:
        inverse = np.float32(1.0 / size)
        return np.float32(smoothing / size), inverse, inverse
    two = np.float32(2.0 / size)
    return two, two, two


def loss_gradient(s, toward_real, log_loss, scale):
    """d loss / d logit for one sample, from ``s`` = σ(logit) and its batch weight ``scale``.

    ``toward_real``: whether the term pulls D's output to 1 (D's real samples,
    and G's fakes) rather than to 0 (D's fakes). Log loss: −log σ(a) has
    gradient σ(a) − 1 and −log(1 − σ(a)) has σ(a). Least squares: (σ(a) − 1)²
    and σ(a)², whose gradients (without the factor 2, which is in ``scale``)
    are (σ − 1)·σ(1 − σ) and σ·σ(1 − σ).
    """
    one = np.float32(1.0)
    if log_loss:
        if toward_real:
            return (s - one) * scale
        return s * scale
    if toward_real:
        return (s - one) * s * (one - s) * scale
    return s * s * (one - s) * scale


def d_loss_value(real_logits, fake_logits, log_loss, smoothing):
    """D's loss as GAN Lab reports it, from its float32 logits on a batch of
    real and one of fake samples, summed in float64. Log loss: −(smoothing ·
    mean log σ(real) + mean log(1 − σ(fake))), with log σ(a) = −(max(−a, 0) +
    log1p(e^−|a|)) (finite for every finite a) and log(1 − σ(a)) = log σ(−a);
    least squares: mean (σ(real) − 1)² + mean σ(fake)²."""
    one, zero = np.float32(1.0), np.float32(0.0)
    if log_loss:
        log_real = -(np.maximum(-real_logits, zero) + np.log1p(np.exp(-np.abs(real_logits))))
        log_fake = -(np.maximum(fake_logits, zero) + np.log1p(np.exp(-np.abs(fake_logits))))
        return -(smoothing * np.sum(log_real.astype(np.float64)) / len(real_logits)
                 + np.sum(log_fake.astype(np.float64)) / len(fake_logits))
    s_real = (one / (one + np.exp(-real_logits))).astype(np.float64)
    s_fake = (one / (one + np.exp(-fake_logits))).astype(np.float64)
    return np.sum((s_real - 1.0) ** 2) / len(real_logits) + np.sum(s_fake ** 2) / len(fake_logits)


def g_loss_value(fake_logits, log_loss):
    """G's loss as GAN Lab reports it, from D's float32 logits on a batch of
    fakes, summed in float64: −mean log σ(fake) (non-saturating), or mean
    (σ(fake) − 1)² for least squares."""
    one, zero = np.float32(1.0), np.float32(0.0)
    if log_loss:
        log_fake = -(np.maximum(-fake_logits, zero) + np.log1p(np.exp(-np.abs(fake_logits))))
        return -np.sum(log_fake.astype(np.float64)) / len(fake_logits)
    s_fake = (one / (one + np.exp(-fake_logits))).astype(np.float64)
    return np.sum((s_fake - 1.0) ** 2) / len(fake_logits)


def adam_factors(lr, beta1, beta2, eps, t):
    """Adam's float32 factors at step ``t`` (counting from 1): (step size
    lr / (1 − β1^t), 1 − β1, β2, 1 − β2, √(1 − β2^t), ε), for :func:`adam_update`."""
    return (np.float32(lr / (1.0 - beta1 ** t)), np.float32(1.0 - beta1), np.float32(beta2),
            np.float32(1.0 - beta2), np.float32((1.0 - beta2 ** t) ** 0.5), np.float32(eps))


def adam_update(w, g, m, v, step_size, one_minus_beta1, beta2, one_minus_beta2, root_correction, eps):
    """One Adam step of weight ``w`` with gradient ``g``, first moment ``m`` and
    second ``v``, as torch.optim.Adam defines it: returns the new (w, m, v)."""
    m = m + (g - m) * one_minus_beta1
    v = v * beta2 + one_minus_beta2 * g * g
    w = w - step_size * (m / (np.sqrt(v) / root_correction + eps))
    return w, m, v


def sgd_update(w, g, rate):
    """One SGD step: the new weight."""
    return w - rate * g


def ema_update(average, w, beta):
    """One step of a moving average of weights: β · average + (1 − β) · w."""
    return average * beta + (np.float32(1.0) - beta) * w
