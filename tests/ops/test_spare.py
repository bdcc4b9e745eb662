"""Spare column buffers (brique/ops/_spare.py): kept between steps, handed to the next im2col
of the same shape, never while in use, and they change no result."""
import numpy as np
import pytest

import brique
from brique import nn
from brique.ops import _spare


@pytest.fixture
def pool(monkeypatch):
    monkeypatch.setattr(_spare, "MIN_BYTES", 0)
    _spare.clear()
    yield _spare
    _spare.clear()


def test_a_given_buffer_is_taken_by_the_next_request_of_its_shape(pool):
    a = np.empty((4, 5), np.float32)
    pool.give(a)
    assert pool.empty(np, (4, 6), np.float32) is not a
    assert pool.empty(np, (4, 5), np.float64) is not a
    assert pool.empty(np, (4, 5), np.float32) is a
    assert pool.empty(np, (4, 5), np.float32) is not a      # taken once only


def test_views_small_arrays_and_overflow_are_not_kept(pool, monkeypatch):
    base = np.empty((4, 8), np.float32)
    pool.give(base[:, :4])                                   # a view: its base lives on
    assert pool.empty(np, (4, 4), np.float32).base is None
    monkeypatch.setattr(pool, "MIN_BYTES", 1000)
    small = np.empty(10, np.float32)
    pool.give(small)
    assert pool.empty(np, (10,), np.float32) is not small
    monkeypatch.setattr(pool, "MIN_BYTES", 0)
    monkeypatch.setattr(pool, "MAX_BYTES", 100)
    big = np.empty(100, np.float32)                          # 400 bytes > MAX_BYTES
    pool.give(big)
    assert pool.empty(np, (100,), np.float32) is not big


def _step(model, x):
    model.zero_grad()
    xt = brique.tensor(x, requires_grad=True)
    model(xt).square().sum().backward()
    return [xt.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]


def test_training_steps_that_reuse_columns_compute_the_same(pool, monkeypatch):
    rng = np.random.default_rng(0)
    brique.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, 1, 1),
                          nn.ReLU(), nn.Conv2d(8, 4, 3, 2, 1))
    x1, x2 = (rng.standard_normal((6, 3, 10, 10)).astype(np.float32) for _ in range(2))
    _step(model, x1)
    assert pool.held() > 0                                 # the first step left columns
    reused = _step(model, x2)
    monkeypatch.setattr(pool, "MAX_BYTES", 0)
    pool.clear()
    fresh = _step(model, x2)
    for a, b in zip(reused, fresh):
        np.testing.assert_array_equal(a, b)
