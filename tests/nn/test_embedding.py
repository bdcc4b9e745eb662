"""Embedding against torch.nn.Embedding with the same weights: lookups, gradients (only the
rows used, repeated indices accumulated, never the padding row), max_norm renormalization,
scale_grad_by_freq, from_pretrained, init, errors."""
import numpy as np
import pytest
import torch

import brique
import brique.nn as nn

INDICES = np.array([[1, 3, 3, 0], [7, 3, 1, 1], [0, 0, 9, 2]], dtype=np.int64)


def pair(np_dtype=np.float64, **kwargs):
    t_dtype = torch.float64 if np_dtype == np.float64 else torch.float32
    t = torch.nn.Embedding(10, 4, dtype=t_dtype, **kwargs)
    with torch.no_grad():  # a nonzero padding row too: the forward must still return it
        t.weight.copy_(torch.tensor(np.random.default_rng(0).normal(size=(10, 4))))
    b = nn.Embedding(10, 4, dtype=brique.float64 if np_dtype == np.float64 else brique.float32,
                     **kwargs)
    b.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return b, t


def run(b, t, idx=INDICES):
    bo, to = b(brique.tensor(idx)), t(torch.tensor(idx))
    g = np.random.default_rng(1).normal(size=tuple(to.shape))
    bo.backward(brique.tensor(g.astype(bo.dtype)))
    to.backward(torch.tensor(g, dtype=to.dtype))
    return bo.detach().numpy(), to.detach().numpy(), b.weight.grad.numpy(), t.weight.grad.numpy()


@pytest.mark.parametrize("np_dtype,rtol", [(np.float64, 1e-12), (np.float32, 1e-6)])
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 3}, {"padding_idx": -1},
                                    {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_matches_torch(kwargs, np_dtype, rtol):
    b, t = pair(np_dtype, **kwargs)
    bo, to, bg, tg = run(b, t)
    assert bo.shape == (3, 4, 4) and bo.dtype == np_dtype
    np.testing.assert_allclose(bo, to, rtol=rtol)
    np.testing.assert_allclose(bg, tg, rtol=rtol, atol=1e-7)
    unused = [i for i in range(10) if i not in INDICES]
    assert (bg[unused] == 0).all()
    if "padding_idx" in kwargs:
        assert (bg[kwargs["padding_idx"]] == 0).all()


@pytest.mark.parametrize("kwargs", [{"max_norm": 1.0}, {"max_norm": 1.5, "norm_type": 1.0},
                                    {"max_norm": 0.8, "norm_type": float("inf")}])
def test_max_norm_renormalizes_the_rows_used(kwargs):
    b, t = pair(**kwargs)
    bo, to, bg, tg = run(b, t)
    np.testing.assert_allclose(bo, to, rtol=1e-6)
    np.testing.assert_allclose(bg, tg, rtol=1e-6)
    np.testing.assert_allclose(b.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)
    norms = np.linalg.norm(b.weight.detach().numpy(), ord=kwargs.get("norm_type", 2), axis=1)
    assert (norms[np.unique(INDICES)] <= kwargs["max_norm"] + 1e-6).all()


def test_any_index_shape():
    b, t = pair()
    for idx in (np.array(4), np.array([5, 5]), INDICES[None]):
        bo, to, _, _ = run(b, t, idx)
        np.testing.assert_allclose(bo, to)
        b.zero_grad()
        t.zero_grad()


def test_init_is_standard_normal_with_zero_padding_row():
    brique.manual_seed(0)
    e = nn.Embedding(1000, 64, padding_idx=5)
    w = e.weight.detach().numpy()
    assert w.dtype == np.float32 and w.shape == (1000, 64)
    assert (w[5] == 0).all()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1.0) < 0.01
    assert repr(e) == repr(torch.nn.Embedding(1000, 64, padding_idx=5))
    assert list(e.state_dict()) == ["weight"]


def test_from_pretrained():
    table = brique.randn(6, 3)
    e = nn.Embedding.from_pretrained(table)
    assert not e.weight.requires_grad
    np.testing.assert_array_equal(e(brique.tensor([2, 5])).numpy(), table.numpy()[[2, 5]])
    e = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    out = e(brique.tensor([1, 2, 1]))
    out.sum().backward()
    assert e.weight.requires_grad and (e.weight.grad.numpy()[1] == 0).all()
    assert (e.weight.grad.numpy()[2] == 1).all()
    with pytest.raises(ValueError, match="must be 2-D"):
        nn.Embedding.from_pretrained(brique.randn(6))


def test_trains_with_sgd():
    brique.manual_seed(0)
    e = nn.Embedding(5, 2, padding_idx=0)
    before = e.weight.detach().numpy().copy()
    opt = brique.optim.SGD(e.parameters(), lr=0.5)
    loss = (e(brique.tensor([0, 1, 1, 4])) ** 2).sum()
    loss.backward()
    opt.step()
    after = e.weight.detach().numpy()
    np.testing.assert_array_equal(after[[0, 2, 3]], before[[0, 2, 3]])
    np.testing.assert_allclose(after[1], before[1] * (1 - 0.5 * 2 * 2), rtol=1e-6)


def test_errors():
    e = nn.Embedding(10, 3)
    with pytest.raises(TypeError, match="embedding: indices must be an integer"):
        e(brique.tensor([1.0, 2.0]))
    with pytest.raises(IndexError, match="embedding: index 10 is out of range for 10"):
        e(brique.tensor([1, 10]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        e(brique.tensor([-1]))
    with pytest.raises(ValueError, match="padding_idx must be within"):
        nn.Embedding(10, 3, padding_idx=10)
    with pytest.raises(ValueError, match="_weight of shape"):
        nn.Embedding(10, 3, _weight=brique.randn(3, 10))
