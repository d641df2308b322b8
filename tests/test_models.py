import numpy as np
import pytest
import torch

from ganlab_panel.engine.models import Discriminator, Generator


@pytest.mark.parametrize("noise_dim, layers, neurons", [(1, 0, 1), (2, 1, 8), (2, 5, 100)])
def test_generator_shapes_follow_gan_labs_layout(noise_dim, layers, neurons):
    g = Generator(noise_dim, layers, neurons, np.random.default_rng(0))
    shapes = [tuple(p.shape) for p in g.ordered_parameters()]
    expected = [(noise_dim, neurons), (neurons,)]
    expected += [(neurons, neurons), (neurons,)] * layers
    expected += [(neurons, 2), (2,)]
    assert shapes == expected
    out = g(torch.rand(7, noise_dim))
    assert out.shape == (7, 2)


@pytest.mark.parametrize("layers, neurons", [(0, 3), (1, 8), (5, 100)])
def test_discriminator_shapes_and_probability_output(layers, neurons):
    d = Discriminator(layers, neurons, np.random.default_rng(0))
    shapes = [tuple(p.shape) for p in d.ordered_parameters()]
    expected = [(2, neurons), (neurons,)] + [(neurons, neurons), (neurons,)] * layers + [(neurons, 1), (1,)]
    assert shapes == expected
    x = torch.randn(500, 2) * 10
    p = d(x)
    assert p.shape == (500,)
    assert (p >= 0).all() and (p <= 1).all()
    torch.testing.assert_close(p, torch.sigmoid(d.logits(x)))


def test_generator_output_lies_in_tanh_range():
    g = Generator(2, 2, 50, np.random.default_rng(1))
    out = g(torch.rand(1000, 2) * 100)
    assert (out.abs() <= 1).all()


def test_init_statistics_are_gan_labs():
    n = 100
    g = Generator(2, 5, n, np.random.default_rng(0))
    d = Discriminator(5, n, np.random.default_rng(1))
    for net in (g, d):
        ws = net.weights
        first = ws[0].detach().numpy().ravel()
        rest = np.concatenate([w.detach().numpy().ravel() for w in ws[1:]])
        assert abs(first.mean()) < 0.1
        assert first.std() == pytest.approx(1 / np.sqrt(2), rel=0.12)  # only 2 x 100 values
        assert abs(rest.mean()) < 0.005
        assert rest.std() == pytest.approx(1 / np.sqrt(n), rel=0.02)
        for b in net.biases:
            assert (b.detach() == 0).all()


def test_same_rng_same_network():
    a = Generator(2, 1, 8, np.random.default_rng(5))
    b = Generator(2, 1, 8, np.random.default_rng(5))
    c = Generator(2, 1, 8, np.random.default_rng(6))
    for pa, pb in zip(a.ordered_parameters(), b.ordered_parameters()):
        torch.testing.assert_close(pa, pb)
    assert not torch.equal(a.weights[0], c.weights[0])


def test_a_packed_discriminator_judges_consecutive_samples_side_by_side():
    d = Discriminator(1, 6, np.random.default_rng(0), pack=3)
    assert d.weights[0].shape == (6, 6)                   # 3 samples of 2 coordinates each
    x = torch.arange(14, dtype=torch.float32).reshape(7, 2)
    packs = d.pack(x)
    assert packs.shape == (2, 6)                          # 7 samples make 2 packs; the 7th is left out
    torch.testing.assert_close(packs[1], x[3:6].reshape(-1))
    # a single point is judged as a pack of copies of itself
    torch.testing.assert_close(d.logits(x[:2]), d.packed_logits(torch.cat([x[:2]] * 3, dim=1)))
    assert d.pack(x[:2]).shape == (1, 6)                  # too few samples: cycled into one pack
    plain = Discriminator(1, 6, np.random.default_rng(0))
    assert plain.pack(x) is x and plain.packing == 1
