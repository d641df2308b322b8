"""Shared fixtures: GAN Lab's reference files, when they are beside the project."""

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


@pytest.fixture
def lab():
    """A rendered app on the ring, seed 0, untrained (no pretrained model); closed after the test."""
    import panel as pn
    from bokeh.document import Document

    from ganlab_panel import ExperimentConfig, GANLab

    lab = GANLab(ExperimentConfig(distribution="ring", seed=0), use_pretrained=False)
    pn.panel(lab).get_root(Document())
    yield lab
    lab.close()
