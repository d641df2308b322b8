"""What each export of a recorded run costs: seconds to make it, and its size.

    python benchmarks/exports.py                      # 200 moments (10,000 iterations), BENCHMARKS.md
    python benchmarks/exports.py --moments 20

It trains GAN Lab's ring from code, recording a moment every 50 iterations (as
the app does), then makes each export from the record: the films (GIF, MP4),
a picture, the networks for PyTorch (.pt2), the checkpoint and GAN Lab's files.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlab_panel import ExperimentConfig, GANLab  # noqa: E402

KINDS = {"gif": "run.gif", "mp4": "run.mp4", "png": "now.png", "pt2": "model.pt2", "checkpoint": "model.npz",
         "ganlab": "model.zip"}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moments", type=int, default=200, help="moments recorded [default: 200]")
    args = parser.parse_args(argv)
    lab = GANLab(ExperimentConfig(distribution="ring", seed=0), use_pretrained=False)
    try:
        lab.train(50 * args.moments, record_every=50)
        print(f"{len(lab.frames)} moments recorded (ring, {lab.trainer.iteration:,} iterations)")
        with tempfile.TemporaryDirectory() as folder:
            for kind, name in KINDS.items():
                start = time.perf_counter()
                written = lab.export(Path(folder) / name, kind=kind)
                seconds = time.perf_counter() - start
                size = sum(p.stat().st_size for p in written) / 2**20
                print(f"{kind:10s} {seconds:6.1f} s  {size:7.2f} MB  ({', '.join(p.name for p in written)})")
    finally:
        lab.close()


if __name__ == "__main__":
    main()
