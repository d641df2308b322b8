import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ganlab_panel import Trainer
from ganlab_panel.cli import main


def test_train_writes_metrics_config_and_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--distribution", "ring", "--iterations", "120", "--seed", "3", "--d-lr", "0.03",
                 "--out", str(out), "--quiet"])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    config = json.loads((out / "config.json").read_text())
    assert metrics["iteration"] == 120 and metrics["iterations_trained"] == 120
    assert 0 <= metrics["js"] <= 1 and np.isfinite(metrics["kl"])
    assert metrics["history"][0]["iteration"] == 0 and metrics["history"][-1]["iteration"] == 120
    assert config["distribution"] == "ring" and config["seed"] == 3 and config["d_lr"] == 0.03
    tr = Trainer.load(out / "checkpoint.pt")
    assert tr.iteration == 120
    # the CLI's run is the library's run
    twin = Trainer(distribution="ring", seed=3, d_lr=0.03)
    twin.train(120)
    assert twin.snapshot().js == pytest.approx(metrics["js"])
    assert "JS" in capsys.readouterr().out


def test_config_file_and_resume(tmp_path):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"distribution": "line", "g_neurons": 4, "seed": 2}))
    assert main(["train", "--config", str(cfg), "--iterations", "30", "--out", str(tmp_path / "a"), "-q"]) == 0
    saved = json.loads((tmp_path / "a" / "config.json").read_text())
    assert (saved["distribution"], saved["g_neurons"], saved["seed"]) == ("line", 4, 2)
    assert main(["train", "--resume", str(tmp_path / "a" / "checkpoint.pt"), "--iterations", "20",
                 "--g-lr", "0.01", "--out", str(tmp_path / "b"), "-q"]) == 0
    metrics = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert metrics["iteration"] == 50
    assert json.loads((tmp_path / "b" / "config.json").read_text())["g_lr"] == 0.01


def test_points_csv_trains_on_a_drawing(tmp_path):
    csv = tmp_path / "pts.csv"
    csv.write_text("x,y\n0.2,0.2\n0.25,0.3\n0.8,0.7\n")
    assert main(["train", "--points", str(csv), "--iterations", "10", "--out", str(tmp_path / "d"), "-q"]) == 0
    config = json.loads((tmp_path / "d" / "config.json").read_text())
    assert config["distribution"] == "drawing" and len(config["drawn_points"]) == 3


@pytest.mark.parametrize("args, words", [
    (["--g-layers", "9"], "g_layers"),
    (["--config", "nope.json"], "cannot read config"),
    (["--points", "__missing__.csv"], "cannot read points"),
])
def test_bad_input_exits_with_a_message(tmp_path, capsys, args, words):
    code = main(["train", "--iterations", "5", "--out", str(tmp_path / "x"), "-q", *args])
    assert code == 2
    assert words in capsys.readouterr().err


def test_resume_refuses_structural_changes(tmp_path, capsys):
    main(["train", "--iterations", "5", "--out", str(tmp_path / "a"), "-q"])
    code = main(["train", "--resume", str(tmp_path / "a" / "checkpoint.pt"), "--g-neurons", "20",
                 "--out", str(tmp_path / "b"), "-q"])
    assert code == 2 and "--g-neurons" in capsys.readouterr().err


def test_console_script_runs_with_a_progress_bar(tmp_path):
    script = Path(sys.executable).with_name("ganlab")
    assert script.is_file(), "the ganlab console script is not installed beside this Python"
    out = subprocess.run([str(script), "train", "--distribution", "disjoint", "--iterations", "200",
                          "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "200/200" in out.stderr  # the progress bar reached the end
    assert (tmp_path / "run" / "checkpoint.pt").is_file()
