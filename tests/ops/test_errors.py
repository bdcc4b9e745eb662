"""Errors are for people: a bad shape or dtype raises ValueError/TypeError naming the op and the
shapes involved, not a bare NumPy message or, worse, a silently wrong result."""
from __future__ import annotations

import pytest

import brique as B
from brique.ops.movement import pad


def ones(*shape, dtype=None):
    return B.ones(*shape, dtype=dtype)


# (id, thunk, exception, substrings the message must contain)
ERRORS = [
    ("matmul_shapes", lambda: ones(2, 3) @ ones(4, 5), ValueError,
     ["matmul", "(2, 3)", "(4, 5)"]),
    ("matmul_1d", lambda: B.matmul(ones(3), ones(4)), ValueError, ["matmul", "(3,)", "(4,)"]),
    ("bmm_shapes", lambda: B.bmm(ones(2, 3, 4), ones(2, 5, 4)), ValueError,
     ["(2, 3, 4)", "(2, 5, 4)"]),
    ("mm_not_2d", lambda: B.mm(ones(2, 3, 4), ones(4, 2)), ValueError, ["mm", "(2, 3, 4)"]),
    ("add_broadcast", lambda: ones(2, 3) + ones(4), ValueError, ["add", "(2, 3)", "(4,)"]),
    ("mul_broadcast", lambda: B.mul(ones(2, 3), ones(3, 2)), ValueError,
     ["mul", "(2, 3)", "(3, 2)"]),
    ("maximum_broadcast", lambda: B.maximum(ones(2), ones(3)), ValueError,
     ["maximum", "(2,)", "(3,)"]),
    ("where_broadcast", lambda: B.where(ones(2, 3) > 0, ones(2, 3), ones(4)), ValueError,
     ["where", "(4,)"]),
    ("cat_shapes", lambda: B.cat([ones(2, 3), ones(2, 4)]), ValueError,
     ["cat", "(2, 3)", "(2, 4)"]),
    ("cat_ndim", lambda: B.cat([ones(2, 3), ones(3)]), ValueError, ["cat", "(2, 3)", "(3,)"]),
    ("stack_shapes", lambda: B.stack([ones(2), ones(3)]), ValueError, ["stack", "(2,)", "(3,)"]),
    ("reshape_size", lambda: ones(2, 3).reshape(5), ValueError, ["reshape", "(2, 3)"]),
    ("expand_size", lambda: ones(2, 3).expand(4, 4), ValueError, ["expand", "(2, 3)"]),
    ("permute_dims", lambda: ones(2, 3).permute(0, 0), ValueError, ["permute", "(2, 3)"]),
    ("sum_to_size", lambda: ones(2, 3).sum_to_size(4), ValueError, ["sum_to_size", "(2, 3)"]),
    ("split_sections", lambda: ones(2, 3).split([1, 1], 1), ValueError, ["split", "[1, 1]"]),
    ("pad_reflect_too_wide", lambda: pad(ones(1, 2, 3), (3, 0), mode="reflect"), ValueError,
     ["pad", "reflect"]),
    ("pad_mode", lambda: pad(ones(1, 2, 3), (1, 1), mode="mirror"), ValueError,
     ["pad", "mirror"]),
    ("topk_k", lambda: ones(2, 3).topk(4), ValueError, ["topk", "(2, 3)"]),
    ("one_hot_range", lambda: B.one_hot(B.tensor([3]), 2), ValueError, ["one_hot"]),
    ("clamp_no_bounds", lambda: B.clamp(ones(2)), ValueError, ["clamp"]),
    ("gelu_approximate", lambda: B.gelu(ones(2), approximate="x"), ValueError, ["gelu"]),
    ("matmul_dtypes", lambda: ones(2, 3) @ ones(3, 2, dtype=B.float64), TypeError,
     ["matmul", "float32", "float64"]),
    ("gather_float_index", lambda: ones(2, 3).gather(1, ones(2, 3)), TypeError, ["gather"]),
    ("sum_dim_range", lambda: ones(2, 3).sum(2), IndexError, ["sum", "2"]),
    ("softmax_dim_range", lambda: ones(2).softmax(3), IndexError, ["softmax"]),
    ("transpose_dim_range", lambda: ones(2, 3).transpose(0, 5), IndexError, ["transpose"]),
    ("getitem_out_of_bounds", lambda: ones(2, 3)[5], IndexError, ["getitem", "(2, 3)"]),
    ("getitem_float_index", lambda: ones(2, 3)[B.tensor([0.5])], IndexError, ["long or bool"]),
]


@pytest.mark.parametrize("thunk, exc, parts", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_error_message(thunk, exc, parts):
    with pytest.raises(exc) as info:
        thunk()
    message = str(info.value)
    for part in parts:
        assert part in message, f"{part!r} not in error message {message!r}"


def test_mean_of_integers_raises():
    with pytest.raises(RuntimeError, match="mean"):
        B.ones(3, dtype=B.int64).mean()
    with pytest.raises(RuntimeError, match="var"):
        B.arange(4).var()


def test_requires_grad_on_integers_raises():
    with pytest.raises(RuntimeError, match="floating point"):
        B.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        B.ones(2, 3, dtype=B.int64).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        B.zeros(2, dtype=B.bool, requires_grad=True)


def test_integer_results_carry_no_gradient():
    x = B.tensor([0.4, 1.7, -2.2], requires_grad=True)
    for out in (x.long(), x.argmax(), x > 0, x.max(0).indices, x.sort().indices):
        assert not out.requires_grad and out.grad_fn is None
