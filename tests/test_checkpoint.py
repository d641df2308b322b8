import json
import shutil

import numpy as np
import pytest

from ganlab_panel import ExperimentConfig, Trainer, load_ganlab_model, save_ganlab_model
from ganlab_panel.engine.checkpoint import encode_state
from ganlab_panel.engine.errors import ConfigError, ModelFileError
from ganlab_panel.files.ganlab_format import ganlab_model_from_bytes


def numpy_forward(x, weights, out):
    """An independent forward pass of GAN Lab's MLPs from raw [in, out] weights."""
    h = x
    for i in range(0, len(weights) - 2, 2):
        h = np.maximum(h @ weights[i] + weights[i + 1], 0.0)
    z = h @ weights[-2] + weights[-1]
    return np.tanh(z) if out == "tanh" else 1.0 / (1.0 + np.exp(-z[:, 0]))


def read_ganlab(path):
    doc = json.loads(path.read_text())
    blob = np.fromfile(path.with_name(path.stem + ".weights.bin"), dtype="<f4")
    tensors, offset = {}, 0
    for spec in doc["weightsManifest"][0]["weights"]:
        n = int(np.prod(spec["shape"]))
        tensors[spec["name"]] = blob[offset:offset + n].reshape(spec["shape"]).astype(np.float64)
        offset += n
    d = [tensors[f"d-{i}"] for i in range(sum(k.startswith("d-") for k in tensors))]
    g = [tensors[f"g-{i}"] for i in range(sum(k.startswith("g-") for k in tensors))]
    return doc, d, g


def test_gan_lab_file_maps_config_and_iteration(ganlab_line_model):
    tr = load_ganlab_model(ganlab_line_model)
    c = tr.config
    assert (c.distribution, c.noise_type, c.noise_dim) == ("line", "uniform", 2)
    assert (c.g_layers, c.d_layers, c.g_neurons, c.d_neurons) == (1, 1, 5, 6)
    assert (c.d_lr, c.g_lr, c.d_optimizer, c.g_optimizer) == (0.03, 0.01, "sgd", "sgd")
    assert (c.loss, c.k_d, c.k_g) == ("log", 2, 1)
    assert tr.iteration == 466


def test_gan_lab_weights_give_the_same_outputs_as_an_independent_numpy_pass(ganlab_line_model):
    tr = load_ganlab_model(ganlab_line_model)
    _, d_w, g_w = read_ganlab(ganlab_line_model)
    rng = np.random.default_rng(0)
    noise = rng.random((500, 2))
    points = rng.random((500, 2))
    np.testing.assert_allclose(tr.generate(noise), numpy_forward(noise, g_w, "tanh"), atol=1e-5)
    np.testing.assert_allclose(tr.discriminate(points), numpy_forward(points, d_w, "sigmoid"), atol=1e-5)
    # the pretrained generator really draws GAN Lab's line
    fake = tr.generate(rng.random((2000, 2)))
    assert np.median(np.abs(fake[:, 1] - (0.6 + 0.3 * (0.8 - fake[:, 0]) / 0.75))) < 0.05


def _numpy_outputs_agree(trainer, path):
    """``trainer`` gives the outputs an independent NumPy reading of GAN Lab's file gives."""
    _, d_w, g_w = read_ganlab(path)
    rng = np.random.default_rng(0)
    noise = rng.random((500, trainer.config.noise_dim))
    points = rng.random((500, 2))
    np.testing.assert_allclose(trainer.generate(noise), numpy_forward(noise, g_w, "tanh"), atol=1e-5)
    np.testing.assert_allclose(trainer.discriminate(points), numpy_forward(points, d_w, "sigmoid"), atol=1e-5)


