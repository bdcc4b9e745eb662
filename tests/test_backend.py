"""backend.py: devices, array modules, dtypes, random state, erf."""
import math

import numpy as np
import pytest

import brique
from brique import _special, backend


# ---------------------------------------------------------------------- devices
def test_device_objects():
    cpu = brique.device("cpu")
    assert cpu.type == "cpu" and cpu.index is None
    assert repr(cpu) == "device(type='cpu')" and str(cpu) == "cpu"
    cuda = brique.device("cuda:0")
    assert (cuda.type, cuda.index) == ("cuda", 0)
    assert repr(cuda) == "device(type='cuda', index=0)" and str(cuda) == "cuda:0"
    assert brique.device("cuda", 1) == "cuda:1"
    assert brique.device("cuda") == brique.device("cuda:0")  # no GPU needed to name one
    assert cpu == "cpu" and cpu != "cuda:0" and cpu != cuda
    assert brique.device(cpu) == cpu
    assert len({brique.device("cpu"), brique.device("cpu"), cuda}) == 2  # hashable


@pytest.mark.parametrize("spec", ["gpu", "tpu", "cuda:x", "cuda:0:1"])
def test_device_bad_strings(spec):
    with pytest.raises(ValueError, match="device"):
        brique.device(spec)


def test_device_bad_type():
    with pytest.raises(TypeError):
        brique.device(3)


@pytest.mark.skipif(backend.cuda_is_available(), reason="a GPU is present")
@pytest.mark.parametrize("make", [
    lambda: brique.zeros(2, device="cuda"),
    lambda: brique.tensor([1.0], device="cuda:0"),
    lambda: brique.ones(2).to("cuda"),
    lambda: brique.ones(2).cuda(),
    lambda: brique.randn(2, device=brique.device("cuda")),
])
def test_cuda_without_gpu_is_a_clear_error(make):
    with pytest.raises(RuntimeError, match="cuda.*(CuPy|cupy)"):
        make()


def test_cuda_namespace():
    assert brique.cuda.is_available() == backend.cuda_is_available()
    if not backend.cuda_is_available():
        assert brique.cuda.device_count() == 0


def test_array_module_and_device_of():
    a = np.zeros(3)
    assert backend.get_array_module(a) is np
    assert backend.device_of(a) == "cpu"
    assert backend.to_device(a, backend.CPU) is a  # no copy when it stays put
    assert brique.ones(2).device == brique.device("cpu")


class _FakeGPUArray(np.ndarray):
    """An ndarray that the monkeypatched backend reports as living on cuda:0."""


def test_mixing_devices_is_a_clear_error(monkeypatch):
    # Mixing devices needs a GPU; fake one by making device_of report cuda:0 for one array type.
    real = backend.device_of
    monkeypatch.setattr(backend, "device_of", lambda arr: brique.device("cuda:0")
                        if isinstance(arr, _FakeGPUArray) else real(arr))
    a = brique.ones(2)
    b = brique.Tensor._make(np.ones(2).view(_FakeGPUArray))
    assert b.device == "cuda:0"
    with pytest.raises(RuntimeError, match="mul: expected all tensors on the same device, "
                                           "found tensors on cpu and cuda:0"):
        a * b


def test_ndarray_subclass_is_not_another_device():
    a = brique.ones(2)
    b = brique.Tensor._make(np.ones(2).view(_FakeGPUArray))  # unpatched: a CPU array
    assert (a * b).tolist() == [1.0, 1.0]


# ---------------------------------------------------------------------- dtypes
def test_as_dtype():
    assert backend.as_dtype(float) == brique.float32
    assert backend.as_dtype(int) == brique.int64
    assert backend.as_dtype(bool) == brique.bool
    assert backend.as_dtype("float64") == brique.float64
    assert backend.as_dtype(np.int32) == brique.int32
    assert backend.as_dtype(None) is None
    with pytest.raises(TypeError, match="unknown dtype"):
        backend.as_dtype("floaty")


PROMOTIONS = [
    lambda m, i, f, d: i + f,                           # int64 with float32: float32
    lambda m, i, f, d: f + m.tensor(2.0, dtype=m.float64),  # a 0-d float64 does not widen
    lambda m, i, f, d: i * m.tensor(2.5, dtype=m.float64),  # but gives an int its kind
    lambda m, i, f, d: d + f,
    lambda m, i, f, d: i / 2, lambda m, i, f, d: i / i, lambda m, i, f, d: i * 0.5,
    lambda m, i, f, d: i + True, lambda m, i, f, d: (i > 0) + (i > 1), lambda m, i, f, d: i // 2,
    lambda m, i, f, d: m.where(i > 0, 1.0, 0.0), lambda m, i, f, d: m.where(i > 0, i, 0.5),
    lambda m, i, f, d: m.cat([i, f]), lambda m, i, f, d: m.cat([f, d]),
    lambda m, i, f, d: i.clamp(-1.5, 1.5), lambda m, i, f, d: m.maximum(i, f),
    lambda m, i, f, d: f ** i, lambda m, i, f, d: m.tensor([1, 2], dtype=m.uint8) - 3,
]


