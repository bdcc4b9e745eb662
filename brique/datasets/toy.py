"""Generated 2-D classification sets for first experiments and decision-boundary plots.

Each `make_*` returns `(X, y)`: X float32 (n_samples, 2), y int64 (n_samples,), drawn from
`numpy.random.default_rng(seed)`, so the same seed gives the same set. `noise` is the
standard deviation of Gaussian noise added to the points (labels are those of the clean
points).
"""
from __future__ import annotations

import numpy as np


def _finish(X, y, noise, rng):
    X = np.asarray(X, dtype=np.float64)
    if noise:
        X = X + rng.normal(0.0, noise, size=X.shape)
    return X.astype(np.float32), np.asarray(y, dtype=np.int64)


def _check(n_samples, noise):
    if not isinstance(n_samples, (int, np.integer)) or n_samples <= 0:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")


def make_xor(n_samples=200, noise=0.0, seed=0):
    """Points uniform in [-1, 1]^2; y = 1 where the two coordinates have opposite signs."""
    _check(n_samples, noise)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    return _finish(X, (X[:, 0] * X[:, 1] < 0), noise, rng)


def make_circle(n_samples=200, noise=0.0, seed=0):
    """The unit-circle problem: points uniform in [-1.25, 1.25]^2, y = 1 where |x|^2 > 1
    (outside the unit circle). The square's half-side sqrt(pi / 2) makes the classes
    balanced on average."""
    _check(n_samples, noise)
    rng = np.random.default_rng(seed)
    half = np.sqrt(np.pi / 2)
    X = rng.uniform(-half, half, size=(n_samples, 2))
    return _finish(X, (X ** 2).sum(1) > 1.0, noise, rng)


def make_circles(n_samples=200, noise=0.0, factor=0.5, seed=0):
    """Two concentric circles (scikit-learn's make_circles): the outer of radius 1 is class
    0, the inner of radius `factor` class 1."""
    _check(n_samples, noise)
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must lie in (0, 1), got {factor}")
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    angle = rng.uniform(0.0, 2 * np.pi, size=n_samples)
    radius = np.where(np.arange(n_samples) < n_out, 1.0, factor)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1)
    return _finish(X, np.arange(n_samples) >= n_out, noise, rng)


def make_moons(n_samples=200, noise=0.0, seed=0):
    """Two interleaving half circles (scikit-learn's make_moons)."""
    _check(n_samples, noise)
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    t = rng.uniform(0.0, np.pi, size=n_samples)
    upper = np.arange(n_samples) < n_out
    X = np.where(upper[:, None], np.stack([np.cos(t), np.sin(t)], 1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
    return _finish(X, ~upper, noise, rng)


def make_spirals(n_samples=300, noise=0.0, n_classes=2, turns=1.0, seed=0):
    """`n_classes` interleaved spiral arms (the CS231n spiral set), radius 0 to 1."""
    _check(n_samples, noise)
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_classes
    r = rng.uniform(0.0, 1.0, size=n_samples)
    angle = 2 * np.pi * (turns * r + y / n_classes)
    X = np.stack([r * np.cos(angle), r * np.sin(angle)], 1)
    return _finish(X, y, noise, rng)


def make_blobs(n_samples=300, noise=1.0, centers=3, center_box=(-5.0, 5.0), seed=0):
    """Gaussian blobs of standard deviation `noise` around `centers` points (an int: that
    many centers uniform in `center_box`; or an array of shape (k, 2))."""
    _check(n_samples, noise)
    rng = np.random.default_rng(seed)
    if np.isscalar(centers):
        centers = rng.uniform(*center_box, size=(int(centers), 2))
    centers = np.asarray(centers, dtype=np.float64)
    y = np.arange(n_samples) % len(centers)
    return _finish(centers[y], y, noise, rng)


GENERATORS = {"xor": make_xor, "circle": make_circle, "circles": make_circles,
              "moons": make_moons, "spirals": make_spirals, "blobs": make_blobs}
