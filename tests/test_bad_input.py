"""The bad calls issue 18 lists, one by one: each raises a clear error naming the op or the
argument and the value (or, where PyTorch computes, computes the same)."""
import pytest

import brique as B
from brique import nn
from brique.nn import functional as F


def t(data, **kw):
    return B.tensor(data, **kw)


REFUSED = [
    ("invert float", lambda: ~t([1.0]), TypeError, "bitwise_not"),
    ("and float", lambda: t([1.0]) & t([1.0]), TypeError, "bitwise_and"),
    ("shift float", lambda: t([1.0]) << 1, TypeError, "bitwise_left_shift"),
    ("gather negative", lambda: t([[1., 2]]).gather(1, t([[-1]])), IndexError, "index -1"),
    ("scatter_add negative", lambda: B.zeros(3).scatter_add(0, t([-1]), t([1.])), IndexError,
     "index -1"),
    ("index_select out", lambda: B.zeros(3).index_select(0, t([3])), IndexError, "index 3"),
    ("permute range", lambda: B.zeros(2, 3).permute(0, 5), IndexError, "permute"),
    ("t of 3-d", lambda: B.zeros(2, 3, 4).t(), RuntimeError, "t: expects"),
    ("flatten range", lambda: B.zeros(2, 3).flatten(0, 4), IndexError, "flatten"),
    ("reshape -2", lambda: B.zeros(2, 3).reshape(-2, 3), ValueError, "-2"),
    ("view -2", lambda: B.zeros(2, 3).view(3, -2), ValueError, "-2"),
    ("expand negative", lambda: B.zeros(1, 3).expand(-2, 3), ValueError, "-2"),
    ("chunk 0", lambda: B.zeros(4).chunk(0), ValueError, "chunk"),
    ("chunk negative", lambda: B.zeros(4).chunk(-1), ValueError, "-1"),
    ("split negative", lambda: B.zeros(4).split(-1), ValueError, "-1"),
    ("softmax of integers", lambda: t([1, 2]).softmax(0), TypeError, "int64"),
    ("cross_entropy of integers", lambda: F.cross_entropy(t([[1, 2]]), t([0])), TypeError,
     "cross_entropy"),
    ("padding string", lambda: nn.Conv2d(1, 1, 3, padding="foo"), ValueError, "'foo'"),
    ("bce of NaN", lambda: F.binary_cross_entropy(t([float("nan")]), t([1.0])), ValueError,
     "binary_cross_entropy"),
    ("kernel_size 0", lambda: nn.Conv2d(1, 1, 0), ValueError, "kernel_size"),
    ("arange step 0", lambda: B.arange(0, 4, 0), ValueError, "step"),
    ("randint low >= high", lambda: B.randint(5, 3, (2,)), ValueError, "low=5"),
    ("0-d in cat", lambda: B.cat([t(1.0), t(2.0)]), ValueError, "zero-dimensional"),
    ("max over an empty dim", lambda: B.zeros(0, 3).max(0), RuntimeError, "max"),
    ("StepLR step_size 0", lambda: B.optim.lr_scheduler.StepLR(
        B.optim.SGD([B.zeros(1, requires_grad=True)], lr=0.1), step_size=0), ValueError,
     "step_size"),
    ("integer division by zero", lambda: t([1]) // t([0]), RuntimeError, "division by zero"),
    ("a tensor of 10^12 elements", lambda: B.zeros(10**12), RuntimeError, "zeros: cannot allocate"),
    ("padding 10^6", lambda: F.pad(B.zeros(1, 1, 2, 2), (10**6,) * 4), RuntimeError,
     "cannot allocate"),
]


@pytest.mark.parametrize("name,call,error,part", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_clearly(name, call, error, part):
    with pytest.raises(error) as info:
        call()
    assert part in str(info.value)


def test_integer_bitwise_operators_compute_bits():
    a, b = t([12, 10, -1]), t([10, 6, 3])
    assert (a & b).tolist() == [8, 2, 3] and (a | b).tolist() == [14, 14, -1]
    assert (a ^ b).tolist() == [6, 12, -4] and (~a).tolist() == [-13, -11, 0]
    assert (t([1, 2]) << 3).tolist() == [8, 16] and (t([16, 9]) >> 2).tolist() == [4, 2]
    assert (~t([True, False])).tolist() == [False, True]
    assert (t([True, False]) & t([True, True])).dtype == B.bool


def test_empty_batches_flow():
    assert nn.Conv2d(1, 2, 3)(B.zeros(0, 1, 5, 5)).shape == (0, 2, 3, 3)
    with pytest.warns(UserWarning, match="zero-element"):
        layer = nn.Linear(0, 3)
    assert layer(B.zeros(2, 0)).shape == (2, 3)
    assert B.zeros(2, 0).softmax(1).shape == (2, 0)
    assert len(B.zeros(0).chunk(2)) == 2
