"""The remaining 3-D layers (padding, AdaptiveMaxPool3d, LPPool3d, LazyConvTranspose3d) and
index_reduce, against PyTorch: outputs, gradients, state_dict loading and bad inputs."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import brique as B
import brique.nn as nn
from brique.nn import _functional_volume as FV

pytestmark = pytest.mark.filterwarnings("ignore:index_reduce")   # torch: "... is in beta"
RNG = np.random.default_rng(0)
X5 = RNG.standard_normal((2, 3, 4, 5, 6))


def _pair(x):
    return (B.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True))


def _same_fwd_bwd(b_out, t_out, b_in, t_in):
    g = RNG.standard_normal(tuple(t_out.shape))
    (b_out * B.tensor(g)).sum().backward()
    (t_out * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(b_out.detach().numpy(), t_out.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(b_in.grad.numpy(), t_in.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("name,args", [
    ("ZeroPad3d", (2,)), ("ConstantPad3d", ((1, 0, 2, 1, 0, 3), -1.5)),
    ("ReflectionPad3d", ((1, 2, 0, 3, 2, 1),)), ("ReplicationPad3d", (2,)),
    ("CircularPad3d", ((1, 2, 3, 0, 2, 1),))])
@pytest.mark.parametrize("batched", [True, False])
def test_pad3d_layers(name, args, batched):
    x = X5 if batched else X5[0]
    bx, tx = _pair(x)
    b_layer, t_layer = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(b_layer) == repr(t_layer)
    _same_fwd_bwd(b_layer(bx), t_layer(tx), bx, tx)


def test_pad3d_bad_padding():
    with pytest.raises(ValueError, match="ZeroPad3d.*6 ints"):
        nn.ZeroPad3d((1, 2, 3, 4))


@pytest.mark.parametrize("size", [(2, 3, 4), 1, (None, 2, 5), (4, 5, 6), (3, 4, 4)])
@pytest.mark.parametrize("batched", [True, False])
def test_adaptive_max_pool3d(size, batched):
    x = X5 if batched else X5[0]
    bx, tx = _pair(x)
    bv, bi = nn.AdaptiveMaxPool3d(size, return_indices=True)(bx)
    tv, ti = torch.nn.AdaptiveMaxPool3d(size, return_indices=True)(tx)
    np.testing.assert_array_equal(bi.numpy(), ti.numpy())
    assert bi.dtype == B.int64
    _same_fwd_bwd(bv, tv, bx, tx)


def test_adaptive_max_pool3d_ties_and_functional():
    x = np.zeros((1, 1, 3, 3, 3))   # every window a tie: the first maximum wins, as torch
    v, i = FV.adaptive_max_pool3d_with_indices(B.tensor(x), 2, False)
    tv, ti = torch.nn.functional.adaptive_max_pool3d_with_indices(torch.tensor(x), 2)
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    assert FV.adaptive_max_pool3d(B.tensor(x), (0, 2, 2)).shape == (1, 1, 0, 2, 2)


def test_adaptive_max_pool3d_bad_inputs():
    with pytest.raises(RuntimeError, match="adaptive_max_pool3d.*4-D.*5-D"):
        FV.adaptive_max_pool3d(B.ones(2, 3, 4), 2)
    with pytest.raises(RuntimeError, match="adaptive_max_pool3d.*int64"):
        FV.adaptive_max_pool3d(B.ones(1, 2, 3, 4, 5, dtype=B.int64), 2)
    with pytest.raises(ValueError, match="output_size must have 3"):
        FV.adaptive_max_pool3d(B.ones(1, 2, 3, 4, 5), (2, 2))
    with pytest.raises(ValueError, match="nn.AdaptiveMaxPool3d|AdaptiveMaxPool3d|rank"):
        nn.AdaptiveMaxPool3d(2)(B.ones(2, 3, 4))


@pytest.mark.parametrize("p,k,s,ceil", [(2, 2, None, False), (1.5, (2, 3, 2), 1, False),
                                        (3, 3, 2, True), (float("inf"), 2, 1, False)])
def test_lp_pool3d(p, k, s, ceil):
    bx, tx = _pair(np.abs(X5) + 0.1)
    b_layer, t_layer = nn.LPPool3d(p, k, s, ceil), torch.nn.LPPool3d(p, k, s, ceil)
    assert repr(b_layer) == repr(t_layer)
    _same_fwd_bwd(b_layer(bx), t_layer(tx), bx, tx)


def test_lp_pool3d_bad_inputs():
    with pytest.raises(ValueError, match="lp_pool3d.*smaller than kernel_size"):
        FV.lp_pool3d(B.ones(1, 2, 3, 4, 5), 2, 4)
    with pytest.raises(ValueError, match="lp_pool3d.*kernel_size"):
        FV.lp_pool3d(B.ones(1, 2, 3, 4, 5), 2, (2, 2))


def test_lazy_conv_transpose3d_state_dict():
    t_layer = torch.nn.ConvTranspose3d(3, 4, (2, 3, 2), stride=(2, 1, 1), padding=1,
                                       output_padding=(1, 0, 0)).double()
    b_layer = nn.LazyConvTranspose3d(4, (2, 3, 2), stride=(2, 1, 1), padding=1,
                                     output_padding=(1, 0, 0), dtype=B.float64)
    bx, tx = _pair(X5[:, :, :3, :4, :4])
    b_layer(bx)   # the dry run that gives the parameters their shapes
    assert type(b_layer) is nn.ConvTranspose3d and b_layer.weight.shape == (3, 4, 2, 3, 2)
    b_layer.load_state_dict({k: B.tensor(v.detach().numpy()) for k, v in
                             t_layer.state_dict().items()})
    _same_fwd_bwd(b_layer(bx), t_layer(tx), bx, tx)
    with pytest.raises(ValueError, match="LazyConvTranspose3d.*rank 4.*5"):
        nn.LazyConvTranspose3d(2, 2)(B.ones(2, 3))


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, -1])
def test_index_reduce(reduce, include_self, dim):
    x = RNG.standard_normal((4, 3, 5))
    index = np.array([0, 2, 2, 3, 0, 1])[: 5 if dim else 6] % x.shape[dim]
    shape = list(x.shape)
    shape[dim] = len(index)
    source = RNG.standard_normal(shape)
    (bx, tx), (bs, ts) = _pair(x), _pair(source)
    out = bx.index_reduce(dim, B.tensor(index), bs, reduce, include_self=include_self)
    t_out = tx.index_reduce(dim, torch.tensor(index), ts, reduce, include_self=include_self)
    _same_fwd_bwd(out, t_out, bx, tx)
    np.testing.assert_allclose(bs.grad.numpy(), ts.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_index_reduce_ties_grad(reduce):
    x, s = np.array([[1.0, 2.0], [3.0, 3.0]]), np.array([[1.0, 2.0], [1.0, 5.0]])
    (bx, tx), (bs, ts) = _pair(x), _pair(s)
    out = B.index_reduce(bx, 0, B.tensor([0, 0]), bs, reduce)
    t_out = torch.index_reduce(tx, 0, torch.tensor([0, 0]), ts, reduce)
    _same_fwd_bwd(out, t_out, bx, tx)
    np.testing.assert_allclose(bs.grad.numpy(), ts.grad.numpy())


def test_index_reduce_integer_inplace_and_scalar():
    x = torch.tensor([[5, 6], [7, 8]])
    src, idx = torch.tensor([[-2, 3], [-4, 4]]), torch.tensor([0, 0])
    b = B.tensor(x.numpy())
    out = b.index_reduce_(0, B.tensor(idx.numpy()), B.tensor(src.numpy()), "mean",
                          include_self=False)
    assert out is b
    np.testing.assert_array_equal(b.numpy(), x.index_reduce(0, idx, src, "mean",
                                                            include_self=False).numpy())
    assert B.tensor(2.0).index_reduce(0, B.tensor([0]), B.tensor(3.0), "prod").item() == 6.0


def test_index_reduce_bad_inputs():
    x, s = B.zeros(3, 4), B.ones(2, 4)
    with pytest.raises(RuntimeError, match="reduce must be one of prod, mean, amax, amin"):
        x.index_reduce(0, B.tensor([0, 1]), s, "sum")
    with pytest.raises(IndexError, match="index_reduce.*out of bounds"):
        x.index_reduce(0, B.tensor([0, 3]), s, "prod")
    with pytest.raises(TypeError, match="index_reduce: index must be an integer"):
        x.index_reduce(0, B.tensor([0.0, 1.0]), s, "prod")
    with pytest.raises(IndexError, match="index_reduce: index must be a vector"):
        x.index_reduce(0, B.tensor([[0, 1]]), s, "prod")
    with pytest.raises(RuntimeError, match="index_reduce.*same dtype"):
        x.index_reduce(0, B.tensor([0, 1]), s.double(), "prod")
    with pytest.raises(RuntimeError, match=r"index_reduce: source of shape \(2, 4\).*\(3, 4\)"):
        x.index_reduce(0, B.tensor([0, 1, 2]), s, "prod")
    with pytest.raises(IndexError):
        x.index_reduce(2, B.tensor([0, 1]), s, "prod")
