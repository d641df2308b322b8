"""The optimizers keep torch.optim's settings and state layout without making a
torch.optim optimizer until the PyTorch path steps: checkpoints read and write
as before, and a process training on the fast paths never imports
torch._dynamo (~75 MB)."""

import subprocess
import sys

import pytest
import torch

from ganlab_panel import Trainer
from ganlab_panel.engine.experiment import make_optimizer


def _params(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.nn.Parameter(torch.randn(3, 4, generator=g)), torch.nn.Parameter(torch.randn(4, generator=g))]


def _step(opt, params, seed):
    g = torch.Generator().manual_seed(seed)
    for p in params:
        p.grad = torch.randn(p.shape, generator=g)
    opt.step()


@pytest.mark.parametrize("kind", ["sgd", "adam", "rmsprop"])
def test_it_steps_as_torch_optim_does_and_their_saved_states_load_into_each_other(kind):
    ours_params, theirs_params = _params(), _params()
    ours = make_optimizer(kind, ours_params, lr=0.01, betas=(0.5, 0.9))
    theirs = make_optimizer(kind, theirs_params, lr=0.01, betas=(0.5, 0.9)).torch()
    assert type(theirs).__name__.lower() == kind
    for s in range(3):
        _step(ours, ours_params, s)
        _step(theirs, theirs_params, s)
    for a, b in zip(ours_params, theirs_params):
        assert torch.equal(a, b)
    # torch.optim's saved state (older checkpoints) into a fresh optimizer that has not stepped...
    fresh_params = [torch.nn.Parameter(p.detach().clone()) for p in theirs_params]
    fresh = make_optimizer(kind, fresh_params, lr=0.5)
    fresh.load_state_dict(theirs.state_dict())
    assert fresh.param_groups[0]["lr"] == 0.01
    assert fresh.state_dict()["param_groups"] == theirs.state_dict()["param_groups"]
    # ...which then steps on as torch.optim does
    _step(fresh, fresh_params, 7)
    _step(theirs, theirs_params, 7)
    for a, b in zip(fresh_params, theirs_params):
        assert torch.equal(a, b)


def test_adam_state_made_at_once_is_what_the_fast_paths_update_and_torch_steps_on():
    params = _params()
    opt = make_optimizer("adam", params, lr=0.01)
    moments = [opt.state[p]["exp_avg"] for p in params]
    assert all(float(opt.state[p]["step"]) == 0 for p in params)
    opt.state[params[0]]["exp_avg"].add_(1.0)       # as the NumPy path writes through its views
    _step(opt, params, 0)                            # torch.optim takes over the same tensors
    assert all(opt.state[p]["exp_avg"] is m for p, m in zip(params, moments))
    assert all(float(opt.state[p]["step"]) == 1 for p in params)
    opt.param_groups[0]["lr"] = 0.5                  # one group, whoever sets the rate
    assert opt.torch().param_groups[0]["lr"] == 0.5


def test_a_wrong_saved_state_is_refused():
    opt = make_optimizer("adam", _params(), lr=0.01)
    other = make_optimizer("adam", _params()[:1], lr=0.01)
    with pytest.raises(ValueError, match="number of parameters"):
        opt.load_state_dict(other.state_dict())
    sgd = make_optimizer("sgd", _params(), lr=0.01).torch()
    _step(sgd, sgd.param_groups[0]["params"], 0)
    with pytest.raises(ValueError, match="not Adam's"):
        opt.load_state_dict({**sgd.state_dict(), "state": {0: {"momentum_buffer": None}, 1: {"momentum_buffer": None}}})


def test_training_saving_and_rewinding_on_the_fast_paths_never_imports_torch_dynamo(tmp_path):
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
        f"    tr.save(r'{tmp_path}/run.pt')\n"
        f"    Trainer.load(r'{tmp_path}/run.pt').train(10)\n"
        "print('torch._dynamo' in sys.modules)\n"
        "tr.fast = False\n"
        "tr.train(10)\n"
        "print(tr.path, 'torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "torch", "True"]


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
        torch.testing.assert_close(a, b, atol=1e-4, rtol=0)


def test_adam_state_saved_before_its_first_step_by_torch_optim_trains_on_any_path():
    tr = Trainer(d_optimizer="adam", g_optimizer="adam", g_neurons=64, seed=0)
    saved = tr.training_state()
    saved["d_optimizer"] = torch.optim.Adam(tr.state.d_params, lr=0.01).state_dict()   # empty: an older file
    tr.fast = False
    tr.train(3)                       # torch.optim's optimizer is made...
    tr.load_training_state(saved)     # ...and loads the empty state
    tr.fast = True
    tr.train(3)
    assert tr.path == "numpy" and tr.iteration == 3 and not tr.diverged