def test_every_model_gan_lab_ships_loads_as_gan_lab_wrote_it(ganlab_model):
    doc = json.loads(ganlab_model.read_text())
    topology, settings = doc["modelTopology"], doc["modelTopology"]["config"]
    tr = load_ganlab_model(ganlab_model)
    assert tr.config.distribution == topology["shape_name"].lower()
    assert (tr.config.g_layers, tr.config.d_neurons) == (settings["numGeneratorLayers"],
                                                         settings["numDiscriminatorNeurons"])
    assert (tr.config.k_d, tr.iteration) == (settings["kDSteps"], topology["iter_count"])
    _numpy_outputs_agree(tr, ganlab_model)
    # the same from the upload box's bytes, the weights found by the name the manifest's path ends in
    bin_path = ganlab_model.with_name(ganlab_model.stem + ".weights.bin")
    uploaded = ganlab_model_from_bytes(ganlab_model.read_bytes(), {bin_path.name: bin_path.read_bytes()})
    _numpy_outputs_agree(uploaded, ganlab_model)


@pytest.mark.parametrize("written", ["RING", "Ring", " ring ", "rInG"])
def test_gan_lab_shape_names_are_read_in_any_case_and_written_as_gan_lab_writes_them(written, tmp_path):
    a = Trainer(ExperimentConfig(distribution="ring", seed=2))
    json_path, _ = save_ganlab_model(a, tmp_path / "m.json")
    doc = json.loads(json_path.read_text())
    assert doc["modelTopology"]["shape_name"] == "ring"
    doc["modelTopology"]["shape_name"] = written
    json_path.write_text(json.dumps(doc))
    b = load_ganlab_model(json_path)
    assert b.config.distribution == "ring"
    points = np.random.default_rng(3).random((40, 2))
    np.testing.assert_array_equal(a.discriminate(points), b.discriminate(points))
    doc["modelTopology"]["shape_name"] = "Spiral"
    json_path.write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="shape 'spiral' is not one of"):
        load_ganlab_model(json_path)


def test_the_manifest_path_is_followed_as_written_then_beside_the_json(ganlab_line_model, tmp_path):
    doc = json.loads(ganlab_line_model.read_text())
    weights = ganlab_line_model.with_name("pretrained_line.weights.bin").read_bytes()
    (tmp_path / "models").mkdir()
    (tmp_path / "json").mkdir()
    (tmp_path / "models" / "pretrained_line.weights.bin").write_bytes(weights)
    doc["weightsManifest"][0]["paths"] = ["../models/pretrained_line.weights.bin"]
    json_path = tmp_path / "json" / "line.json"
    json_path.write_text(json.dumps(doc))
    _numpy_outputs_agree(load_ganlab_model(json_path), ganlab_line_model)
    # where the path leads nowhere, the file of that name beside the JSON is read...
    (tmp_path / "models" / "pretrained_line.weights.bin").rename(tmp_path / "json" / "pretrained_line.weights.bin")
    _numpy_outputs_agree(load_ganlab_model(json_path), ganlab_line_model)
    # ...and with neither, the message names the file
    (tmp_path / "json" / "pretrained_line.weights.bin").unlink()
    with pytest.raises(ModelFileError, match="no such file: .*pretrained_line.weights.bin"):
        load_ganlab_model(json_path)


def test_gan_lab_model_keeps_training(ganlab_line_model):
    tr = load_ganlab_model(ganlab_line_model)
    tr.train(20)
    assert tr.iteration == 486 and tr.snapshot().finite


