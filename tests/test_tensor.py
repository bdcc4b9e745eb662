"""tensor.py: attributes, conversions, the Python protocol, repr and in-place ops."""
import numpy as np
import pytest

import brique

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------------- attributes
def test_attributes():
    x = brique.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.shape == (2, 3) and x.size() == (2, 3)
    assert x.size(0) == 2 and x.size(-1) == 3 and x.dim() == 2 and x.ndim == 2
    assert x.dtype == brique.float32 and x.device == brique.device("cpu") and x.device == "cpu"
    assert x.numel() == 6 and x.is_floating_point() and x.element_size() == 4
    assert not x.requires_grad and x.grad is None and x.is_leaf and x.grad_fn is None
    np.testing.assert_array_equal(x.T.numpy(), x.numpy().T)
    b = brique.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(b.mT.numpy(), np.swapaxes(b.numpy(), -1, -2))
    np.testing.assert_array_equal(b.T.numpy(), b.numpy().transpose(2, 1, 0))


def test_grad_fn_and_is_leaf():
    x = brique.ones(2, requires_grad=True)
    y = x * 2
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    assert "Mul" in y.grad_fn.name
    c = brique.ones(2) * 2  # no input requires grad: a leaf
    assert c.is_leaf and not c.requires_grad


# ---------------------------------------------------------------------- conversions
def test_numpy_item_tolist():
    x = brique.tensor([[1.5, 2.0]])
    assert x.numpy().dtype == np.float32
    x.numpy()[0, 0] = 9  # numpy() shares memory, as in PyTorch
    assert x.tolist() == [[9.0, 2.0]]
    assert brique.tensor([2.5]).item() == 2.5 and isinstance(brique.tensor(3).item(), int)
    assert isinstance(brique.tensor(True).item(), bool)
    with pytest.raises(RuntimeError, match="2 elements"):
        brique.tensor([1.0, 2.0]).item()
    w = brique.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        w.numpy()
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 1.0])


def test_array_protocol_len_iter_bool():
    x = brique.tensor([[1, 2], [3, 4]])
    a = np.asarray(x)
    assert a.dtype == np.int64 and a.tolist() == [[1, 2], [3, 4]]
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert len(x) == 2 and [r.tolist() for r in x] == [[1, 2], [3, 4]]
    with pytest.raises(TypeError):
        len(brique.tensor(1.0))
    assert bool(brique.tensor([1])) and not bool(brique.tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(brique.ones(2))
    assert float(brique.tensor(2.5)) == 2.5 and int(brique.tensor(3)) == 3
    assert [0, 1, 2][brique.tensor(1)] == 1  # __index__


def test_numpy_array_op_tensor_gives_tensor():
    out = np.ones(2) * brique.ones(2)
    assert isinstance(out, brique.Tensor)


def test_detach_shares_storage():
    x = brique.ones(2, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d.add_(1)
    assert x.tolist() == [2.0, 2.0]


def test_data_is_a_detached_tensor_sharing_storage():
    p = brique.ones(3, requires_grad=True)
    p.grad = brique.tensor([1.0, 2.0, 3.0])
    assert isinstance(p.data, brique.Tensor) and not p.data.requires_grad
    p.data.add_(-0.1 * p.grad)  # the classic hand-written SGD step
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 0.8, 0.7], rtol=1e-6)
    assert p.requires_grad and p.is_leaf
    p.data = brique.zeros(3)  # rebinding .data keeps the tensor a parameter
    assert p.tolist() == [0.0, 0.0, 0.0] and p.requires_grad


def test_clone_is_a_differentiable_copy():
    x = brique.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert y.requires_grad and not y.is_leaf
    (y * y).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    c = brique.ones(2).clone()
    c.add_(1)
    assert c.tolist() == [2.0, 2.0]


