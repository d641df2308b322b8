"""The PyTorch path: autograd gradients and torch.optim's updates.

It trains every setting on every device (its row of the support table names
every field), and is what runs wherever the faster paths do not apply. It
works on a :class:`~ganlab_panel.engine.state.TrainingState` and the config.
"""

from __future__ import annotations

import torch

from ganlab_panel.engine.backends.formulas import batch_rows, batch_start, lr_factor
from ganlab_panel.engine.losses import get_loss, gradient_penalty, r1_penalty


def take_batch(atlas: torch.Tensor, cursor: int, size: int) -> torch.Tensor:
    """Batch number ``cursor`` of ``atlas``: the rows :func:`~.formulas.batch_rows`
    names (a view where they do not wrap past the last row)."""
    rows = len(atlas)
    start = batch_start(cursor, size, rows)
    if start + size <= rows:
        return atlas[start:start + size]
    return atlas[torch.as_tensor(batch_rows(cursor, size, rows), device=atlas.device)]


def learning_rates(config, iteration: int) -> tuple[float, float]:
    """(D, G) learning rates in force at ``iteration`` (see :func:`~.formulas.lr_factor`)."""
    factor = lr_factor(iteration, config.lr_half_life, config.lr_decay_start)
    return config.d_lr * factor, config.g_lr * factor


def schedule_learning_rates(state, config) -> None:
    """Set the optimizers' rates for the state's current iteration."""
    for opt, lr in zip((state.d_optimizer, state.g_optimizer), learning_rates(config, state.iteration)):
        for group in opt.param_groups:
            group["lr"] = lr


def d_update(state, config) -> None:
    """One discriminator update on the next real and noise batches."""
    noise = take_batch(state.noise_atlas, state.noise_cursor, config.batch_size)
    real = take_batch(state.real_atlas, state.real_cursor, config.batch_size)
    state.noise_cursor += 1
    state.real_cursor += 1
    with torch.no_grad():
        fake = state.generator(noise)
    D = state.discriminator
    if D.spectral_norm:
        D.power_iteration()
    real, fake = D.pack(real), D.pack(fake)   # (PacGAN) packs of samples; unchanged without packing
    loss = get_loss(config.loss).d_loss(D.packed_logits(real), D.packed_logits(fake))
    if config.loss == "wgan_gp" and config.gp_weight > 0:
        mix = torch.as_tensor(state.penalty_rng.random(len(real)), dtype=real.dtype, device=real.device)
        loss = loss + config.gp_weight * gradient_penalty(D.packed_logits, real, fake, mix)
    if config.r1_gamma > 0:
        loss = loss + config.r1_gamma / 2 * r1_penalty(D.packed_logits, real)
    grads = torch.autograd.grad(loss, state.d_params)
    for p, g in zip(state.d_params, grads):
        p.grad = g
    state.d_optimizer.step()
    state.last_d_loss = loss.detach()
    state.d_steps += 1


def update_g_average(state, beta: float) -> None:
    """One step of the moving average: avg = β·avg + (1 − β)·G (after a G update)."""
    if state.g_average is None:
        return
    with torch.no_grad():
        for avg, p in zip(state.g_average.ordered_parameters(), state.g_params):
            avg.mul_(beta).add_(p.detach(), alpha=1.0 - beta)


def g_update(state, config) -> None:
    """One generator update on the next noise batch."""
    noise = take_batch(state.noise_atlas, state.noise_cursor, config.batch_size)
    state.noise_cursor += 1
    D = state.discriminator
    fake_logits = D.packed_logits(D.pack(state.generator(noise)))
    loss = get_loss(config.loss).g_loss(fake_logits)
    grads = torch.autograd.grad(loss, state.g_params)
    for p, g in zip(state.g_params, grads):
        p.grad = g
    state.g_optimizer.step()
    update_g_average(state, float(config.g_ema))
    state.last_g_loss = loss.detach()
    state.g_steps += 1


def run(state, config, iterations: int, d_updates: int, g_updates: int, count_iterations: bool = True) -> None:
    """``iterations`` times: the learning rates for the iteration, ``d_updates``
    D updates, ``g_updates`` G updates, and (if counted) the next iteration."""
    for _ in range(iterations):
        if config.lr_half_life:
            schedule_learning_rates(state, config)
        for _ in range(d_updates):
            d_update(state, config)
        for _ in range(g_updates):
            g_update(state, config)
        if count_iterations:
            state.iteration += 1
