"""The trained networks as torch.export programs: they run with PyTorch alone."""

import io
import json
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import torch

from ganlab_panel import ExperimentConfig, Trainer
from ganlab_panel.files.export import write_export

#: loads both programs and runs them on the saved inputs, in a process that has
#: only PyTorch and NumPy: it fails if anything of ganlab_panel was imported
RUN_ALONE = textwrap.dedent("""
    import json, sys
    import numpy as np, torch
    folder = sys.argv[1]
    notes = {"ganlab.json": ""}
    G = torch.export.load(f"{folder}/run_generator.pt2", extra_files=notes).module()
    D = torch.export.load(f"{folder}/run_discriminator.pt2").module()
    noise = torch.from_numpy(np.load(f"{folder}/noise.npy")).float()
    points = torch.from_numpy(np.load(f"{folder}/points.npy")).float()
    with torch.no_grad():
        np.save(f"{folder}/samples.npy", G(noise).numpy())
        np.save(f"{folder}/scores.npy", D(points).numpy())
        np.save(f"{folder}/one.npy", G(noise[:1]).numpy())
    assert not [m for m in sys.modules if m.startswith("ganlab_panel")]
    print(json.loads(notes["ganlab.json"])["takes"])
""")

CASES = {
    "gan-lab": dict(distribution="ring", seed=1),
    # a critic, spectrally normalised and packed, and the average of G drawn
    "critic": dict(distribution="ring8", loss="wgan_gp", d_spectral_norm=True, d_pack=2, g_ema=0.9,
                   noise_type="gaussian", noise_dim=1, d_optimizer="adam", g_optimizer="adam", d_lr=0.001,
                   g_lr=0.001, seed=2),
}


@pytest.mark.subprocess
@pytest.mark.parametrize("case", CASES)
def test_exported_networks_run_with_pytorch_alone_and_give_the_trainers_outputs(case, tmp_path):
    trainer = Trainer(ExperimentConfig(**CASES[case]))
    trainer.train(60)
    written = write_export(tmp_path / "run.pt2", trainer)
    assert sorted(p.name for p in written) == ["run_discriminator.pt2", "run_generator.pt2"]
    rng = np.random.default_rng(0)
    noise, points = rng.random((300, trainer.config.noise_dim)), rng.random((200, 2)) * 2 - 0.5
    np.save(tmp_path / "noise.npy", noise)
    np.save(tmp_path / "points.npy", points)
    (tmp_path / "alone.py").write_text(RUN_ALONE)
    out = subprocess.run([sys.executable, str(tmp_path / "alone.py"), str(tmp_path)], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"(n, {trainer.config.noise_dim})" in out.stdout
    np.testing.assert_allclose(np.load(tmp_path / "samples.npy"), trainer.generate(noise), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.load(tmp_path / "one.npy"), trainer.generate(noise[:1]), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.load(tmp_path / "scores.npy"), trainer.discriminate(points), rtol=1e-6,
                               atol=1e-7)


def test_the_networks_download_zipped_and_say_what_they_take(lab):
    lab.train(20)
    buffer = lab.download("pt2", stem="ganlab")
    with zipfile.ZipFile(buffer) as zf:
        assert sorted(zf.namelist()) == ["ganlab_discriminator.pt2", "ganlab_generator.pt2"]
        notes = {"ganlab.json": ""}
        program = torch.export.load(io.BytesIO(zf.read("ganlab_discriminator.pt2")), extra_files=notes)
    note = json.loads(notes["ganlab.json"])
    assert note["iteration"] == 20 and note["settings"]["distribution"] == "ring"
    assert "probability" in note["gives"]
    points = np.random.default_rng(4).random((50, 2))
    with torch.no_grad():
        scores = program.module()(torch.from_numpy(points).float()).numpy()
    np.testing.assert_allclose(scores, lab.trainer.discriminate(points), rtol=1e-6, atol=1e-7)