def test_requires_grad_():
    x = brique.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        brique.ones(2, dtype=brique.int64).requires_grad_()
    y = brique.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_to_and_casts():
    x = brique.tensor([1.7, -2.2])
    assert x.to(brique.float64).dtype == brique.float64
    assert x.to("cpu") is x and x.to(brique.device("cpu")) is x and x.cpu() is x
    assert x.to(dtype=brique.float32) is x
    assert x.to("cpu", brique.float64).dtype == brique.float64
    assert x.to(brique.tensor([1])).dtype == brique.int64
    assert x.to(brique.float32, copy=True) is not x
    assert x.double().dtype == brique.float64 and x.half().dtype == brique.float16
    assert x.long().tolist() == [1, -2]  # truncation toward zero, as in PyTorch
    assert x.int().dtype == brique.int32 and x.bool().dtype == brique.bool
    assert brique.tensor([1, 2]).float().dtype == brique.float32
    assert x.type_as(brique.zeros(1, dtype=brique.float64)).dtype == brique.float64


def test_cast_is_differentiable():
    x = brique.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.requires_grad and y.dtype == brique.float64
    (y * y).sum().backward()
    assert x.grad.dtype == brique.float32 and x.grad.tolist() == [2.0, 4.0]


def test_view_dtype_reads_the_same_bytes_as_pytorch():
    a = np.array([[1.0, -2.0, 0.5, 3.25], [0.0, -0.0, 7.0, 1e-3]], dtype=np.float32)
    for dtype in ("int32", "float16", "uint8", "float64", "int64", "float32"):
        got = brique.tensor(a).view(getattr(brique, dtype))
        want = torch.tensor(a).view(getattr(torch, dtype))
        assert got.shape == tuple(want.shape) and str(got.dtype) == dtype
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    x = brique.tensor(a)
    x.view(brique.int32)[0, 0] = 0  # shares memory: the write reaches x
    assert x[0, 0].item() == 0.0
    assert not brique.tensor(a, requires_grad=True).view(brique.int32).requires_grad


@pytest.mark.parametrize("make, match", [
    (lambda m: m.tensor(1.0).view(m.float16), "0-d"),
    (lambda m: m.ones(3, 3).t().view(m.float16), "contiguous"),
    (lambda m: m.ones(2, 3).view(m.float64), "multiple of 2"),
])
def test_view_dtype_errors(make, match):
    with pytest.raises(RuntimeError):
        make(torch)
    with pytest.raises(ValueError, match=match):
        make(brique)


@pytest.mark.parametrize("op", [
    lambda m, x: m.where(x > 0),                       # the indices, as nonzero(as_tuple=True)
    lambda m, x: x.mean(dtype=m.float64),
    lambda m, x: x.mean(1, dtype=m.float64),
    lambda m, x: m.ones(2, 3).scatter_(1, m.tensor([[0, 0], [2, 1]]), m.full((2, 2), 2.0),
                                       reduce="add"),
    lambda m, x: m.ones(2, 3).scatter_(1, m.tensor([[0, 0], [2, 1]]), 3.0, reduce="multiply"),
    lambda m, x: m.zeros(3, 4).index_add_(1, m.tensor([3, 3, 0]), x[:, :3] * 0 + 1),
])
def test_methods_as_pytorch(op):
    x = np.array([[0.5, -1.0, 2.0, 0.0], [1.5, 0.25, -3.0, 1.0], [0.0, 0.0, 1.0, -1.0]],
                 dtype=np.float32)
    got, want = op(brique, brique.tensor(x)), op(torch, torch.tensor(x))
    if isinstance(want, tuple):
        assert len(got) == len(want)
        got, want = got[0], want[0]
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_is_contiguous_tile_and_size_as_pytorch():
    for m in (brique, torch):
        x = m.arange(6.0).reshape(2, 3)
        assert x.is_contiguous() and not x.t().is_contiguous()
        assert not m.ones(3, 1).expand(3, 4).is_contiguous() and m.ones(1, 3).t().is_contiguous()
        assert x.tile(2, 1).tolist() == x.repeat(2, 1).tolist()
        assert m.tile(x, (2,)).tolist() == x.repeat(1, 2).tolist()  # dims padded on the left
        assert x.shape == m.Size([2, 3]) and m.Size([2, 3]).numel() == 6


