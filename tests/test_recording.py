"""engine/recording.py: the one loop that trains from code a moment at a time."""

import numpy as np
import pytest

from ganlab_panel import ExperimentConfig, Trainer
from ganlab_panel.engine.recording import chunks, train_in_moments


def config() -> ExperimentConfig:
    return ExperimentConfig(distribution="ring", seed=5, lr_half_life=30)


def test_chunks_split_the_iterations_evenly_with_a_shorter_last_one():
    assert chunks(120, 50) == [50, 50, 20]
    assert chunks(100, 50) == [50, 50]
    assert chunks(3, 0) == [1, 1, 1]   # at least one iteration a moment
    assert chunks(0, 50) == []
    with pytest.raises(ValueError, match="iterations"):
        chunks(-1, 50)


@pytest.mark.parametrize("every", [1, 7, 50, 1000])
def test_moments_train_what_one_call_trains_and_come_after_each_chunk(every):
    whole = Trainer(config())
    whole.train(120)
    seen = []
    trainer = Trainer(config())
    done = train_in_moments(trainer, 120, every, lambda t: seen.append(t.iteration))
    assert done == 120 and trainer.iteration == 120
    assert seen == list(np.cumsum(chunks(120, every)))   # after every chunk, the last one included
    np.testing.assert_array_equal(trainer.snapshot().fake, whole.snapshot().fake)
    assert trainer.snapshot().js == whole.snapshot().js


def test_a_moment_can_stop_the_training():
    trainer = Trainer(config())
    done = train_in_moments(trainer, 100, 10, lambda t: t.iteration >= 30)
    assert done == trainer.iteration == 30


def test_several_trainers_train_side_by_side():
    a, b = Trainer(config()), Trainer(config().copy(loss="least_squares"))
    seen = []
    done = train_in_moments([a, b], 25, 10, lambda pair: seen.append(tuple(t.iteration for t in pair)))
    assert done == 25 and seen == [(10, 10), (20, 20), (25, 25)]   # neither ever a chunk ahead
    alone = Trainer(config().copy(loss="least_squares"))
    alone.train(25)
    np.testing.assert_array_equal(b.snapshot().fake, alone.snapshot().fake)
