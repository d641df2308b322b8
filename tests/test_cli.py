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
    tr = Trainer.load(out / "checkpoint.npz")
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
    assert main(["train", "--resume", str(tmp_path / "a" / "checkpoint.npz"), "--iterations", "20",
                 "--g-lr", "0.01", "--out", str(tmp_path / "b"), "-q"]) == 0
    metrics = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert metrics["iteration"] == 50
    assert json.loads((tmp_path / "b" / "config.json").read_text())["g_lr"] == 0.01


@pytest.mark.parametrize("ganlab_model", ["ring"], indirect=True)
def test_resume_from_gan_labs_own_ring_model(ganlab_model, tmp_path):
    # GAN Lab's ring file says "Ring" and names its weights in another folder
    assert main(["train", "--resume", str(ganlab_model), "--iterations", "10", "--out", str(tmp_path / "r"),
                 "-q"]) == 0
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert (config["distribution"], config["d_layers"], config["k_d"]) == ("ring", 2, 3)
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["iteration"] == 812 + 10


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
    code = main(["train", "--resume", str(tmp_path / "a" / "checkpoint.npz"), "--g-neurons", "20",
                 "--out", str(tmp_path / "b"), "-q"])
    assert code == 2 and "--g-neurons" in capsys.readouterr().err


@pytest.mark.subprocess
def test_console_script_runs_with_a_progress_bar(tmp_path):
    script = Path(sys.executable).with_name("ganlab")
    assert script.is_file(), "the ganlab console script is not installed beside this Python"
    out = subprocess.run([str(script), "train", "--distribution", "disjoint", "--iterations", "200",
                          "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "200/200" in out.stderr  # the progress bar reached the end
    assert (tmp_path / "run" / "checkpoint.npz").is_file()


def test_bad_files_and_divergence_exit_with_a_message(tmp_path, capsys):
    (tmp_path / "bad.json").write_text('{"k_d": "two", "d_lr": 0.05}')
    (tmp_path / "range.json").write_text('{"d_lr": 50}')
    (tmp_path / "nan.csv").write_text("0.1,0.2\n0.3,nan\n")
    (tmp_path / "binary.csv").write_bytes(b"\x89PNG\x00\x00")
    (tmp_path / "trunc.pt").write_bytes(b"PK\x03\x04" + b"\x00" * 20)
    cases = [(["--config", str(tmp_path / "bad.json")], "k_d"),
             (["--config", str(tmp_path / "range.json")], "d_lr"),
             (["--points", str(tmp_path / "nan.csv")], "NaN or infinite"),
             (["--points", str(tmp_path / "binary.csv")], "binary"),
             (["--resume", str(tmp_path / "trunc.pt")], "trunc.pt")]
    for args, words in cases:
        assert main(["train", "--iterations", "5", "--out", str(tmp_path / "x"), "-q", *args]) == 2, args
        assert words in capsys.readouterr().err, args
    diverging = ["--d-lr", "10", "--g-lr", "10", "--d-layers", "5", "--d-neurons", "100",
                 "--g-layers", "5", "--g-neurons", "100"]
    assert main(["train", "--iterations", "60", "--out", str(tmp_path / "d"), "-q", *diverging]) == 3
    assert "diverged" in capsys.readouterr().err


def test_mixture_runs_report_modes_and_high_quality_share(tmp_path, capsys):
    assert main(["train", "--distribution", "ring8", "--loss", "wgan_gp", "--d-optimizer", "adam",
                 "--g-optimizer", "adam", "--d-lr", "0.001", "--g-lr", "0.001", "--d-spectral-norm", "true",
                 "--iterations", "20", "--out", str(tmp_path / "m"), "-q"]) == 0
    out = capsys.readouterr().out
    assert "modes " in out and "/8" in out and "high-quality samples" in out and "reverse KL from even" in out
    assert "left out" not in out
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["modes_total"] == 8 and 0 <= metrics["modes"] <= 8 and 0 <= metrics["high_quality"] <= 1
    assert 0 <= metrics["mode_balance"] <= np.log(8) + 1e-9
    assert all("modes" in h for h in metrics["history"])
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["d_spectral_norm"] is True and config["loss"] == "wgan_gp"
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--d-spectral-norm", "maybe", "--out", str(tmp_path / "n"), "-q"])
    assert exit_info.value.code == 2 and "expected true or false" in capsys.readouterr().err
    # with Jacobian-based truncation the summary says what its figures leave out
    assert main(["train", "--distribution", "ring8", "--iterations", "20", "--jacobian-truncation", "0.05",
                 "--out", str(tmp_path / "t"), "-q"]) == 0
    assert "(the 5 % of samples G stretches most left out)" in capsys.readouterr().out
    assert json.loads((tmp_path / "t" / "config.json").read_text())["jacobian_truncation"] == 0.05


def test_presets_are_listed_and_apply_under_the_command_line_options(tmp_path, capsys):
    from ganlab_panel.engine.presets import PRESETS

    assert main(["presets"]) == 0
    listing = capsys.readouterr().out
    assert all(f"{name}: {preset.title}" in listing for name, preset in PRESETS.items())
    (tmp_path / "base.json").write_text(json.dumps({"distribution": "grid25", "g_neurons": 5, "seed": 4}))
    assert main(["train", "--config", str(tmp_path / "base.json"), "--preset", "wgan-gp", "--k-d", "2",
                 "--iterations", "6", "--out", str(tmp_path / "p"), "-q"]) == 0
    config = json.loads((tmp_path / "p" / "config.json").read_text())
    # the config file's data and seed stay, the preset replaces its model, the option wins over both
    assert (config["distribution"], config["seed"]) == ("grid25", 4)
    assert (config["loss"], config["g_neurons"], config["adam_beta2"]) == ("wgan_gp", 64, 0.9)
    assert config["k_d"] == 2
    assert "modes " in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--preset", "fastest", "--out", str(tmp_path / "q"), "-q"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "p" / "checkpoint.npz"), "--preset", "ganlab",
                 "--out", str(tmp_path / "r"), "-q"]) == 2
    assert "--preset cannot apply" in capsys.readouterr().err


