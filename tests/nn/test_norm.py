"""Normalization layers against PyTorch's, loaded with the same state: outputs, input and
parameter gradients and running statistics over several train steps, then eval mode; default
init; shape errors; finite-difference and second-order checks of the fused primitive."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import brique
import brique.nn as nn
import brique.nn.functional as F
from brique.ops.norm import normalize

DTYPES = {np.float64: (brique.float64, torch.float64, 1e-6, 1e-9),
          np.float32: (brique.float32, torch.float32, 1e-4, 1e-5)}


def load_from_torch(b_layer, t_layer):
    b_layer.load_state_dict({k: v.detach().numpy() for k, v in t_layer.state_dict().items()})


def randomize(t_layer, rng):
    """Non-trivial parameters and running statistics, so that they all matter."""
    with torch.no_grad():
        for name, v in list(t_layer.named_parameters()) + list(t_layer.named_buffers()):
            if v.dtype.is_floating_point:
                lo = 0.5 if name in ("weight", "running_var") else -1.0
                v.copy_(torch.tensor(rng.uniform(lo, 1.5, tuple(v.shape))))


def step(b_layer, t_layer, x, rng, dtype, rtol, atol):
    """One forward/backward through both layers; compare output and every gradient."""
    bx = brique.tensor(x.astype(dtype), requires_grad=True)
    tx = torch.tensor(x.astype(dtype), requires_grad=True)
    bo, to = b_layer(bx), t_layer(tx)
    assert bo.dtype == dtype
    np.testing.assert_allclose(bo.detach().numpy(), to.detach().numpy(), rtol=rtol, atol=atol)
    g = rng.normal(size=x.shape).astype(dtype)
    bo.backward(brique.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_allclose(bx.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=atol)
    b_params = dict(b_layer.named_parameters())
    t_params = dict(t_layer.named_parameters())
    assert b_params.keys() == t_params.keys()
    for name, p in t_params.items():
        np.testing.assert_allclose(b_params[name].grad.numpy(), p.grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=name)
    b_layer.zero_grad()
    t_layer.zero_grad()


def compare(make_b, make_t, shapes, np_dtype, train_steps=3):
    b_dtype, t_dtype, rtol, atol = DTYPES[np_dtype]
    rng = np.random.default_rng(1)
    t_layer = make_t(t_dtype)
    randomize(t_layer, rng)
    b_layer = make_b(b_dtype)
    load_from_torch(b_layer, t_layer)
    for shape in shapes:
        for _ in range(train_steps):
            step(b_layer, t_layer, rng.normal(1.0, 2.0, shape), rng, np_dtype, rtol, atol)
        for (name, b), t in zip(b_layer.state_dict().items(), t_layer.state_dict().values()):
            np.testing.assert_allclose(b.numpy(), t.numpy(), rtol=rtol, atol=atol, err_msg=name)
    b_layer.eval()
    t_layer.eval()
    for shape in shapes:
        step(b_layer, t_layer, rng.normal(1.0, 2.0, shape), rng, np_dtype, rtol, atol)
    assert b_layer.state_dict().keys() == t_layer.state_dict().keys()


# ----------------------------------------------------------------- batch norm
BN = [
    ("BatchNorm1d", (4,), {}, [(6, 4), (5, 4, 7)]),
    ("BatchNorm1d", (3,), {"momentum": None}, [(8, 3, 2)]),
    ("BatchNorm1d", (3,), {"affine": False, "momentum": 0.3}, [(5, 3)]),
    ("BatchNorm2d", (3,), {}, [(4, 3, 5, 6)]),
    ("BatchNorm2d", (3,), {"bias": False, "eps": 1e-3}, [(2, 3, 4, 4)]),
    ("BatchNorm2d", (3,), {"momentum": None, "affine": False}, [(2, 3, 3, 3)]),
    ("BatchNorm2d", (2,), {"track_running_stats": False}, [(3, 2, 4, 4)]),
    ("BatchNorm3d", (2,), {}, [(2, 2, 3, 2, 3)]),
]


@pytest.mark.parametrize("np_dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,args,kwargs,shapes", BN,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BN)])
def test_batch_norm_matches_torch(name, args, kwargs, shapes, np_dtype):
    compare(lambda d: getattr(nn, name)(*args, dtype=d, **kwargs),
            lambda d: getattr(torch.nn, name)(*args, dtype=d, **kwargs), shapes, np_dtype)


def test_batch_norm_eval_without_running_stats_uses_batch_stats():
    compare(lambda d: nn.BatchNorm2d(2, track_running_stats=False, dtype=d).eval(),
            lambda d: torch.nn.BatchNorm2d(2, track_running_stats=False, dtype=d).eval(),
            [(3, 2, 2, 2)], np.float64, train_steps=0)


def test_batch_norm_defaults_and_buffers():
    b, t = nn.BatchNorm2d(5), torch.nn.BatchNorm2d(5)
    assert list(b.state_dict()) == list(t.state_dict())
    for key, value in t.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[key].numpy(), value.numpy())
        assert b.state_dict()[key].dtype == value.numpy().dtype
    assert [n for n, _ in b.named_parameters()] == ["weight", "bias"]
    assert repr(b) == repr(t)
    assert repr(nn.BatchNorm1d(3, affine=False)) == repr(torch.nn.BatchNorm1d(3, affine=False))
    b.running_mean.fill_(3.0)
    b.num_batches_tracked.fill_(7)
    b.reset_running_stats()
    assert b.running_mean.numpy().sum() == 0 and b.num_batches_tracked.item() == 0


def test_batch_norm_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None, affine=False)
    xs = [brique.randn(10, 2) * (i + 1) + i for i in range(4)]
    for x in xs:
        bn(x)
    means = np.mean([x.numpy().mean(0) for x in xs], axis=0)
    np.testing.assert_allclose(bn.running_mean.numpy(), means, rtol=1e-5)
    assert bn.num_batches_tracked.item() == 4


def test_batch_norm_shape_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(16.*expected input of shape "
                                         r"\(N, C, H, W\) with C = 16, got input of shape "
                                         r"\(8, 3, 5, 5\)"):
        nn.BatchNorm2d(16)(brique.randn(8, 3, 5, 5))
    with pytest.raises(ValueError, match="BatchNorm1d"):
        nn.BatchNorm1d(3)(brique.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="BatchNorm2d"):
        nn.BatchNorm2d(3)(brique.randn(2, 3, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(brique.randn(1, 3))
    nn.BatchNorm1d(3).eval()(brique.randn(1, 3))  # fine in eval mode


def test_batch_norm_functional_without_running_stats_in_eval_is_an_error():
    with pytest.raises(ValueError, match="running_mean and running_var are required"):
        F.batch_norm(brique.randn(2, 3), None, None, training=False)


def test_batch_norm_running_stats_do_not_join_the_graph():
    bn = nn.BatchNorm1d(3)
    bn(brique.randn(4, 3, requires_grad=True)).sum().backward()
    assert not bn.running_mean.requires_grad and bn.running_mean.grad is None


# ----------------------------------------------------------------- layer and group norm
LN = [
    ((5,), {}, [(3, 5), (2, 4, 5)]),
    (((4, 3),), {}, [(2, 4, 3), (2, 3, 4, 3)]),
    ((6,), {"elementwise_affine": False}, [(3, 6)]),
    ((6,), {"bias": False, "eps": 1e-3}, [(2, 2, 6)]),
]


@pytest.mark.parametrize("np_dtype", [np.float64, np.float32])
@pytest.mark.parametrize("args,kwargs,shapes", LN, ids=[str(i) for i in range(len(LN))])
def test_layer_norm_matches_torch(args, kwargs, shapes, np_dtype):
    compare(lambda d: nn.LayerNorm(*args, dtype=d, **kwargs),
            lambda d: torch.nn.LayerNorm(*args, dtype=d, **kwargs), shapes, np_dtype, 1)


GN = [
    ((2, 4), {}, [(3, 4, 5), (2, 4, 3, 3)]),
    ((1, 3), {}, [(2, 3, 4, 2)]),
    ((6, 6), {"eps": 1e-3}, [(2, 6, 4)]),
    ((2, 6), {"affine": False}, [(2, 6, 2, 2)]),
    ((3, 6), {"bias": False}, [(2, 6, 3)]),
    ((2, 8), {}, [(5, 8)]),
]


@pytest.mark.parametrize("np_dtype", [np.float64, np.float32])
@pytest.mark.parametrize("args,kwargs,shapes", GN, ids=[str(i) for i in range(len(GN))])
def test_group_norm_matches_torch(args, kwargs, shapes, np_dtype):
    compare(lambda d: nn.GroupNorm(*args, dtype=d, **kwargs),
            lambda d: torch.nn.GroupNorm(*args, dtype=d, **kwargs), shapes, np_dtype, 1)


@pytest.mark.parametrize("cls,args", [(nn.LayerNorm, ((3, 4),)), (nn.GroupNorm, (2, 4))])
def test_layer_and_group_norm_defaults(cls, args):
    b, t = cls(*args), getattr(torch.nn, cls.__name__)(*args)
    assert list(b.state_dict()) == list(t.state_dict())
    for key, value in t.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[key].numpy(), value.numpy())
    assert repr(b) == repr(t)


def test_layer_and_group_norm_errors():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(5,\).*ending with \(5,\), got input "
                                         r"of shape \(2, 4\)"):
        nn.LayerNorm(5)(brique.randn(2, 4))
    with pytest.raises(ValueError, match="GroupNorm: num_channels \\(6\\) must be divisible"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"GroupNorm\(2, 4.*C = 4, got input of shape"):
        nn.GroupNorm(2, 4)(brique.randn(2, 3, 5))


# ----------------------------------------------------------------- local response norm
@pytest.mark.parametrize("np_dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs,shape", [
    ({"size": 5}, (2, 7, 3, 3)),
    ({"size": 2, "alpha": 0.3, "beta": 0.5, "k": 2.0}, (2, 4, 5)),
    ({"size": 3, "alpha": 1.0, "beta": 1.2}, (1, 5, 2, 2, 2)),
    ({"size": 9, "alpha": 0.1}, (2, 3, 4, 4)),
])
def test_local_response_norm_matches_torch(kwargs, shape, np_dtype):
    compare(lambda d: nn.LocalResponseNorm(**kwargs),
            lambda d: torch.nn.LocalResponseNorm(**kwargs), [shape], np_dtype, 1)


def test_local_response_norm_errors_and_repr():
    assert repr(nn.LocalResponseNorm(3)) == repr(torch.nn.LocalResponseNorm(3))
    with pytest.raises(ValueError, match="LocalResponseNorm"):
        nn.LocalResponseNorm(3)(brique.randn(2, 3))


# ----------------------------------------------------------------- the fused primitive
def _fd_grad(f, arrays, i, eps=1e-6):
    """Central finite differences of the scalar f(*arrays) with respect to arrays[i]."""
    a = arrays[i]
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + eps
        hi = f(*arrays)
        a[idx] = old - eps
        lo = f(*arrays)
        a[idx] = old
        grad[idx] = (hi - lo) / (2 * eps)
    return grad


@pytest.mark.parametrize("shape,axes,wshape", [
    ((4, 3, 2), (0, 2), (1, 3, 1)),       # batch norm
    ((3, 2, 4), (2,), (4,)),              # layer norm
    ((2, 2, 3, 2), (2, 3), (1, 2, 3, 1)),  # group norm, grouped layout
])
def test_normalize_finite_difference_gradients(shape, axes, wshape):
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=shape), rng.uniform(0.5, 1.5, wshape), rng.normal(size=wshape)
    up = rng.normal(size=shape)

    def f(x, w, b):
        out = normalize(brique.tensor(x), axes, brique.tensor(w), brique.tensor(b))[0]
        return float((out.numpy() * up).sum())

    ts = [brique.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = normalize(ts[0], axes, ts[1], ts[2])[0]
    out.backward(brique.tensor(up))
    for i, t in enumerate(ts):
        np.testing.assert_allclose(t.grad.numpy(), _fd_grad(f, [x, w, b], i), rtol=1e-6,
                                   atol=1e-8)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_second_derivative_matches_torch(training):
    rng = np.random.default_rng(4)
    x, w, b = rng.normal(size=(4, 3, 2, 2)), rng.uniform(0.5, 1.5, 3), rng.normal(size=3)
    rm, rv = rng.normal(size=3), rng.uniform(0.5, 2, 3)
    grads = []
    for lib, fn in ((brique, F.batch_norm), (torch, TF.batch_norm)):
        ts = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
        out = fn(ts[0], lib.tensor(rm), lib.tensor(rv), ts[1], ts[2], training=training)
        first = (lib.autograd.grad if lib is torch else lib.grad)(
            (out * out.sin()).sum(), ts, create_graph=True)
        sum(((g * g).sum() for g in first), lib.tensor(0.0, dtype=lib.float64)).backward()
        grads.append([t.grad.numpy() for t in ts])
    for bg, tg in zip(*grads):
        np.testing.assert_allclose(bg, tg, rtol=1e-6, atol=1e-9)