@pytest.mark.parametrize("op", PROMOTIONS)
def test_result_dtypes_follow_pytorch(op):
    torch = pytest.importorskip("torch")
    got, want = (op(m, m.tensor([[3, -1], [0, 2]]), m.tensor([[0.5, -1.5], [2.0, 1.0]]),
                    m.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=m.float64)) for m in (brique, torch))
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_default_dtype_roundtrip():
    assert brique.get_default_dtype() == brique.float32
    brique.set_default_dtype(brique.float64)
    try:
        assert brique.tensor([1.5]).dtype == brique.float64
        assert brique.zeros(2).dtype == brique.float64
    finally:
        brique.set_default_dtype(brique.float32)
    assert brique.tensor([1.5]).dtype == brique.float32
    with pytest.raises(TypeError):
        brique.set_default_dtype(brique.int64)


# ---------------------------------------------------------------------- random state
@pytest.mark.parametrize("draw", [
    lambda: brique.randn(3, 4),
    lambda: brique.rand(5),
    lambda: brique.randint(0, 100, (6,)),
    lambda: brique.randperm(10),
    lambda: brique.normal(0.0, 1.0, (3,)),
    lambda: brique.empty(4).normal_(),
    lambda: brique.empty(4).uniform_(-1, 1),
])
def test_manual_seed_reproducible(draw):
    brique.manual_seed(1234)
    first = draw().numpy().copy()
    brique.manual_seed(1234)
    np.testing.assert_array_equal(draw().numpy(), first)
    brique.manual_seed(4321)
    assert not np.array_equal(draw().numpy(), first)


def test_seed_returns_usable_seed():
    s = brique.seed()
    a = brique.rand(3).numpy().copy()
    brique.manual_seed(s)
    np.testing.assert_array_equal(brique.rand(3).numpy(), a)


# ---------------------------------------------------------------------- erf
def test_erf_matches_math_erf():
    x = np.concatenate([np.linspace(-8, 8, 20001),               # the whole range
                        np.linspace(1.4, 2.6, 2001),             # around the series/fraction switch
                        [0.0, -0.0, 1e-300, -1e-12, 30.0, -30.0]])
    ref = np.array([math.erf(v) for v in x])
    got = _special.erf(x)
    assert got.dtype == np.float64
    assert np.abs(got - ref).max() < 1e-14


def test_erf_special_values_and_dtypes():
    np.testing.assert_array_equal(_special.erf(np.array([np.inf, -np.inf])), [1.0, -1.0])
    assert np.isnan(_special.erf(np.array([np.nan]))[0])
    assert _special.erf(np.zeros(3, np.float32)).dtype == np.float32
    assert _special.erf(np.array([1, 2])).dtype == np.float64
    assert _special.erf(np.zeros((2, 0))).shape == (2, 0)
    assert abs(float(_special.erf(np.array(0.5))) - math.erf(0.5)) < 1e-15


# ---------------------------------------------------------------------- malloc tuning
_MALLOPT_PROBE = """
import ctypes, numpy
calls = []
class FakeLibc:
    def __init__(self, name):
        pass
    def mallopt(self, *args):
        calls.append(args)
ctypes.CDLL = FakeLibc
import brique
print(len(calls))
x = brique.ones(3, requires_grad=True)
(x * x).sum().backward()
(x * x).sum().backward()
print(len(calls))
"""


@pytest.mark.parametrize("env,after", [({}, 3), ({"BRIQUE_MALLOPT": "0"}, 0)])
def test_malloc_tuning_waits_for_the_first_backward(env, after):
    """Importing brique changes nothing process-wide; the first backward() raises glibc's
    thresholds and limits it to one arena, once (unless BRIQUE_MALLOPT=0)."""
    import os
    import subprocess
    import sys
    if not sys.platform.startswith("linux"):
        pytest.skip("glibc only")
    out = subprocess.run([sys.executable, "-c", _MALLOPT_PROBE], capture_output=True, text=True,
                         check=True, env={**os.environ, **env})
    assert out.stdout.split() == ["0", str(after)]
