"""Legacy tensor types (brique.FloatTensor ...), x.type(), and the Tensor metadata and dtype
helpers of brique/_tensor_meta.py and set_printoptions, compared with torch."""
import numpy as np
import pytest

import brique

torch = pytest.importorskip("torch")

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
         "CharTensor", "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("name", NAMES)
def test_legacy_type_makes_and_recognises_its_dtype(name):
    ours, theirs = getattr(brique, name), getattr(torch, name)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    x = ours(2, 3)
    assert x.shape == (2, 3) and x.dtype == ours.dtype
    assert x.type() == theirs(2, 3).type() == f"torch.{name}"
    assert isinstance(x, ours)
    assert not isinstance(x, brique.FloatTensor if name != "FloatTensor" else brique.LongTensor)
    data = ours([1, 0, 1])
    assert data.tolist() == theirs([1, 0, 1]).tolist()
    assert ours().shape == (0,) and ours(brique.Size([4])).shape == (4,)
    assert brique.typename(x) == torch.typename(theirs(1)) == f"torch.{name}"


def test_legacy_call_forms_and_errors():
    y = brique.zeros(3)
    assert brique.FloatTensor(y) is y  # the tensor itself, as PyTorch aliases it
    assert brique.FloatTensor(np.arange(3)).tolist() == [0.0, 1.0, 2.0]
    assert brique.FloatTensor((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data
    assert repr(brique.LongTensor) == repr(torch.LongTensor)
    assert isinstance(brique.zeros(2, requires_grad=True), brique.FloatTensor)
    assert not isinstance(brique.zeros(2).numpy(), brique.FloatTensor)
    with pytest.raises(TypeError, match="expected a tensor of dtype float64"):
        brique.DoubleTensor(brique.zeros(2))
    with pytest.raises(RuntimeError, match="negative"):
        brique.FloatTensor(-1)
    with pytest.raises(TypeError, match="sizes"):
        brique.FloatTensor(2.5)


def test_type_converts():
    x = brique.tensor([1.5, 2.5])
    assert x.type(brique.LongTensor).dtype == brique.int64
    assert x.type("torch.IntTensor").tolist() == [1, 2]
    assert x.type(brique.float64).dtype == brique.float64
    assert brique.typename(3) == torch.typename(3) == "int"
    with pytest.raises(ValueError, match="invalid type 'torch.Foo'"):
        x.type("torch.Foo")


def test_set_default_tensor_type():
    try:
        with pytest.warns(UserWarning, match="deprecated"):
            brique.set_default_tensor_type(brique.DoubleTensor)
        assert brique.tensor([1.0]).dtype == brique.float64
        with pytest.raises(TypeError, match="floating-point"), pytest.warns(UserWarning):
            brique.set_default_tensor_type("torch.LongTensor")
    finally:
        brique.set_default_dtype(brique.float32)


# ---------------------------------------------------------------------- metadata
def test_data_ptr_and_storage_offset_follow_torch():
    b, t = brique.arange(12.).reshape(3, 4), torch.arange(12.).reshape(3, 4)
    for view in (lambda x: x, lambda x: x[0], lambda x: x[1:], lambda x: x[:, 2],
                 lambda x: x.t(), lambda x: x.reshape(-1)[5:]):
        assert view(b).storage_offset() == view(t).storage_offset()
        same = view(b).data_ptr() == b.data_ptr()
        assert same == (view(t).data_ptr() == t.data_ptr())
    assert b[1].data_ptr() - b.data_ptr() == 4 * b.element_size()
    assert b.clone().data_ptr() != b.data_ptr()


def test_predicates():
    for dtype, tdtype in ((brique.float32, torch.float32), (brique.uint8, torch.uint8),
                          (brique.int8, torch.int8), (brique.bool, torch.bool)):
        b, t = brique.zeros(2, dtype=dtype), torch.zeros(2, dtype=tdtype)
        assert b.is_signed() == t.is_signed() and b.is_complex() == t.is_complex()
    x = brique.zeros(2)
    assert x.is_cpu and not x.is_inference() and not x.is_pinned() and not x.is_shared()
    assert x.share_memory_() is x
    assert x.is_same_size(brique.ones(2)) and not x.is_same_size(brique.ones(3))
    assert brique.tensor([2.0]).is_nonzero() and not brique.tensor(0).is_nonzero()
    with pytest.raises(RuntimeError, match="ambiguous"):
        x.is_nonzero()
    leaf = brique.ones(2, requires_grad=True)
    y = leaf * 2
    assert not y.retains_grad
    y.retain_grad()
    assert y.retains_grad and not leaf.retains_grad


def test_pin_memory_without_a_gpu_raises_like_torch():
    if brique.cuda.is_available():
        assert brique.zeros(2).pin_memory() is not None
        return
    with pytest.raises(RuntimeError, match="accelerator"):
        brique.zeros(2).pin_memory()


def test_new_apply_map_and_bfloat16():
    x = brique.zeros(2, dtype=brique.float64)
    assert x.new(2, 3).shape == (2, 3) and x.new(2, 3).dtype == brique.float64
    assert x.new([1, 2]).tolist() == [1.0, 2.0] and x.new().shape == (0,)
    y = brique.tensor([1.0, 2.0, 3.0])
    assert y.apply_(lambda v: v * 10) is y and y.tolist() == [10.0, 20.0, 30.0]
    y.map_(brique.tensor([1.0, 2.0, 3.0]), lambda a, b: a + b)
    assert y.tolist() == [11.0, 22.0, 33.0]
    y.map_(brique.tensor(1.0), lambda a, b: a - b)  # broadcast
    assert y.tolist() == [10.0, 21.0, 32.0]
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        y.map_(brique.ones(2), lambda a, b: a)
    with pytest.raises(RuntimeError, match="leaf tensor"):
        brique.ones(2, requires_grad=True).apply_(abs)
    with pytest.raises(TypeError, match="no bfloat16"):
        y.bfloat16()


def test_dtype_helpers_match_torch():
    pairs = [("int32", "float32"), ("int64", "float32"), ("uint8", "int8"), ("bool", "int16"),
             ("float16", "float64"), ("bool", "bool")]
    for a, b in pairs:
        ours = brique.promote_types(getattr(brique, a if a != "bool" else "bool"),
                                    getattr(brique, b))
        assert str(ours) == str(torch.promote_types(getattr(torch, a), getattr(torch, b))) \
            .replace("torch.", "")
        assert brique.can_cast(getattr(brique, a), getattr(brique, b)) == \
            torch.can_cast(getattr(torch, a), getattr(torch, b))
        assert brique.can_cast(getattr(brique, b), getattr(brique, a)) == \
            torch.can_cast(getattr(torch, b), getattr(torch, a))


def test_asarray_empty_strided_frombuffer():
    arr = np.arange(3.0)
    shared = brique.asarray(arr)
    arr[0] = 7
    assert shared[0].item() == 7.0
    assert brique.asarray(arr, copy=True).data_ptr() != shared.data_ptr()
    t = brique.ones(2)
    assert brique.asarray(t) is t
    with pytest.raises(ValueError, match="copy=False"):
        brique.asarray([1, 2], copy=False)
    assert brique.asarray([1, 2], requires_grad=False).dtype == brique.int64
    e = brique.empty_strided((2, 3), (1, 2))
    assert e.shape == (2, 3) and e.stride() == torch.empty_strided((2, 3), (1, 2)).stride()
    with pytest.raises(RuntimeError, match="same length"):
        brique.empty_strided((2, 3), (1,))
    buf = bytearray(np.arange(4, dtype=np.int32).tobytes())
    f = brique.frombuffer(buf, dtype=brique.int32)
    assert f.tolist() == [0, 1, 2, 3]
    assert brique.frombuffer(buf, dtype=brique.int32, count=2, offset=4).tolist() == [1, 2]
    f[0] = 9  # shares the buffer, as torch.frombuffer does
    assert np.frombuffer(buf, dtype=np.int32)[0] == 9
    with pytest.raises(ValueError, match="whole number"):
        brique.frombuffer(bytearray(6), dtype=brique.int32)


def test_default_device():
    assert brique.get_default_device() == brique.device("cpu")
    brique.set_default_device("cpu")
    with pytest.raises(RuntimeError, match="set_default_device"):
        brique.set_default_device("cuda")


def test_set_printoptions_matches_torch():
    values = [1.23456, 20.5, 3.0]
    try:
        for opts in (dict(precision=2), dict(sci_mode=True), dict(profile="short"),
                     dict(precision=6)):
            brique.set_printoptions(**opts)
            torch.set_printoptions(**opts)
            assert repr(brique.tensor(values)) == repr(torch.tensor(values))
        brique.set_printoptions(threshold=5, edgeitems=2)
        torch.set_printoptions(threshold=5, edgeitems=2)
        # torch pads the ellipsis with one more space than NumPy's summary
        assert repr(brique.arange(10)) == repr(torch.arange(10)).replace(",  ...", ", ...")
        brique.set_printoptions(profile="full")
        assert "..." not in repr(brique.arange(2000))
        with pytest.raises(ValueError, match="profile"):
            brique.set_printoptions(profile="long")
    finally:
        brique.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert repr(brique.tensor(values)) == repr(torch.tensor(values))
    assert "..." in repr(brique.arange(2000))
