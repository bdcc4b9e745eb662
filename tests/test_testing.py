"""brique.testing.assert_close and make_tensor, against torch.testing's behaviour."""
import math

import numpy as np
import pytest

import brique
from brique.testing import assert_close, make_tensor

torch = pytest.importorskip("torch")


def both_fail(ours, theirs, exc=AssertionError):
    """Run the same comparison in both libraries; return the two messages."""
    with pytest.raises(exc) as a:
        ours()
    with pytest.raises(exc) as b:
        theirs()
    return str(a.value), str(b.value)


def test_passes_within_dtype_tolerances():
    assert_close(brique.tensor([1.0, 2.0]), brique.tensor([1.0, 2.0 + 1e-6]))
    assert_close(brique.tensor([1.0], dtype=brique.float64),
                 brique.tensor([1.0 + 5e-8], dtype=brique.float64))
    assert_close(brique.tensor([1.0], dtype=brique.float16),
                 brique.tensor([1.0009765625], dtype=brique.float16))
    assert_close(brique.tensor([float("nan")]), brique.tensor([float("nan")]), equal_nan=True)
    assert_close(brique.zeros(2), brique.zeros(2, dtype=brique.float64), check_dtype=False)
    assert_close(1.0, 1.0 + 1e-9)
    assert_close([brique.ones(2), {"a": 3}], [brique.ones(2), {"a": 3}])
    assert_close(brique.tensor([1.0, 2.0]), brique.tensor([1.1, 2.0]), rtol=0.2, atol=0)


def test_messages_match_torch():
    ours, theirs = both_fail(
        lambda: assert_close(brique.tensor([1.0, 2.0, 3.0]), brique.tensor([1.0, 2.1, 3.0])),
        lambda: torch.testing.assert_close(torch.tensor([1.0, 2.0, 3.0]),
                                           torch.tensor([1.0, 2.1, 3.0])))
    assert ours.splitlines()[:3] == theirs.splitlines()[:3]
    assert "Greatest absolute difference: 0.0999999" in ours and "at index (1,)" in ours
    assert "(up to 1e-05 allowed)" in ours and "(up to 1.3e-06 allowed)" in ours
    ours, theirs = both_fail(lambda: assert_close(brique.tensor([1, 2]), brique.tensor([1, 3])),
                             lambda: torch.testing.assert_close(torch.tensor([1, 2]),
                                                                torch.tensor([1, 3])))
    assert ours.splitlines()[:4] == theirs.splitlines()[:4]  # "not equal", integer difference
    ours, theirs = both_fail(lambda: assert_close(1.0, 1.1),
                             lambda: torch.testing.assert_close(1.0, 1.1))
    assert ours == theirs


def test_attribute_and_structure_mismatches():
    with pytest.raises(AssertionError, match="'shape' do not match: \\(2,\\) != \\(3,\\)"):
        assert_close(brique.zeros(2), brique.zeros(3))
    with pytest.raises(AssertionError, match="'dtype' do not match: brique.float32 != "
                                             "brique.float64"):
        assert_close(brique.zeros(2), brique.zeros(2, dtype=brique.float64))
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 1"):
        assert_close(brique.tensor([math.nan]), brique.tensor([math.nan]))
    with pytest.raises(AssertionError, match=r"The failure occurred for item \['a'\]\[1\]"):
        assert_close({"a": [brique.zeros(1), brique.zeros(1)]},
                     {"a": [brique.zeros(1), brique.ones(1)]})
    with pytest.raises(AssertionError, match="^hi$"):
        assert_close(brique.zeros(2), brique.ones(2), msg="hi")
    with pytest.raises(TypeError, match="cannot compare Tensor with list"):
        assert_close(brique.zeros(2), [0.0, 0.0])
    with pytest.raises(ValueError, match="both 'rtol' and 'atol'"):
        assert_close(brique.zeros(2), brique.zeros(2), rtol=0)
    with pytest.raises(AssertionError, match="length of the sequences"):
        assert_close([1, 2], [1])


def test_make_tensor():
    brique.manual_seed(0)
    f = make_tensor(2, 3, dtype=brique.float32, device="cpu")
    assert f.shape == (2, 3) and f.dtype == brique.float32
    assert -9 <= f.min().item() and f.max().item() <= 9
    i = make_tensor((50,), dtype=brique.int64, device="cpu", low=0, high=3)
    assert set(i.tolist()) <= {0, 1, 2}
    u = make_tensor(200, dtype=brique.uint8, device="cpu")
    assert u.min().item() >= 0 and u.max().item() <= 9
    b = make_tensor(20, dtype=brique.bool, device="cpu")
    assert b.dtype == brique.bool
    g = make_tensor(3, dtype=brique.float64, device="cpu", requires_grad=True)
    assert g.requires_grad
    nc = make_tensor(4, 5, dtype=brique.float32, device="cpu", noncontiguous=True)
    assert not nc.is_contiguous() and nc.shape == (4, 5)
    z = make_tensor(100, dtype=brique.int64, device="cpu", low=-1, high=2, exclude_zero=True)
    assert 0 not in z.tolist()
    with pytest.raises(TypeError, match="device"):
        make_tensor(3, dtype=brique.float32)
    with pytest.raises(ValueError, match="low=5"):
        make_tensor(3, dtype=brique.int32, device="cpu", low=5, high=2)
    np.testing.assert_equal(make_tensor(0, dtype=brique.float32, device="cpu").shape, (0,))
