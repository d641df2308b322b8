"""The optimizers keep torch.optim's settings and state layout in NumPy: the
fast paths update those arrays, the PyTorch path steps a torch.optim optimizer
over the very same arrays, checkpoints read and write either's saved state,
and a process training on the fast paths never imports torch at all."""


import numpy as np
import pytest

from ganlab_panel import Trainer
from ganlab_panel.engine.experiment import make_optimizer

torch = pytest.importorskip("torch")
from ganlab_panel.engine.backends.torch_path import torch_optimizer  # noqa: E402


def _arrays(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32)]


def _over(ours):
    """torch.optim over our optimizer's arrays (as the PyTorch path makes it), and the tensors."""
    tensors = [torch.from_numpy(a).requires_grad_(True) for a in ours.params]
    return torch_optimizer(ours, tensors, lambda a, trained: torch.from_numpy(a)), tensors


def _step(opt, params, seed):
    g = torch.Generator().manual_seed(seed)
    for p in params:
        p.grad = torch.randn(p.shape, generator=g)
    opt.step()


def _as_arrays(value):
    if torch.is_tensor(value):
        return value.detach().numpy()
    if isinstance(value, dict):
        return {k: _as_arrays(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_arrays(v) for v in value]
    return value


@pytest.mark.parametrize("kind", ["sgd", "adam", "rmsprop"])
def test_it_steps_as_torch_optim_does_and_their_saved_states_load_into_each_other(kind):
    ours = make_optimizer(kind, _arrays(), lr=0.01, betas=(0.5, 0.9))
    stepped, ours_tensors = _over(ours)
    theirs_params = [torch.nn.Parameter(torch.from_numpy(a)) for a in _arrays()]
    settings = {k: v for k, v in ours.group.items()}
    theirs = getattr(torch.optim, {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}[kind])(theirs_params,
                                                                                                **settings)
    for s in range(3):
        _step(stepped, ours_tensors, s)
        _step(theirs, theirs_params, s)
    for a, b in zip(ours.params, theirs_params):        # our arrays moved, as torch.optim moved its own
        np.testing.assert_array_equal(a, b.detach().numpy())
    if kind != "sgd":
        assert float(ours.states[0]["step"]) == 3
    # torch.optim's saved state (as older checkpoints hold it) into a fresh optimizer that has not stepped...
    fresh = make_optimizer(kind, [p.detach().numpy().copy() for p in theirs_params], lr=0.5)
    fresh.load_state_dict(_as_arrays(theirs.state_dict()))
    assert fresh.param_groups[0]["lr"] == 0.01
    # ...which then steps on as torch.optim does
    fresh_stepped, fresh_tensors = _over(fresh)
    _step(fresh_stepped, fresh_tensors, 7)
    _step(theirs, theirs_params, 7)
    for a, b in zip(fresh.params, theirs_params):
        np.testing.assert_array_equal(a, b.detach().numpy())
    # and ours loads into torch.optim
    again = type(theirs)([torch.nn.Parameter(torch.from_numpy(a.copy())) for a in fresh.params], lr=0.3)
    again.load_state_dict({"state": {i: {k: torch.from_numpy(np.array(v)) for k, v in s.items()}
                                     for i, s in fresh.state_dict()["state"].items()},
                           "param_groups": [dict(again.param_groups[0], **{k: v for k, v in fresh.group.items()},
                                                 params=[0, 1])]})
    assert again.param_groups[0]["lr"] == 0.01


def test_adam_state_made_at_once_is_what_the_fast_paths_update_and_torch_steps_on():
    opt = make_optimizer("adam", _arrays(), lr=0.01)
    moments = [s["exp_avg"] for s in opt.states]
    assert all(float(s["step"]) == 0 for s in opt.states)
    moments[0] += 1.0                                # as the NumPy path writes in place
    before = moments[0].copy()
    stepped, tensors = _over(opt)
    _step(stepped, tensors, 0)                       # torch.optim steps on the same arrays
    assert all(s["exp_avg"] is m for s, m in zip(opt.states, moments))
    assert all(float(s["step"]) == 1 for s in opt.states)
    np.testing.assert_allclose(moments[0], 0.9 * before + 0.1 * tensors[0].grad.numpy(), rtol=1e-6)


def test_a_wrong_saved_state_is_refused():
    opt = make_optimizer("adam", _arrays(), lr=0.01)
    other = make_optimizer("adam", _arrays()[:1], lr=0.01)
    with pytest.raises(ValueError, match="number of parameters"):
        opt.load_state_dict(other.state_dict())
    sgd_like = {"state": {0: {"momentum_buffer": np.zeros((3, 4))}, 1: {"momentum_buffer": np.zeros(4)}},
                "param_groups": [{"lr": 0.1, "params": [0, 1]}]}
    with pytest.raises(ValueError, match="not Adam's"):
        opt.load_state_dict(sgd_like)
    wrong_shape = opt.state_dict()
    wrong_shape["state"][0] = dict(wrong_shape["state"][0], exp_avg=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(wrong_shape)


def test_training_saving_and_rewinding_on_the_fast_paths_never_imports_torch(tmp_path, fresh_python):
    code = (
        "import sys\n"
        "from ganlab_panel import Trainer\n"
        "from ganlab_panel.live.history import History\n"
        "for cfg in ({}, {'d_optimizer': 'adam', 'g_optimizer': 'adam', 'g_ema': 0.99}):\n"
        "    tr, history = Trainer(**cfg), History()\n"
        "    for _ in range(4):\n"
        "        tr.train(50)\n"
        "        history.record(tr, tr.snapshot(), force=True)\n"
        "    history.restore(tr, 1)\n"
        "    tr.generate([[0.5, 0.5]]), tr.discriminate([[0.5, 0.5]]), tr.mode_metrics()\n"
        f"    tr.save(r'{tmp_path}/run.npz')\n"
        f"    Trainer.load(r'{tmp_path}/run.npz').train(10)\n"
        "print('torch' in sys.modules)\n"
        "tr.fast = False\n"
        "tr.train(10)\n"
        "print(tr.path, 'torch' in sys.modules)\n"
    )
    assert fresh_python(code).split() == ["False", "torch", "True"]


def test_a_trainer_steps_the_same_whichever_path_made_its_adam_state():
    switched = Trainer(seed=3, d_optimizer="adam", g_optimizer="adam", d_lr=0.01, g_lr=0.01, fast=False)
    straight = Trainer(seed=3, d_optimizer="adam", g_optimizer="adam", d_lr=0.01, g_lr=0.01, fast=False)
    switched.train(30)
    switched.fast = True
    switched.train(30)
    switched.config.d_lr = 0.02       # set while the fast path trains...
    switched.train(30)
    switched.fast = False             # ...and in force when PyTorch's steps again
    switched.train(30)
    straight.train(60)
    straight.config.d_lr = 0.02
    straight.train(60)
    assert switched.d_optimizer.param_groups[0]["lr"] == 0.02
    for a, b in zip(switched.state.d_params + switched.state.g_params, straight.state.d_params + straight.state.g_params):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=0)


def test_adam_state_saved_before_its_first_step_by_torch_optim_trains_on_any_path():
    tr = Trainer(d_optimizer="adam", g_optimizer="adam", g_neurons=64, seed=0)
    saved = tr.training_state()
    tensors = [torch.from_numpy(p) for p in tr.state.d_params]
    saved["d_optimizer"] = _as_arrays(torch.optim.Adam(tensors, lr=0.01).state_dict())   # empty: an older file
    tr.fast = False
    tr.train(3)
    tr.load_training_state(saved)
    tr.fast = True
    tr.train(3)
    assert tr.path == "numpy" and tr.iteration == 3 and not tr.diverged