def test_export_import_round_trip(tmp_path):
    a = Trainer(ExperimentConfig(distribution="disjoint", noise_type="gaussian", noise_dim=1, g_layers=2,
                                 d_neurons=11, d_optimizer="adam", loss="least_squares", k_g=3, seed=5))
    a.train(40)
    json_path, bin_path = save_ganlab_model(a, tmp_path / "mine.json")
    assert bin_path.name == "mine.weights.bin"
    doc = json.loads(json_path.read_text())
    assert doc["modelTopology"]["config"]["selectedNoiseType"] == "1D Gaussian"
    assert doc["modelTopology"]["config"]["lossType"] == "LeastSq loss"
    assert doc["weightsManifest"][0]["paths"] == ["./mine.weights.bin"]
    names = [w["name"] for w in doc["weightsManifest"][0]["weights"]]
    assert names[0] == "d-0" and names[-1].startswith("g-")
    b = load_ganlab_model(json_path)
    for name in ("distribution", "noise_type", "noise_dim", "g_layers", "d_neurons", "d_optimizer", "loss", "k_g"):
        assert getattr(b.config, name) == getattr(a.config, name)
    assert b.iteration == 40
    noise = np.random.default_rng(1).random((50, 1))
    np.testing.assert_array_equal(a.generate(noise), b.generate(noise))
    pts = np.random.default_rng(2).random((50, 2))
    np.testing.assert_array_equal(a.discriminate(pts), b.discriminate(pts))
    # and an independent reader sees the same weights
    _, d_w, g_w = read_ganlab(json_path)
    np.testing.assert_allclose(numpy_forward(pts, d_w, "sigmoid"), a.discriminate(pts), atol=1e-6)


def test_export_refuses_what_gan_lab_cannot_express(tmp_path, monkeypatch):
    tr = Trainer()
    monkeypatch.setattr(tr.config, "loss", "least_squares")
    save_ganlab_model(tr, tmp_path / "ok.json")
    tr.config.param["loss"].objects.append("exotic")
    try:
        with pytest.raises(ConfigError, match="loss"):
            tr.config.loss = "exotic"
            save_ganlab_model(tr, tmp_path / "bad.json")
    finally:
        tr.config.param["loss"].objects.remove("exotic")


def _copy_fixture(src, dst_dir, name="m"):
    json_path = dst_dir / f"{name}.json"
    shutil.copy(src, json_path)
    shutil.copy(src.with_name("pretrained_line.weights.bin"), dst_dir / "pretrained_line.weights.bin")
    return json_path


def test_corrupt_gan_lab_files_are_refused_clearly(ganlab_line_model, tmp_path):
    good = json.loads(ganlab_line_model.read_text())
    bin_bytes = ganlab_line_model.with_name("pretrained_line.weights.bin").read_bytes()

    def write(doc=None, text=None, bin_data=bin_bytes, name="case"):
        folder = tmp_path / name
        folder.mkdir()
        p = folder / "model.json"
        p.write_text(text if text is not None else json.dumps(doc))
        if bin_data is not None:
            (folder / "pretrained_line.weights.bin").write_bytes(bin_data)
        return p

    cases = {
        "notjson": (write(text="{oops", name="a"), "not JSON"),
        "empty": (write(text="", name="b"), "empty"),
        "truncated": (write(good, bin_data=bin_bytes[:100], name="c"), "truncated"),
        "missingbin": (write(good, bin_data=None, name="d"), "no such file"),
        "extra": (write(good, bin_data=bin_bytes + b"\0" * 8, name="e"), "more than its manifest"),
    }
    wrong_shape = json.loads(json.dumps(good))
    wrong_shape["modelTopology"]["config"]["numGeneratorNeurons"] = 7
    cases["shape"] = (write(wrong_shape, name="f"), "does not match")
    no_noise = json.loads(json.dumps(good))
    del no_noise["modelTopology"]["config"]["selectedNoiseType"]
    cases["nokey"] = (write(no_noise, name="g"), "selectedNoiseType")
    bad_range = json.loads(json.dumps(good))
    bad_range["modelTopology"]["config"]["kDSteps"] = 99
    cases["range"] = (write(bad_range, name="h"), "k_d")
    nan_bin = np.frombuffer(bin_bytes, dtype="<f4").copy()
    nan_bin[3] = np.nan
    cases["nan"] = (write(good, bin_data=nan_bin.tobytes(), name="i"), "NaN")
    for name, (path, words) in cases.items():
        with pytest.raises(ModelFileError, match=words):
            load_ganlab_model(path)


