"""The record of a run: rewinding restores exactly, resuming continues exactly, memory stays bounded."""

import dataclasses

import numpy as np
import pytest

from ganlab_panel import ExperimentConfig, Trainer
from ganlab_panel.engine.backends import compiled as kernels
from ganlab_panel.live.history import History

ADAM = dict(distribution="ring", seed=4, d_optimizer="adam", g_optimizer="adam", d_lr=0.01, g_lr=0.01,
            lr_half_life=300, lr_decay_start=200)


@pytest.fixture(autouse=True, scope="module")
def compiled_kernel():
    kernels.warm_up(wait=True)  # every run here on one path, so runs compare bit for bit


def params(tr):
    return [p.copy() for p in tr.state.g_params + tr.state.d_params]


def train_recording(tr, history, iterations, every=50):
    for _ in range(iterations // every):
        tr.train(every)
        with tr.lock:
            history.record(tr, tr.snapshot(), force=True)


def same_frame(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        elif isinstance(x, float) and np.isnan(x):
            assert np.isnan(y), f.name
        else:
            assert x == y, f.name


def test_rewinding_restores_the_recorded_weights_and_frame_exactly():
    tr, history = Trainer(**ADAM), History()
    train_recording(tr, history, 1000)
    moment = history[7]
    assert moment.iteration == 400
    history.restore(tr, 7)
    assert tr.iteration == 400 and history.rewound and history.position == 7
    restored = tr.training_state()
    for key in ("generator", "discriminator"):
        for a, b in zip(restored[key], moment.state[key]):
            assert np.array_equal(a, b)
    assert np.array_equal(restored["d_optimizer"]["state"][0]["exp_avg"],
                          moment.state["d_optimizer"]["state"][0]["exp_avg"])
    same_frame(tr.snapshot(), moment.frame)
    # scrubbing forward again reaches the newest moment, unchanged
    history.restore(tr, -1)
    assert not history.rewound and tr.iteration == 1000
    same_frame(tr.snapshot(), history[-1].frame)


@pytest.mark.parametrize("extra", [{}, {"g_ema": 0.99, "fast": False}], ids=["compiled", "average-of-G"])
def test_resuming_from_a_moment_continues_as_if_the_run_had_never_gone_further(extra):
    extra = dict(extra)
    options = {"fast": extra.pop("fast")} if "fast" in extra else {}
    settings = {**ADAM, **extra}
    rewound, history = Trainer(**settings, **options), History()
    train_recording(rewound, history, 600)
    rewound.config.d_lr = 0.05            # a setting changed after the moment rewound to...
    train_recording(rewound, history, 400)
    history.restore(rewound, history.index_of(500))
    assert rewound.config.d_lr == 0.01    # ...is back as it was then
    history.truncate()
    assert history.iterations[-1] == 500 and not history.rewound
    rewound.train(700)

    straight = Trainer(**settings, **options)
    straight.train(1200)
    assert rewound.path == straight.path == ("torch" if options else "compiled")
    for a, b in zip(params(rewound), params(straight)):
        np.testing.assert_array_equal(a, b)
    assert rewound.learning_rates() == straight.learning_rates()
    np.testing.assert_array_equal(rewound.sample(100), straight.sample(100))  # the random streams too
    if rewound.state.g_average is not None:
        for a, b in zip(rewound.state.g_average.ordered_parameters(), straight.state.g_average.ordered_parameters()):
            assert np.array_equal(a, b)


def test_the_record_stays_within_its_bounds_and_spans_the_whole_run_evenly():
    tr = Trainer(distribution="gaussians", seed=0)
    history = History(max_moments=40)
    for _ in range(1000):                  # 20,000 iterations, a frame every 20
        tr.train(20)
        with tr.lock:
            history.record(tr, tr.snapshot(divergences=False))
    its = np.array(history.iterations)
    assert 20 <= len(history) <= 40
    assert its[0] == 20 and its[-1] > 20_000 - history.stride
    gaps = np.diff(its)
    assert len(set(gaps)) == 1 and gaps[0] == history.stride >= 20_000 / 40
    with tr.lock:                          # pausing keeps where training stands, due or not
        history.record(tr, tr.snapshot(), force=True)
    assert history.iterations[-1] == 20_000 and len(history) <= 40
    one = history[-1].nbytes
    assert history.nbytes <= 40 * one      # frames share their fixed arrays: each moment ~ the same size
    assert one < 60_000                    # a GAN Lab model's moment: tens of kB


def test_the_byte_bound_holds_for_a_large_model():
    tr = Trainer(distribution="ring", seed=0, d_layers=5, g_layers=5, d_neurons=100, g_neurons=100,
                 d_optimizer="adam", g_optimizer="adam", d_lr=0.001, g_lr=0.001, batch_size=64)
    history = History(max_bytes=8 * 2**20)
    for _ in range(40):
        tr.train(1)
        with tr.lock:
            history.record(tr, tr.snapshot(divergences=False))
    assert history.nbytes <= 8 * 2**20
    assert 2 <= len(history) < 40 and history.stride > 1
    assert history[-1].nbytes > 500_000    # Adam's moments of ~50,000 weights, and the weights


def test_nothing_is_recorded_while_rewound_and_a_reset_starts_the_record_over():
    tr, history = Trainer(seed=0), History()
    train_recording(tr, history, 300)
    history.restore(tr, 2)
    with tr.lock:
        assert not history.record(tr, tr.snapshot(), force=True)
    assert len(history) == 6
    history.restore(tr, -1)
    tr.reset()
    with tr.lock:
        assert history.record(tr, tr.snapshot())
    assert history.iterations == [0]


def test_a_structural_setting_of_the_past_is_not_a_hot_one():
    tr, history = Trainer(seed=0), History()
    train_recording(tr, history, 100)
    assert set(history[0].settings) == set(ExperimentConfig.hot_params())
