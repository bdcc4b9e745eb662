"""PyTorch switches that training scripts set and that have nothing to switch in brique:
`torch.backends.cudnn.benchmark = True`, `torch.compile(model)`, mixed precision
(`torch.autocast`, `torch.amp.GradScaler`), determinism and matmul-precision flags. Each is
accepted so the script runs; what it does here is said where it is defined."""
from __future__ import annotations

import contextlib
import types

from . import backend

# cuDNN does not exist here (CuPy's convolutions are im2col + cuBLAS): the flags are kept so
# that scripts can set and read them.
backends = types.SimpleNamespace(
    cudnn=types.SimpleNamespace(benchmark=False, deterministic=False, enabled=True,
                                allow_tf32=True, is_available=lambda: False),
    cuda=types.SimpleNamespace(matmul=types.SimpleNamespace(allow_tf32=False)),
    mps=types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False),
)

_flags = {"deterministic": False, "matmul_precision": "highest"}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """brique's CPU kernels are deterministic already; the flag is recorded."""
    _flags["deterministic"] = bool(mode)


def are_deterministic_algorithms_enabled():
    return _flags["deterministic"]


def set_float32_matmul_precision(precision):
    if precision not in ("highest", "high", "medium"):
        raise ValueError(f"set_float32_matmul_precision: expected 'highest', 'high' or "
                         f"'medium', got {precision!r}")
    _flags["matmul_precision"] = precision  # recorded: float32 matmuls stay float32


def get_float32_matmul_precision():
    return _flags["matmul_precision"]


def compile(model=None, **kwargs):
    """`torch.compile`: brique has no graph compiler, so the model (or function) is returned
    as it is; used as a decorator, the function is left unchanged."""
    if model is None:
        return lambda fn: fn
    return model


@contextlib.contextmanager
def autocast(device_type="cpu", dtype=None, enabled=True, cache_enabled=None):
    """Mixed precision in PyTorch; here every op runs in its inputs' dtype (cast the model
    with `.half()` for float16)."""
    yield


class GradScaler:
    """Loss scaling for float16 training. brique's autocast changes no dtype, so nothing
    underflows: `scale(loss)` returns the loss and `step(opt)` steps."""

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0,
                 backoff_factor=0.5, growth_interval=2000, enabled=True):
        self._enabled = enabled

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer):
        pass

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        pass

    def get_scale(self):
        return 1.0

    def is_enabled(self):
        return self._enabled

    def state_dict(self):
        return {}

    def load_state_dict(self, state_dict):
        pass


amp = types.SimpleNamespace(autocast=autocast, GradScaler=GradScaler)


def _cuda_autocast(enabled=True, dtype=None, cache_enabled=True):
    """The deprecated `torch.cuda.amp.autocast`, whose first argument is `enabled`."""
    return autocast("cuda", dtype, enabled, cache_enabled)


cuda_amp = types.SimpleNamespace(autocast=_cuda_autocast, GradScaler=GradScaler)


def _unchanged(obj=None, *args, **kwargs):
    """obj as it is; called with options only (`@torch.jit.ignore(drop=True)`), a decorator
    that leaves its function as it is."""
    return (lambda fn: fn) if obj is None else obj


# `torch.jit`: brique runs eagerly and has no TorchScript; script/trace give back the module or
# function (which computes the same), the decorators leave what they decorate as it is.
# Saving goes through brique.save / state_dict instead (no TorchScript archives).
jit = types.SimpleNamespace(script=_unchanged, trace=_unchanged, ignore=_unchanged,
                            unused=_unchanged, export=_unchanged, is_scripting=lambda: False,
                            is_tracing=lambda: False)


def finfo(dtype=None):
    """Machine limits of a floating dtype (eps, max, min, tiny), NumPy's finfo."""
    return backend.numpy.finfo(backend.as_dtype(dtype) or backend.get_default_dtype())


def iinfo(dtype):
    return backend.numpy.iinfo(backend.as_dtype(dtype))