def test_drawing_models_need_their_points(tmp_path):
    tr = Trainer(distribution="drawing", drawn_points=[[0.2, 0.2], [0.8, 0.8]])
    path, _ = save_ganlab_model(tr, tmp_path / "drawn.json")
    with pytest.raises(ModelFileError, match="drawn_points"):
        load_ganlab_model(path)
    back = load_ganlab_model(path, drawn_points=[[0.2, 0.2], [0.8, 0.8]])
    assert back.config.distribution == "drawing"


def test_corrupt_checkpoints_are_refused_clearly(tmp_path):
    tr = Trainer(seed=1)
    good = tr.save(tmp_path / "good.pt")
    data = good.read_bytes()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    (tmp_path / "empty.pt").write_bytes(b"")
    np.savez(tmp_path / "foreign.pt", meta=np.array('{"hello": 1}'))
    np.savez(tmp_path / "arrays.pt", x=np.zeros(3))
    for name in ("trunc.pt", "junk.pt", "empty.pt", "foreign.pt", "arrays.pt", "missing.pt"):
        with pytest.raises(ModelFileError):
            Trainer.load(tmp_path / name)


def test_checkpoint_with_mismatched_shapes_is_refused(tmp_path):
    tr = Trainer(seed=1)
    state = tr.state_dict()
    state["generator"][0] = np.zeros((2, 9), np.float32)
    (tmp_path / "bad.pt").write_bytes(encode_state(state))
    with pytest.raises(ModelFileError, match="shape"):
        Trainer.load(tmp_path / "bad.pt")


def test_a_checkpoint_is_numpys_own_npz_with_no_pickles(tmp_path):
    tr = Trainer(seed=2, d_optimizer="adam")
    tr.train(20)
    with np.load(tr.save(tmp_path / "run.pt"), allow_pickle=False) as npz:
        meta = json.loads(str(npz["meta"]))
        assert meta["format"] == "ganlab-panel-checkpoint" and meta["version"] == 2
        np.testing.assert_array_equal(npz[meta["generator"][0]["__array__"]], tr.generator.weights[0])
        assert json.loads(meta["config"])["d_optimizer"] == "adam"


@pytest.mark.parametrize("settings", [dict(d_optimizer="adam", g_optimizer="adam", g_ema=0.9),
                                      dict(loss="wgan_gp", d_spectral_norm=True, d_optimizer="rmsprop")])
def test_a_first_version_checkpoint_written_by_torch_save_loads_and_continues_exactly(tmp_path, settings):
    torch = pytest.importorskip("torch")
    tr = Trainer(distribution="ring", seed=4, **settings)
    tr.train(30)

    def tensors(value):   # the first version kept tensors where there are arrays now
        if isinstance(value, np.ndarray):
            return torch.from_numpy(value.copy())
        if isinstance(value, dict):
            return {k: tensors(v) for k, v in value.items()}
        if isinstance(value, list):
            return [tensors(v) for v in value]
        return value

    torch.save({**tensors(tr.state_dict()), "version": 1}, tmp_path / "old.pt")
    old = Trainer.load(tmp_path / "old.pt")
    old.train(15)
    tr.train(15)
    for a, b in zip(old.generator.ordered_parameters() + old.discriminator.ordered_parameters(),
                    tr.generator.ordered_parameters() + tr.discriminator.ordered_parameters()):
        np.testing.assert_array_equal(a, b)


def test_loading_a_checkpoint_never_runs_code(tmp_path):
    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('code ran')",))

    import pickle
    (tmp_path / "evil.pt").write_bytes(pickle.dumps({"format": Boom()}))
    with pytest.raises(ModelFileError):
        Trainer.load(tmp_path / "evil.pt")


@pytest.mark.parametrize("setting", [{"d_pack": 2}, {"g_ema": 0.99}, {"d_spectral_norm": True},
                                     {"distribution": "ring8"}])
def test_gan_labs_format_names_the_setting_it_lacks(tmp_path, setting):
    name = next(iter(setting))
    with pytest.raises(ConfigError, match=name):
        save_ganlab_model(Trainer(**setting), tmp_path / "model.json")
    assert not (tmp_path / "model.json").exists()
