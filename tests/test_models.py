import numpy as np
import pytest

from ganlab_panel.engine.models import Discriminator, Generator


@pytest.mark.parametrize("noise_dim, layers, neurons", [(1, 0, 1), (2, 1, 8), (2, 5, 100)])
def test_generator_shapes_follow_gan_labs_layout(noise_dim, layers, neurons):
    g = Generator(noise_dim, layers, neurons, np.random.default_rng(0))
    shapes = [tuple(p.shape) for p in g.ordered_parameters()]
    expected = [(noise_dim, neurons), (neurons,)]
    expected += [(neurons, neurons), (neurons,)] * layers
    expected += [(neurons, 2), (2,)]
    assert shapes == expected
    out = g(np.random.default_rng(0).random((7, noise_dim)))
    assert out.shape == (7, 2)


@pytest.mark.parametrize("layers, neurons", [(0, 3), (1, 8), (5, 100)])
def test_discriminator_shapes_and_probability_output(layers, neurons):
    d = Discriminator(layers, neurons, np.random.default_rng(0))
    shapes = [tuple(p.shape) for p in d.ordered_parameters()]
    expected = [(2, neurons), (neurons,)] + [(neurons, neurons), (neurons,)] * layers + [(neurons, 1), (1,)]
    assert shapes == expected
    x = np.random.default_rng(1).normal(size=(500, 2)) * 10
    p = d(x)
    assert p.shape == (500,) and p.dtype == np.float32
    assert (p >= 0).all() and (p <= 1).all()
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-d.logits(x).astype(np.float64))), rtol=1e-5, atol=1e-7)


def test_generator_output_lies_in_tanh_range():
    g = Generator(2, 2, 50, np.random.default_rng(1))
    out = g(np.random.default_rng(2).random((1000, 2)) * 100)
    assert (np.abs(out) <= 1).all()


def test_init_statistics_are_gan_labs():
    n = 100
    g = Generator(2, 5, n, np.random.default_rng(0))
    d = Discriminator(5, n, np.random.default_rng(1))
    for net in (g, d):
        ws = net.weights
        first = ws[0].ravel()
        rest = np.concatenate([w.ravel() for w in ws[1:]])
        assert abs(first.mean()) < 0.1
        assert first.std() == pytest.approx(1 / np.sqrt(2), rel=0.12)  # only 2 x 100 values
        assert abs(rest.mean()) < 0.005
        assert rest.std() == pytest.approx(1 / np.sqrt(n), rel=0.02)
        for b in net.biases:
            assert (b == 0).all()


def test_same_rng_same_network():
    a = Generator(2, 1, 8, np.random.default_rng(5))
    b = Generator(2, 1, 8, np.random.default_rng(5))
    c = Generator(2, 1, 8, np.random.default_rng(6))
    for pa, pb in zip(a.ordered_parameters(), b.ordered_parameters()):
        np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_a_packed_discriminator_judges_consecutive_samples_side_by_side():
    d = Discriminator(1, 6, np.random.default_rng(0), pack=3)
    assert d.weights[0].shape == (6, 6)                   # 3 samples of 2 coordinates each
    x = np.arange(14, dtype=np.float32).reshape(7, 2)
    packs = d.pack(x)
    assert packs.shape == (2, 6)                          # 7 samples make 2 packs; the 7th is left out
    np.testing.assert_array_equal(packs[1], x[3:6].reshape(-1))
    # a single point is judged as a pack of copies of itself
    np.testing.assert_array_equal(d.logits(x[:2]), d.packed_logits(np.concatenate([x[:2]] * 3, axis=1)))
    assert d.pack(x[:2]).shape == (1, 6)                  # too few samples: cycled into one pack
    plain = Discriminator(1, 6, np.random.default_rng(0))
    assert plain.pack(x) is x and plain.packing == 1


@pytest.mark.parametrize("critic", [False, True])
@pytest.mark.parametrize("options", [{}, {"pack": 3}, {"spectral_norm": True}])
def test_ds_output_and_its_pull_on_each_point_match_pytorchs_autograd(critic, options):
    """The arrows the views draw: d(D's shown output)/d(point), by hand in
    NumPy, against autograd through the same numbers in PyTorch."""
    torch = pytest.importorskip("torch")
    d = Discriminator(2, 7, np.random.default_rng(3), **options)
    for b in d.biases:
        b[...] = np.random.default_rng(4).normal(size=b.shape) * 0.3
    x = np.random.default_rng(5).random((40, 2)).astype(np.float32)
    out, grad = d.output_and_gradients(x, critic)

    ws = [torch.from_numpy(w.astype(np.float64)) for w in d.effective_weights()]
    bs = [torch.from_numpy(b.astype(np.float64)) for b in d.biases]
    points = torch.from_numpy(x.astype(np.float64)).requires_grad_(True)
    h = points.repeat(1, d.packing)
    for i, (w, b) in enumerate(zip(ws, bs)):
        h = h @ w + b
        if i < len(ws) - 1:
            h = torch.relu(h)
    shown = h[:, 0] if critic else torch.sigmoid(h[:, 0])
    (expected,) = torch.autograd.grad(shown.sum(), points)
    np.testing.assert_allclose(out, shown.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, expected.numpy(), rtol=1e-4, atol=1e-6)
    assert np.abs(grad).max() > 1e-3                        # a pull worth drawing, not zeros


def test_spectral_normalisation_divides_each_weight_by_its_largest_singular_value():
    d = Discriminator(2, 16, np.random.default_rng(0), spectral_norm=True)
    for _ in range(40):
        d.power_iteration()
    for w in d.effective_weights():
        assert np.linalg.norm(w, ord=2) == pytest.approx(1.0, abs=1e-3)
    assert d.copy().sn_vectors()[0] is not d.sn_vectors()[0]


@pytest.mark.parametrize("noise_dim, layers, neurons", [(1, 0, 3), (2, 1, 8), (4, 2, 16)])
def test_generator_stretch_is_the_norm_of_its_jacobian(noise_dim, layers, neurons):
    torch = pytest.importorskip("torch")
    g = Generator(noise_dim, layers, neurons, np.random.default_rng(3))
    z = np.random.default_rng(4).random((40, noise_dim)).astype(np.float32)

    def g_torch(noise):
        h = noise
        for i, (w, b) in enumerate(zip(g.weights, g.biases)):
            h = h @ torch.from_numpy(w) + torch.from_numpy(b)
            h = torch.relu(h) if i < g.num_layers - 1 else torch.tanh(h)
        return h

    expected = [torch.linalg.norm(torch.autograd.functional.jacobian(g_torch, torch.from_numpy(row))).item()
                for row in z]
    np.testing.assert_allclose(g.stretch(z), expected, rtol=1e-5, atol=1e-7)
