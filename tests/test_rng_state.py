"""brique.random and the top-level RNG state: get/set_rng_state round trips exactly, so every
draw after a restore repeats; fork_rng, default_generator, cuda's state without a GPU; the
random in-place fills."""
import numpy as np
import pytest

import brique
import brique.nn.functional as F
from brique.utils.data import DataLoader, TensorDataset

torch = pytest.importorskip("torch")


def draws():
    ds = TensorDataset(brique.arange(10))
    order = [b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True)]
    return [brique.rand(3), brique.randn(2, 2), brique.randint(0, 100, (5,)), brique.randperm(7),
            F.dropout(brique.ones(16), 0.5), brique.zeros(4).random_(0, 50),
            brique.tensor(order)]


def test_set_rng_state_repeats_every_draw():
    brique.manual_seed(3)
    brique.rand(5)  # move away from the seed's start
    state = brique.get_rng_state()
    first = draws()
    brique.set_rng_state(state)
    again = draws()
    assert all(brique.equal(a, b) for a, b in zip(first, again))
    assert state.dtype == brique.uint8 and state.ndim == 1
    assert brique.equal(brique.get_rng_state(), brique.random.get_rng_state())


def test_state_round_trips_exactly_and_is_a_copy():
    brique.manual_seed(11)
    brique.randn(3)  # a normal draw can leave a buffered half-word in the state
    state = brique.get_rng_state()
    brique.set_rng_state(state)
    assert brique.equal(brique.get_rng_state(), state)
    brique.rand(4)
    assert not brique.equal(brique.get_rng_state(), state)  # the saved tensor did not move


def test_set_rng_state_rejects_foreign_states():
    with pytest.raises(RuntimeError, match="uint8 tensor of shape"):
        brique.set_rng_state(brique.zeros(48))
    with pytest.raises(RuntimeError, match="PyTorch state"):
        brique.set_rng_state(brique.tensor(torch.get_rng_state().numpy()))
    with pytest.raises(TypeError, match="expected a uint8 tensor"):
        brique.set_rng_state([0] * 48)
    bad = brique.get_rng_state().clone()
    bad[32] = 7  # has_uint32 must be 0 or 1
    with pytest.raises(RuntimeError, match="corrupted"):
        brique.set_rng_state(bad)


def test_initial_seed_and_seed():
    assert brique.random.manual_seed(1234) is brique.default_generator
    assert brique.initial_seed() == 1234 == brique.random.initial_seed()
    s = brique.random.seed()
    assert brique.initial_seed() == s
    state = brique.get_rng_state()
    brique.manual_seed(5)
    brique.set_rng_state(state)
    assert brique.initial_seed() == s  # restored with the state, as PyTorch's


def test_fork_rng_restores_the_state():
    brique.manual_seed(0)
    with brique.random.fork_rng():
        inside = brique.rand(3)
        brique.manual_seed(99)
        brique.rand(2)
    after = brique.rand(3)
    assert brique.equal(inside, after)
    assert brique.initial_seed() == 0
    with brique.random.fork_rng(enabled=False):
        brique.rand(1)
    assert not brique.equal(brique.rand(3), after)


def test_default_generator_is_the_global_state():
    g = brique.default_generator
    assert g.manual_seed(7) is g and g.initial_seed() == 7
    state = g.get_state()
    first = brique.rand(3)
    g.set_state(state)
    assert brique.equal(first, brique.rand(3))
    ds = TensorDataset(brique.arange(8))
    g.manual_seed(1)
    a = [b[0].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True, generator=g)]
    g.manual_seed(1)
    b = [b[0].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True, generator=g)]
    assert a == b


def test_cuda_rng_state_without_a_gpu_matches_torch_cpu_build():
    if brique.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        brique.cuda.get_rng_state()
    assert brique.cuda.get_rng_state_all() == [] == torch.cuda.get_rng_state_all()
    assert brique.cuda.set_rng_state(brique.get_rng_state()) is None
    brique.cuda.set_rng_state_all([])


# ---------------------------------------------------------------------- random fills
def test_random_fill_ranges():
    brique.manual_seed(0)
    x = brique.zeros(2000).random_(3, 7)
    assert set(x.tolist()) == {3.0, 4.0, 5.0, 6.0}
    assert set(brique.zeros(500, dtype=brique.int64).random_(4).tolist()) == {0, 1, 2, 3}
    assert set(brique.zeros(100, dtype=brique.bool).random_().tolist()) == {False, True}
    big = brique.zeros(1000).random_()
    assert 0 <= big.min().item() and big.max().item() <= 2 ** 24
    u8 = brique.zeros(1000, dtype=brique.uint8).random_()
    assert u8.dtype == brique.uint8 and u8.max().item() > 200
    assert brique.zeros(3).random_(**{"from": 2, "to": 3}).tolist() == [2.0] * 3


def test_distribution_fills_have_the_right_moments():
    brique.manual_seed(1)
    n = 20000
    e = brique.zeros(n, dtype=brique.float64).exponential_(2.0)
    assert e.min().item() >= 0 and abs(e.mean().item() - 0.5) < 0.02
    g = brique.zeros(n).geometric_(0.25)
    assert g.min().item() == 1 and abs(g.mean().item() - 4.0) < 0.15
    ln = brique.zeros(n, dtype=brique.float64).log_normal_(0.0, 0.5)
    assert abs(ln.log().mean().item()) < 0.02 and abs(ln.log().std().item() - 0.5) < 0.02
    c = brique.zeros(n, dtype=brique.float64).cauchy_(3.0, 1.0)
    assert abs(c.median().item() - 3.0) < 0.1


def test_fills_are_reproducible_and_take_a_generator():
    brique.manual_seed(2)
    a = brique.zeros(5).exponential_()
    brique.manual_seed(2)
    assert brique.equal(a, brique.zeros(5).exponential_())
    g1 = brique.Generator().manual_seed(9)
    g2 = brique.Generator().manual_seed(9)
    assert brique.equal(brique.zeros(4).cauchy_(generator=g1), brique.zeros(4).cauchy_(
        generator=g2))


def test_fill_bad_arguments():
    with pytest.raises(RuntimeError, match="from.*<.*to"):
        brique.zeros(3).random_(5, 2)
    with pytest.raises(RuntimeError, match="does not fit"):
        brique.zeros(3, dtype=brique.int8).random_(0, 1000)
    with pytest.raises(RuntimeError, match="lambd > 0"):
        brique.zeros(3).exponential_(0)
    with pytest.raises(RuntimeError, match="0 < p < 1"):
        brique.zeros(3).geometric_(1.5)
    with pytest.raises(RuntimeError, match="std > 0"):
        brique.zeros(3).log_normal_(0, -1)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        brique.zeros(3, requires_grad=True).exponential_()
    with pytest.raises(TypeError, match="unexpected keyword"):
        brique.zeros(3).random_(high=3)
    np.testing.assert_array_equal(brique.zeros(2).uniform_(1, 1).numpy(), [1, 1])
