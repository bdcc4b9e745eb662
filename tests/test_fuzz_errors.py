"""Bad input against PyTorch as the oracle: a seeded draw of a few hundred calls with random,
often invalid, dims, sizes, indices and dtypes. Where PyTorch refuses, brique must refuse with a
clear error (ValueError, TypeError, IndexError or RuntimeError naming the op or the offending
value); where PyTorch computes, brique must compute the same thing."""
import numpy as np
import pytest

import brique

torch = pytest.importorskip("torch")
CLEAR = (ValueError, TypeError, IndexError, RuntimeError, NotImplementedError)


def make(lib, shape, dtype="float"):
    n = int(np.prod(shape))
    data = (np.arange(n) % 7 - 3).reshape(shape)
    return lib.tensor(data.astype(np.float32 if dtype == "float" else np.int64))


def draw_case(rng):
    """(op name, a function of the library, the values an error may name)."""
    ndim = int(rng.integers(0, 4))
    shape = tuple(int(s) for s in rng.integers(0, 4, ndim))
    dims = [int(d) for d in rng.integers(-4, 4, 3)]
    sizes = tuple(int(s) for s in rng.integers(-2, 5, int(rng.integers(1, 4))))
    other = tuple(abs(s) for s in sizes)  # a valid shape for the second operand
    kind = rng.choice(["float", "int"])
    x = lambda L: make(L, shape, kind)  # noqa: E731
    cases = [
        ("reshape", lambda L: x(L).reshape(sizes)),
        ("permute", lambda L: x(L).permute(*dims[:ndim])),
        ("transpose", lambda L: x(L).transpose(dims[0], dims[1])),
        ("flatten", lambda L: x(L).flatten(dims[0], dims[1])),
        ("unsqueeze", lambda L: x(L).unsqueeze(dims[0])),
        ("squeeze", lambda L: x(L).squeeze(dims[0])),
        ("sum", lambda L: x(L).sum(dims[0])),
        ("max", lambda L: x(L).max(dims[0])[0]),
        ("argmax", lambda L: x(L).argmax(dims[0])),
        ("softmax", lambda L: x(L).softmax(dims[0])),
        ("log_softmax", lambda L: x(L).log_softmax(dims[0])),
        ("cumsum", lambda L: x(L).cumsum(dims[0])),
        ("chunk", lambda L: x(L).chunk(dims[0], dims[1])),
        ("split", lambda L: x(L).split(dims[0], dims[1])),
        ("expand", lambda L: x(L).expand(*sizes)),
        ("repeat", lambda L: x(L).repeat(*sizes)),
        ("gather", lambda L: x(L).gather(dims[0], L.tensor(np.full(shape, dims[1])))),
        ("index_select", lambda L: x(L).index_select(dims[0], L.tensor([dims[1]]))),
        ("cat", lambda L: L.cat([x(L), make(L, other)], dims[0])),
        ("stack", lambda L: L.stack([x(L), make(L, other)], dims[0])),
        ("matmul", lambda L: x(L) @ make(L, other, kind)),
        ("add", lambda L: x(L) + make(L, other, kind)),
        ("bitwise_and", lambda L: x(L) & make(L, other, kind)),
        ("bitwise_not", lambda L: ~x(L)),
        ("arange", lambda L: L.arange(dims[0], dims[1], dims[2])),
        ("randint", lambda L: L.randint(dims[0], dims[1], (2,)).shape),
        ("zeros", lambda L: L.zeros(*sizes)),
        ("one_hot", lambda L: L.nn.functional.one_hot(L.tensor(dims), dims[2])),
        ("topk", lambda L: x(L).topk(dims[0])[0]),
        ("narrow", lambda L: x(L).narrow(dims[0], dims[1], dims[2])),
        ("pad", lambda L: L.nn.functional.pad(x(L), sizes[:2])),
        ("index_add", lambda L: x(L).index_add(dims[0], L.tensor([dims[1]]),
                                               make(L, other, kind))),
        ("rot90", lambda L: x(L).rot90(dims[0], dims[1:3])),
        ("median", lambda L: x(L).median(dims[0])[0]),
        ("cumprod", lambda L: x(L).cumprod(dims[0])),
        ("norm", lambda L: x(L).norm(dims[2] or 2, dims[0])),
        ("inner", lambda L: L.inner(x(L), make(L, other, kind))),
        ("flip", lambda L: x(L).flip(dims[0], dims[1])),
        ("tile", lambda L: x(L).tile(*sizes)),
        ("tensor_split", lambda L: x(L).tensor_split(sizes[0], dims[0])),
        # index 0: PyTorch reads out of bounds unchecked here (brique refuses)
        ("take_along_dim", lambda L: x(L).take_along_dim(L.tensor(np.zeros(other, np.int64)),
                                                         dims[0])),
        ("adaptive_max_pool2d", lambda L: L.nn.functional.adaptive_max_pool2d(
            make(L, shape), sizes[:2])),
    ]
    name, fn = cases[int(rng.integers(len(cases)))]
    return name, fn, dims + list(sizes) + list(shape)


def outcome(fn, lib):
    try:
        return "ok", fn(lib)
    except Exception as e:  # noqa: BLE001 - classifying is the point
        return "error", e


def as_numpy(value):
    if isinstance(value, (tuple, list)) and not isinstance(value, torch.Size):
        return [as_numpy(v) for v in value]
    if hasattr(value, "detach"):
        return value.detach().numpy()
    if hasattr(value, "numpy"):
        return value.numpy()
    return np.asarray(tuple(value) if isinstance(value, torch.Size) else value)


def same(a, b):
    if isinstance(a, list) or isinstance(b, list):
        return (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    return a.shape == b.shape and np.allclose(a.astype(float), b.astype(float), equal_nan=True)


@pytest.mark.parametrize("seed", range(40))
def test_bad_calls_against_pytorch(seed):
    rng = np.random.default_rng(seed)
    problems = []
    for _ in range(60):
        name, fn, values = draw_case(rng)
        (t_kind, t_val), (b_kind, b_val) = outcome(fn, torch), outcome(fn, brique)
        if name == "randint" and t_kind == "ok":  # random draws: compare shapes only
            t_val, b_val = tuple(t_val), tuple(b_val) if b_kind == "ok" else b_val
        if name in ("repeat", "expand", "tile") and min(values[3:]) < 0 and b_kind == "error":
            continue  # PyTorch lets negative sizes through when the tensor is empty
        if t_kind == "error" and b_kind == "ok":
            problems.append(f"{name}: silently accepted ({values}); torch says {t_val}")
        elif t_kind == "ok" and b_kind == "error":
            problems.append(f"{name}: refused ({values}) with {b_val!r}; torch computes it")
        elif t_kind == "error":
            message = str(b_val)
            clear = isinstance(b_val, CLEAR) and (
                name.split("_")[0] in message.lower()
                or any(str(v) in message for v in values))
            if not clear:
                problems.append(f"{name}: unclear error {b_val!r} ({values})")
        elif not same(as_numpy(t_val), as_numpy(b_val)):
            problems.append(f"{name}: different result ({values})")
    assert not problems, "\n".join(problems)