def test_a_preset_trains_its_own_length_unless_iterations_is_given(tmp_path, capsys, monkeypatch):
    import dataclasses

    from ganlab_panel.engine.presets import PRESETS

    # the mode-coverage recipe is meant to be trained 120,000 iterations; shortened here to 7
    assert PRESETS["mode-coverage"].iterations >= 100_000
    monkeypatch.setitem(PRESETS, "mode-coverage", dataclasses.replace(PRESETS["mode-coverage"], iterations=7))
    assert main(["presets"]) == 0
    assert "trains 7 iterations unless --iterations is given" in capsys.readouterr().out
    assert main(["train", "--preset", "mode-coverage", "--distribution", "ring8", "--out", str(tmp_path / "a"),
                 "-q"]) == 0
    assert "training 7 iterations, the length of preset 'mode-coverage'" in capsys.readouterr().err
    assert json.loads((tmp_path / "a" / "metrics.json").read_text())["iteration"] == 7
    assert main(["train", "--preset", "mode-coverage", "--distribution", "ring8", "--iterations", "3",
                 "--out", str(tmp_path / "b"), "-q"]) == 0
    assert "length of preset" not in capsys.readouterr().err
    assert json.loads((tmp_path / "b" / "metrics.json").read_text())["iteration"] == 3


def test_the_whole_screen_exports_on_its_own(tmp_path, capsys):
    # the screen's charts show the whole run: its record is kept without a film asked for
    assert main(["train", "--distribution", "line", "--iterations", "40", "--out", str(tmp_path), "-q",
                 "--export", "screen"]) == 0
    assert (tmp_path / "screen.png").stat().st_size > 0 and "screen.png" in capsys.readouterr().out
