"""Training from code, a moment at a time.

The lab's ``train``, the comparison's ``train`` and ``ganlab train`` all train
a number of iterations and look at the run every so often: the lab records a
moment for its timeline, the comparison charts both runs, the command line
moves its progress bar and keeps the metrics. ``train_in_moments`` is that one
loop; what each does with a moment is its ``on_moment``.

    >>> train_in_moments(trainer, 1000, every=50, on_moment=lambda t: history.append(t.snapshot()))

Training in chunks trains exactly what ``Trainer(cfg).train(n)`` does: the
trainer's result does not depend on how its iterations are split.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from ganlab_panel.engine.trainer import Trainer

Trained = TypeVar("Trained", Trainer, Sequence[Trainer])


def chunks(iterations: int, every: int) -> list[int]:
    """How ``iterations`` are split: runs of ``every``, the last one shorter
    if they do not divide evenly (none for 0 iterations)."""
    if iterations < 0:
        raise ValueError(f"iterations must be >= 0, not {iterations}")
    every = max(1, int(every))
    full, rest = divmod(int(iterations), every)
    return [every] * full + ([rest] if rest else [])


def train_in_moments(trainer: Trained, iterations: int, every: int,
                     on_moment: Callable[[Trained], bool | None] | None = None) -> int:
    """Train ``iterations`` iterations in chunks of ``every``, calling
    ``on_moment(trainer)`` after each chunk, the last (perhaps shorter) one
    included. ``on_moment`` returning True stops the training there (a
    diverged run, say).

    ``trainer`` may also be a sequence of trainers trained side by side: each
    chunk trains every one of them, in turn, before the moment, so none is
    ever more than a chunk ahead of the others.

    Returns the iterations trained (each trainer's own, for several).
    """
    trainers = (trainer,) if isinstance(trainer, Trainer) else tuple(trainer)
    done = 0
    for n in chunks(iterations, every):
        for one in trainers:
            one.train(n)
        done += n
        if on_moment is not None and on_moment(trainer):
            break
    return done


__all__ = ["chunks", "train_in_moments"]