def test_view_as_eq():
    x = brique.arange(6)
    y = brique.zeros(2, 3)
    assert x.view_as(y).shape == (2, 3) and x.view(3, 2).shape == (3, 2)
    assert x.eq(brique.tensor([0, 1, 0, 3, 0, 5])).tolist() == [True, True, False, True,
                                                                 False, True]


# ---------------------------------------------------------------------- repr
@pytest.mark.parametrize("make", [
    lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    lambda m: m.tensor([1.0, 2.0]),
    lambda m: m.tensor([1, 2]),
    lambda m: m.tensor(3.5),
    lambda m: m.tensor(3),
    lambda m: m.tensor([0.25, 1.0]),
    lambda m: m.tensor([[1.5, 2.0], [3.0, 4.0]]),
    lambda m: m.zeros(2, 3),
    lambda m: m.tensor([1e-5, 1.0]),
    lambda m: m.tensor([1.123456789]),
    lambda m: m.zeros(0),
    lambda m: m.zeros(0, dtype=m.int64),
])
def test_repr_like_torch(make):
    expected = repr(make(torch)).replace("torch.", "")
    assert repr(make(brique)) == expected


def test_repr_extras():
    assert repr(brique.tensor([1.0, 2.0], dtype=brique.float64)) == \
        "tensor([1., 2.], dtype=float64)"
    y = brique.tensor([1.0, 2.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2., 4.], grad_fn=<MulBackward>)"
    assert "..." in repr(brique.zeros(5000))


# ---------------------------------------------------------------------- in-place ops
def test_inplace_ops_values():
    x = brique.tensor([1.0, 4.0])
    x.add_(1).mul_(2).sub_(1).div_(3)
    np.testing.assert_allclose(x.numpy(), [1.0, 3.0])
    x.add_(brique.tensor([1.0, 1.0]), alpha=2)
    np.testing.assert_allclose(x.numpy(), [3.0, 5.0])
    x.pow_(2).sqrt_()
    np.testing.assert_allclose(x.numpy(), [3.0, 5.0])
    x.clamp_(max=4.0)
    np.testing.assert_allclose(x.numpy(), [3.0, 4.0])
    x.addcmul_(brique.tensor([1.0, 2.0]), brique.tensor([2.0, 2.0]), value=0.5)
    np.testing.assert_allclose(x.numpy(), [4.0, 6.0])
    x.addcdiv_(brique.tensor([1.0, 2.0]), brique.tensor([2.0, 2.0]), value=2)
    np.testing.assert_allclose(x.numpy(), [5.0, 8.0])
    x.lerp_(brique.tensor([7.0, 0.0]), 0.5)
    np.testing.assert_allclose(x.numpy(), [6.0, 4.0])
    x.copy_(brique.tensor([9.0, 9.0]))
    assert x.tolist() == [9.0, 9.0]
    x.fill_(2)
    assert x.tolist() == [2.0, 2.0]
    x.zero_()
    assert x.tolist() == [0.0, 0.0]
    x[1] = 5
    assert x.tolist() == [0.0, 5.0]


def test_inplace_bumps_version():
    x = brique.ones(2)
    v = x._version
    x.add_(1)
    x[0] = 3
    assert x._version == v + 2


def test_augmented_assignment_on_buffer_is_inplace():
    x = brique.ones(2)
    alias = x
    x += 1
    x *= 3
    assert x is alias and alias.tolist() == [6.0, 6.0]


def test_tensor_is_hashable_by_identity():
    a, b = brique.ones(1), brique.ones(1)
    assert len({a, b}) == 2 and {a: 1}[a] == 1


@pytest.mark.parametrize("change", [
    lambda x, w: x.add_(w), lambda x, w: x.mul_(w), lambda x, w: x.copy_(w),
    lambda x, w: x.__setitem__(0, w[0]), lambda x, w: x.addcmul_(w, w),
    lambda x, w: x.fill_(w[1]), lambda x, w: x.lerp_(w, 0.25)])
