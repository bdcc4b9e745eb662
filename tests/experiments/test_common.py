"""The experiments' shared toolkit: one mnist-5k loader with explicit scaling, smoothing."""
import numpy as np
import pytest

from brique.experiments._common import mnist_subset, smooth, standardize


def test_mnist_subset_scalings_and_shapes():
    rng = np.random.default_rng(0)
    unit, y = mnist_subset(False, 50, rng, scale="unit")
    assert unit.shape == (50, 1, 28, 28) and unit.dtype == np.float32 and y.dtype == np.int64
    assert unit.min() == 0.0 and unit.max() == 1.0
    signed, _ = mnist_subset(False, 50, np.random.default_rng(0), scale="signed", flat=True)
    assert signed.shape == (50, 784)
    np.testing.assert_allclose(signed, unit.reshape(50, -1) * 2 - 1, atol=1e-6)
    normed, _ = mnist_subset(False, 50, np.random.default_rng(0), scale=(0.5, 0.25))
    np.testing.assert_allclose(normed, (unit - 0.5) / 0.25, atol=1e-5)


def test_mnist_subset_picks():
    everything, y = mnist_subset(False, scale="unit")
    chosen, yc = mnist_subset(False, 100, np.random.default_rng(1), scale="unit")
    assert len(everything) == len(y) > 100 and len(chosen) == 100
    perm, _ = mnist_subset(False, 100, np.random.default_rng(1), scale="unit", pick="permutation")
    assert not np.array_equal(perm, chosen)   # two different draws, each reproducible
    again, _ = mnist_subset(False, 100, np.random.default_rng(1), scale="unit", pick="permutation")
    assert np.array_equal(perm, again)
    with pytest.raises(ValueError, match="scale"):
        mnist_subset(False, scale="raw")
    with pytest.raises(ValueError, match="pick"):
        mnist_subset(False, 10, np.random.default_rng(0), scale="unit", pick="first")


def test_standardize_uses_the_first_arrays_statistics():
    a, b = np.arange(10.0), np.arange(5.0)
    sa, sb, (mean, std) = standardize(a, b)
    assert sa.mean() == pytest.approx(0) and sa.std() == pytest.approx(1)
    np.testing.assert_allclose(sb, (b - 4.5) / a.std())


def test_smooth_is_a_running_mean_of_the_same_length():
    np.testing.assert_allclose(smooth([2, 4, 6, 8], 2), [2, 3, 5, 7])
