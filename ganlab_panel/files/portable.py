"""Models that travel: the trained networks as ``torch.export`` programs (.pt2).

Each network is exported as a plain stack of ``x @ W + b`` layers with ReLU
between them, holding the weights as applied (spectral normalisation divided
in, a packed discriminator scoring a pack of copies of each point, as the
heatmap shows it), so that anyone with PyTorch alone can load and run it::

    import torch
    G = torch.export.load("run_generator.pt2").module()
    D = torch.export.load("run_discriminator.pt2").module()
    points = G(torch.rand(1000, 2))     # noise as the run draws it (see "noise" below)
    scores = D(points)                  # D's probability of "real" (a critic: its score)

The outputs are those of ``Trainer.generate`` and ``Trainer.discriminate``.
Each file also carries ``ganlab.json``, what the network takes and gives and
the run's settings: ``notes = {"ganlab.json": ""}`` then
``torch.export.load(path, extra_files=notes)`` fills it in.
"""

from __future__ import annotations

import io
import json

import torch
from torch import nn

#: what a run's noise is, for the note inside the generator's file
NOISE = {"uniform": "uniform on [0, 1]",
         "gaussian": "normal N(0.5, 0.25²) truncated at two standard deviations (inside [0, 1])"}


class PlainMLP(nn.Module):
    """Layers ``x @ W + b`` with ReLU between, then ``output``: tanh, sigmoid or
    nothing (a critic); ``copies`` > 1 scores a pack of copies of each point."""

    def __init__(self, weights, biases, output: str, copies: int = 1):
        super().__init__()
        self.weights = nn.ParameterList([nn.Parameter(torch.tensor(w, dtype=torch.float32), requires_grad=False)
                                         for w in weights])
        self.biases = nn.ParameterList([nn.Parameter(torch.tensor(b, dtype=torch.float32), requires_grad=False)
                                        for b in biases])
        self.output, self.copies = output, int(copies)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.copies > 1:
            x = x.repeat(1, self.copies)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.addmm(b, x, w)
            if i < last:
                x = torch.relu(x)
        if self.output == "tanh":
            return torch.tanh(x)
        x = x.squeeze(-1)
        return torch.sigmoid(x) if self.output == "sigmoid" else x


def plain_networks(trainer) -> dict[str, tuple[PlainMLP, dict]]:
    """``{"generator": (module, note), "discriminator": (module, note)}``: the
    networks as drawn and sampled now, with what each takes and gives."""
    cfg = trainer.config
    with trainer.lock:
        G, D = trainer.shown_generator, trainer.discriminator
        generator = PlainMLP(G.effective_weights(), G.biases, "tanh")
        critic = trainer.critic
        discriminator = PlainMLP(D.effective_weights(), D.biases, "none" if critic else "sigmoid", D.packing)
        iteration = trainer.iteration
    settings = cfg.to_dict()
    return {
        "generator": (generator, {
            "takes": f"noise, a float32 tensor (n, {cfg.noise_dim}): {NOISE[cfg.noise_type]}",
            "gives": "points, (n, 2), in the unit square's coordinates",
            "iteration": iteration, "settings": settings}),
        "discriminator": (discriminator, {
            "takes": "points, a float32 tensor (n, 2)",
            "gives": ("the critic's score for each point, (n,): higher is more real-looking" if critic else
                      "the probability that each point is real, (n,)"),
            "iteration": iteration, "settings": settings}),
    }


def exported_programs(trainer, stem: str = "ganlab") -> dict[str, bytes]:
    """``{stem_generator.pt2: ..., stem_discriminator.pt2: ...}``: each network
    as a ``torch.export`` program taking any number of rows."""
    files = {}
    for name, (module, note) in plain_networks(trainer).items():
        columns = module.weights[0].shape[0] // module.copies
        example = torch.rand(8, columns)
        program = torch.export.export(module, (example,), dynamic_shapes=({0: torch.export.Dim("n")},))
        buffer = io.BytesIO()
        torch.export.save(program, buffer, extra_files={"ganlab.json": json.dumps(note, indent=1)})
        files[f"{stem}_{name}.pt2"] = buffer.getvalue()
    return files