def test_inplace_with_an_operand_that_requires_grad_is_recorded(change):
    grads = []
    for m in (brique, torch):  # a buffer takes a place in the graph, as in PyTorch
        w = m.tensor([1.5, -2.0], requires_grad=True)
        x = m.ones(2) * 0.5
        change(x, w)
        assert x.requires_grad
        (x * m.tensor([3.0, 5.0])).sum().backward()
        grads.append(w.grad.tolist())
    assert grads[0] == grads[1]
    w = brique.tensor([1.5, -2.0], requires_grad=True)
    for change in (lambda x: x.normal_(), lambda x: x.scatter_(0, brique.tensor([0]), w)):
        with pytest.raises(RuntimeError, match="records no graph"):
            change(brique.ones(2) * w)


def test_inplace_under_no_grad_writes_without_a_graph():
    w = brique.ones(2, requires_grad=True)
    x = brique.zeros(2)
    with brique.no_grad():
        x.copy_(w)
        x[0] = w[1] * 3
    assert x.tolist() == [3.0, 1.0]


def test_augmented_assignment_with_a_grad_operand_rebinds():
    w = brique.tensor([1.0, 2.0], requires_grad=True)
    h = brique.zeros(2)
    buffer = h
    h += w * 3  # the course's `h = zeros(); h += W @ x`
    assert h is not buffer and buffer.tolist() == [0.0, 0.0] and h.requires_grad
    h.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


def test_contiguous_copies_only_when_needed():
    x = brique.ones(2, 3)
    assert x.contiguous() is x
    y = x.t().contiguous()
    assert y.numpy().flags.c_contiguous and y.shape == (3, 2)
    y.add_(1)
    assert x.tolist() == [[1.0] * 3] * 2
    w = brique.ones(2, 3, requires_grad=True)
    (w.t().contiguous() * brique.arange(3.0).reshape(3, 1)).sum().backward()
    assert w.grad.tolist() == [[0.0, 1.0, 2.0]] * 2


def test_copy_from_scalars_lists_and_arrays():
    x = brique.zeros(3)
    assert x.copy_(2.0).tolist() == [2.0] * 3
    assert x.copy_([1, 2, 3]).tolist() == [1.0, 2.0, 3.0]
    assert x.copy_(np.arange(3)).dtype == brique.float32
    assert x.copy_(brique.tensor(7.0)).tolist() == [7.0] * 3  # broadcasts


@pytest.mark.parametrize("dims", [(3,), (1, 3), (0, 2, 3, 5), (3, 5), None])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_over_short_axes_of_a_large_array(dims, keepdim):
    # large float arrays fold their 2-8-long axes by adding slices: same values as numpy
    a = np.random.default_rng(0).standard_normal((3, 4, 16, 2, 20, 3)).astype(np.float32)
    got = brique.tensor(a).sum(dims, keepdim=keepdim) if dims is not None else \
        brique.tensor(a).sum()
    axes = tuple(range(6)) if not dims else dims
    want = a.astype(np.float64).sum(axis=axes, keepdims=keepdim and dims is not None)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-4)


def test_integer_power_with_negative_exponents_as_pytorch():
    torch = pytest.importorskip("torch")
    cases = [([-1, 2, 0, -1, 5, 1], [-3, 0, -1, -2, 2, -7]), ([2, 3], [-1, 2])]
    for base, exp in cases:
        for dtype in ("int32", "int64"):
            got = brique.tensor(base, dtype=getattr(brique, dtype)) ** brique.tensor(exp)
            want = torch.tensor(base, dtype=getattr(torch, dtype)) ** torch.tensor(exp)
            assert got.tolist() == want.tolist() and str(got.dtype) == str(want.dtype).replace("torch.", "")
    assert (2 ** brique.tensor([-1, 2])).tolist() == [0, 4]
    with pytest.raises(ValueError, match="negative integer powers"):
        brique.tensor([2, 3]) ** -1  # a negative Python exponent: PyTorch refuses too


def test_sign_of_nan_is_zero_as_pytorch():
    x = brique.tensor([float("nan"), -2.0, 0.0, 3.0])
    assert x.sign().tolist() == [0.0, -1.0, 0.0, 1.0]
    assert brique.sign(brique.tensor(float("nan"))).item() == 0.0
