"""creation.py: brique.tensor's dtype inference and the factories, checked against PyTorch."""
import numpy as np
import pytest

import brique

torch = pytest.importorskip("torch")

DTYPES = {torch.float32: brique.float32, torch.float64: brique.float64,
          torch.int64: brique.int64, torch.int32: brique.int32, torch.bool: brique.bool,
          torch.float16: brique.float16, torch.uint8: brique.uint8}


def same(b, t):
    """Same shape, dtype and values as the torch tensor."""
    assert tuple(b.shape) == tuple(t.shape)
    assert b.dtype == DTYPES[t.dtype], (b.dtype, t.dtype)
    np.testing.assert_allclose(b.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------- brique.tensor
@pytest.mark.parametrize("data", [
    [1.0, 2.0], [1, 2], [True, False], 3.0, 7, True, [1, 2.5], [[1, 2], [3, 4]], [],
    [[1.5], [2.5]], np.float64(2.0), np.int32(3), [np.float64(1.0)], [np.int32(1), np.int32(2)],
    [np.float32(1.0)], [1, True],
    np.zeros(3), np.arange(4, dtype=np.int32), np.ones(2, np.float16), np.array([True]),
    np.arange(6, dtype=np.uint8).reshape(2, 3),
])
def test_tensor_dtype_inference_like_torch(data):
    same(brique.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", ["float64", "int32", "float32"])
def test_tensor_explicit_dtype(dtype):
    b = brique.tensor([1, 2, 3], dtype=getattr(brique, dtype))
    same(b, torch.tensor([1, 2, 3], dtype=getattr(torch, dtype)))


def test_tensor_copies_its_data():
    a = np.zeros(3)
    t = brique.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 0
    u = brique.tensor(t)  # from a tensor: a copy, detached
    u.add_(1)
    assert t.numpy()[0] == 0


def test_tensor_from_list_of_tensors_keeps_dtype():
    f64 = brique.float64
    t = brique.tensor([brique.tensor(1.0, dtype=f64), brique.tensor(2.0, dtype=f64)])
    assert t.dtype == brique.float64 and t.tolist() == [1.0, 2.0]


def test_tensor_from_tensor_is_detached():
    x = brique.ones(2, requires_grad=True)
    y = brique.tensor(x * 2)
    assert not y.requires_grad and y.is_leaf
    assert brique.tensor([brique.tensor(1.0), brique.tensor(2.0)]).tolist() == [1.0, 2.0]


def test_tensor_requires_grad_and_errors():
    x = brique.tensor([1.0, 2.0], requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    with pytest.raises(RuntimeError, match="floating point"):
        brique.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError):
        brique.tensor("hello")


def test_as_tensor_and_from_numpy_share_memory():
    a = np.arange(3.0)
    t = brique.from_numpy(a)
    assert t.dtype == brique.float64
    t.add_(1)
    np.testing.assert_array_equal(a, [1.0, 2.0, 3.0])
    a[0] = 10
    assert t[0].item() == 10
    x = brique.ones(2)
    assert brique.as_tensor(x) is x
    assert brique.as_tensor(x, dtype=brique.float64).dtype == brique.float64
    b = np.zeros(2)
    shared, copied = brique.as_tensor(b), brique.as_tensor(b, dtype=brique.float32)
    b[0] = 1  # as_tensor shares memory when it can, as in PyTorch
    assert shared.tolist() == [1.0, 0.0] and copied.tolist() == [0.0, 0.0]
    assert brique.as_tensor([1, 2]).dtype == brique.int64
    with pytest.raises(TypeError, match="from_numpy"):
        brique.from_numpy([1, 2])


# ---------------------------------------------------------------------- factories
@pytest.mark.parametrize("name, args, kwargs", [
    ("zeros", (2, 3), {}), ("zeros", ((2, 3),), {}), ("zeros", ([4],), {}), ("zeros", ((),), {}),
    ("ones", (3,), {}), ("ones", (2, 2), {"dtype": "float64"}), ("ones", (2,), {"dtype": "int64"}),
    ("full", ((2, 3), 1.5), {}), ("full", ((2,), 7), {}), ("full", ((2,), True), {}),
    ("full", ((2,), 7), {"dtype": "float32"}),
    ("arange", (5,), {}), ("arange", (2, 9, 3), {}), ("arange", (0, 1, 0.25), {}),
    ("arange", (0.0, 3), {}), ("arange", (5,), {"dtype": "float64"}), ("arange", (-3, 3), {}),
    ("linspace", (0, 1, 5), {}), ("linspace", (-2, 2, 1), {}),
    ("linspace", (0, 1, 4), {"dtype": "float64"}),
    ("eye", (3,), {}), ("eye", (2, 4), {}), ("eye", (3,), {"dtype": "int64"}),
])
def test_factories_match_torch(name, args, kwargs):
    bk = {k: getattr(brique, v) for k, v in kwargs.items()}
    tk = {k: getattr(torch, v) for k, v in kwargs.items()}
    same(getattr(brique, name)(*args, **bk), getattr(torch, name)(*args, **tk))


def test_arange_float_step_count():
    # Computed in float64 then cast, so the count matches torch's (no 0.1-step surprise).
    assert brique.arange(0.0, 1.0, 0.1).shape == torch.arange(0.0, 1.0, 0.1).shape


def test_empty_and_requires_grad():
    e = brique.empty(2, 3)
    assert e.shape == (2, 3) and e.dtype == brique.float32
    z = brique.zeros(2, requires_grad=True)
    assert z.requires_grad and z.is_leaf
    with pytest.raises(ValueError):
        brique.zeros(-1)


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                  "randn_like"])
def test_like_factories(name):
    src = brique.ones(2, 3, dtype=brique.float64)
    out = getattr(brique, name)(src)
    assert out.shape == (2, 3) and out.dtype == brique.float64 and not out.requires_grad
    out = getattr(brique, name)(src, dtype=brique.float32, requires_grad=True)
    assert out.dtype == brique.float32 and out.requires_grad


