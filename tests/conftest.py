"""Shared fixtures: GAN Lab's reference files, when they are beside the project;
and the test lanes (see pyproject.toml): every test in tests/ui/ is a browser
test, unless it is a notebook one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = Path(os.environ.get("GANLAB_FIXTURES", ROOT.parent / "shared" / "fixtures"))


@pytest.fixture
def ganlab_line_model() -> Path:
    """The model file GAN Lab saved for its pretrained 'line' experiment."""
    path = SHARED_FIXTURES / "pretrained_line.json"
    if not path.is_file() or not path.with_name("pretrained_line.weights.bin").is_file():
        pytest.skip(f"GAN Lab's fixture files are not at {SHARED_FIXTURES}")
    return path


#: GAN Lab's four pretrained models, as GAN Lab ships them
GANLAB_MODELS = ("line", "gaussians", "ring", "disjoint")


@pytest.fixture(params=GANLAB_MODELS)
def ganlab_model(request) -> Path:
    """Each model file GAN Lab ships, as it ships them (the ring's says "Ring",
    and its manifest names the weights in another folder)."""
    path = SHARED_FIXTURES / f"pretrained_{request.param}.json"
    if not path.is_file() or not path.with_name(f"pretrained_{request.param}.weights.bin").is_file():
        pytest.skip(f"GAN Lab's fixture files are not at {SHARED_FIXTURES}")
    return path


@pytest.fixture
def jumper():
    """A trainer on ring8 whose G sends 1-D uniform noise to two opposite modes
    exactly, and carries the middle tenth of it straight across the ring
    between them (one hidden layer of 2 ReLUs: a ramp from 0 to 1)."""
    import numpy as np

    from ganlab_panel import Trainer
    from ganlab_panel.engine.data import MIXTURES

    tr = Trainer(distribution="ring8", seed=1, noise_dim=1, noise_type="uniform", g_layers=0, g_neurons=2)
    a, b = np.arctanh(MIXTURES["ring8"].centres[[0, 4]])
    k = 10.0   # the ramp spans 1/k of the noise
    w0, b0, w1, b1 = tr.generator.ordered_parameters()
    w0[...] = k
    b0[...] = (0.5 - 0.5 * k, -0.5 - 0.5 * k)
    w1[...] = (b - a, a - b)
    b1[...] = a
    return tr


@pytest.fixture
def fresh_python():
    """``run(code, timeout=120, **env)``: ``code`` in a fresh interpreter (the
    environment's variables updated by ``env``); it must succeed, and its
    output comes back."""
    import subprocess
    import sys

    def run(code: str, timeout: float = 120, **env: str) -> str:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                             env={**os.environ, **env})
        assert out.returncode == 0, out.stderr
        return out.stdout
    return run


def _rendered_lab():
    """A rendered app on the ring, seed 0, untrained (no pretrained model)."""
    import panel as pn
    from bokeh.document import Document

    from ganlab_panel import ExperimentConfig, GANLab

    lab = GANLab(ExperimentConfig(distribution="ring", seed=0), use_pretrained=False)
    pn.panel(lab).get_root(Document())
    return lab


@pytest.fixture
def lab():
    """A rendered app on the ring, seed 0, untrained; closed after the test."""
    lab = _rendered_lab()
    yield lab
    lab.close()


@pytest.fixture(scope="module")
def refusing_lab():
    """One rendered app for a module's bad inputs: each must leave it as it was,
    so the next one meets it intact (and a bad input that did change it shows
    in the tests after it too)."""
    lab = _rendered_lab()
    yield lab
    lab.close()


UI = ROOT / "tests" / "ui"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if UI in Path(item.fspath).parents and item.get_closest_marker("notebook") is None:
            item.add_marker(pytest.mark.browser)