def test_full_like_and_randint_like():
    src = brique.zeros(2, dtype=brique.int64)
    same(brique.full_like(src, 3), torch.full_like(torch.zeros(2, dtype=torch.int64), 3))
    r = brique.randint_like(src, 5)
    assert r.dtype == brique.int64 and r.shape == (2,) and 0 <= r.min().item() <= 4
    same(brique.ones_like(src), torch.ones(2, dtype=torch.int64))


def test_random_factories_shapes_dtypes_ranges():
    brique.manual_seed(0)
    r = brique.rand(1000)
    assert r.dtype == brique.float32 and 0 <= r.min().item() and r.max().item() < 1
    n = brique.randn(2000, dtype=brique.float64)
    assert n.dtype == brique.float64 and abs(n.mean().item()) < 0.1
    assert abs(n.std().item() - 1) < 0.1
    assert brique.randn((2, 3)).shape == (2, 3) and brique.rand(()).shape == ()


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_rand_randn_dtypes(dtype):
    dt = getattr(brique, dtype)
    r = brique.rand(10_000, dtype=dt)
    assert r.dtype == dt and 0 <= r.min().item() and r.max().item() < 1
    assert brique.randn(3, dtype=dt).dtype == dt


def test_normal_signatures():
    assert brique.normal(0.0, 1.0, (2, 3)).shape == (2, 3)
    m = brique.zeros(4, dtype=brique.float64)
    n = brique.normal(m, 1.0)  # shape and dtype from the mean tensor, as torch.normal(mean, std)
    assert n.shape == (4,) and n.dtype == brique.float64
    assert brique.normal(5.0, brique.zeros(3)).tolist() == [5.0] * 3


def test_randint_signatures():
    a = brique.randint(10, (50,))  # randint(high, size), as in PyTorch
    assert a.dtype == brique.int64 and a.shape == (50,)
    assert 0 <= a.min().item() and a.max().item() < 10
    b = brique.randint(3, 5, (4, 4))
    assert b.shape == (4, 4) and 3 <= b.min().item() and b.max().item() < 5
    assert brique.randint(10, size=(2,)).shape == (2,)
    assert brique.randint(0, 10, (2,), dtype=brique.int32).dtype == brique.int32


def test_randperm():
    p = brique.randperm(20)
    assert p.dtype == brique.int64
    assert sorted(p.tolist()) == list(range(20))


def test_new_factories():
    x = brique.ones(2, dtype=brique.float64)
    z = x.new_zeros(3)
    assert z.shape == (3,) and z.dtype == brique.float64 and z.tolist() == [0.0] * 3
    assert x.new_zeros((2, 2)).shape == (2, 2)
    assert x.new_ones(2).tolist() == [1.0, 1.0]
    assert x.new_full((2,), 5).tolist() == [5.0, 5.0]
    t = x.new_tensor([1, 2])
    assert t.dtype == brique.float64 and t.tolist() == [1.0, 2.0]
    assert x.new_empty(4).shape == (4,)
