"""`brique.random`: the global random state, as `torch.random` exposes it.

Checkpoints save `get_rng_state()` and restore it with `set_rng_state()`, after which every draw
(rand, randn, randint, randperm, dropout masks, DataLoader shuffling without a generator)
repeats exactly. The state is a uint8 tensor like PyTorch's, but its bytes are brique's own:
the NumPy PCG64 generator's 128-bit state and increment, its buffered 32-bit half-word, and
the seed `initial_seed()` reports. A PyTorch state tensor (5056 bytes) is refused.
"""
from __future__ import annotations

import contextlib

import numpy

from . import backend
from .tensor import Tensor

_STATE_BYTES = 48  # state 16 + inc 16 + has_uint32 4 + uinteger 4 + seed 8


def _encode(state, seed):
    if state.get("bit_generator") != "PCG64":
        raise RuntimeError(f"get_rng_state: brique's generator is PCG64, found "
                           f"{state.get('bit_generator')!r}")
    raw = b"".join([state["state"]["state"].to_bytes(16, "little"),
                    state["state"]["inc"].to_bytes(16, "little"),
                    int(state["has_uint32"]).to_bytes(4, "little"),
                    int(state["uinteger"]).to_bytes(4, "little"),
                    (int(seed) % 2**64).to_bytes(8, "little")])
    return Tensor._make(numpy.frombuffer(raw, dtype=numpy.uint8).copy())


def _decode(new_state, who):
    """A state tensor -> (NumPy PCG64 state dict, seed), with a clear error for anything else."""
    if not isinstance(new_state, Tensor):
        raise TypeError(f"{who}: expected a uint8 tensor from brique.get_rng_state(), got "
                        f"{type(new_state).__name__}")
    if new_state.dtype != backend.uint8 or tuple(new_state.shape) != (_STATE_BYTES,):
        raise RuntimeError(f"{who}: expected a uint8 tensor of shape ({_STATE_BYTES},) as "
                           f"brique.get_rng_state() returns, got dtype {new_state.dtype} and "
                           f"shape {tuple(new_state.shape)} (a PyTorch state cannot be loaded)")
    raw = backend.to_numpy(new_state._data).tobytes()

    def num(a, b):
        return int.from_bytes(raw[a:b], "little")
    has_uint32 = num(32, 36)
    if has_uint32 not in (0, 1) or num(36, 40) >= 2**32:
        raise RuntimeError(f"{who}: the state tensor is corrupted (bad buffered-word bytes)")
    state = {"bit_generator": "PCG64", "state": {"state": num(0, 16), "inc": num(16, 32)},
             "has_uint32": has_uint32, "uinteger": num(36, 40)}
    return state, num(40, 48)


def get_rng_state():
    """The CPU random state as a uint8 tensor (torch.get_rng_state)."""
    return _encode(backend._rng.bit_generator.state, backend._initial_seed)


def set_rng_state(new_state):
    """Restore a state from get_rng_state(): the draws that followed it repeat exactly."""
    state, seed = _decode(new_state, "set_rng_state")
    backend._rng.bit_generator.state = state
    backend._initial_seed = seed


def manual_seed(seed):
    """Seed brique's generators; returns `default_generator`, as torch.manual_seed does."""
    backend.manual_seed(seed)
    return default_generator


def seed():
    """Seed from fresh entropy; returns the seed."""
    return backend.seed()


def initial_seed():
    """The seed of the CPU generator (set by manual_seed, or drawn at import)."""
    return backend.initial_seed()


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """Draws made in the block leave the random state as it was before the block."""
    if not enabled:
        yield
        return
    saved = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(saved)


class _DefaultGenerator:
    """`brique.default_generator`: the global CPU generator seen as a Generator, so that
    `generator=brique.default_generator` draws from (and moves) the global random state.
    It has no state of its own: every attribute reads the backend's."""

    device = backend.CPU
    rng = property(lambda self: backend._rng)
    _seed = property(lambda self: backend._initial_seed)

    def manual_seed(self, seed):
        backend.manual_seed(seed)
        return self

    def seed(self):
        return backend.seed()

    def initial_seed(self):
        return backend._initial_seed

    def get_state(self):
        return get_rng_state()

    def set_state(self, new_state):
        if isinstance(new_state, dict):  # the NumPy state dict brique.Generator uses
            backend._rng.bit_generator.state = new_state
        else:
            set_rng_state(new_state)
        return self

    def __repr__(self):
        return f"default_generator(seed={backend._initial_seed})"


default_generator = _DefaultGenerator()


# brique.cuda's random state. Without a GPU this follows PyTorch's CPU-only build: getting one
# device's state fails, the `_all` forms see no devices, setting is a no-op. CuPy's generator
# (cuRAND) cannot export its state, so on a GPU only reseeding (manual_seed) is possible.
def cuda_get_rng_state(device="cuda"):
    if not backend.cuda_is_available():
        raise RuntimeError("cuda.get_rng_state: no CUDA device is available (CuPy is missing "
                           "or found no GPU)")
    raise RuntimeError("cuda.get_rng_state: CuPy's cuRAND generator cannot export its state; "
                       "reseed with brique.cuda.manual_seed to make GPU draws repeat")


def cuda_get_rng_state_all():
    if not backend.cuda_is_available():
        return []
    return [cuda_get_rng_state()]


def cuda_set_rng_state(new_state, device="cuda"):
    if backend.cuda_is_available():
        cuda_get_rng_state()  # raises the reason


def cuda_set_rng_state_all(new_states):
    for s in new_states:
        cuda_set_rng_state(s)


# ---------------------------------------------------------------- random in-place fills
def _fill(self, name, generator, draw):
    """Write draw(gen, shape) into self, from `generator` or brique's global state."""
    gen = generator.rng if generator is not None else backend.rng(self.device)
    data = self._inplace(name)
    data[...] = draw(gen, data.shape)
    return self


def _integers(gen):
    return gen.integers if hasattr(gen, "integers") else gen.randint  # NumPy / CuPy


def _random_bounds(dtype, args, kwargs):
    """random_(), random_(to), random_(from, to): the half-open range [low, high)."""
    args = list(args) + [kwargs.pop(k) for k in ("from", "to") if k in kwargs]
    if kwargs:
        raise TypeError(f"random_: unexpected keyword arguments {sorted(kwargs)}")
    if dtype.kind == "b":
        top = 2
    elif dtype.kind == "f":  # every integer the mantissa holds exactly, as PyTorch
        top = 2 ** (numpy.finfo(dtype).nmant + 1) + 1
    else:
        top = int(numpy.iinfo(dtype).max) + 1
    if len(args) > 2:
        raise TypeError(f"random_: expected at most (from, to), got {len(args)} arguments")
    low, high = (0, top) if not args else (0, args[0]) if len(args) == 1 else args
    high = top if high is None else high
    if not low < high:
        raise RuntimeError(f"random_: expects 'from' < 'to', got from={low}, to={high}")
    if dtype.kind in "iu" and (low < numpy.iinfo(dtype).min or high - 1 > numpy.iinfo(dtype).max):
        raise RuntimeError(f"random_: the range [{low}, {high}) does not fit dtype {dtype}")
    return int(low), int(high)


def random_(self, *args, generator=None, **kwargs):
    """Integers drawn uniformly from [from, to) (random_(to): [0, to); random_(): every
    integer the dtype holds exactly from 0)."""
    low, high = _random_bounds(self.dtype, args, kwargs)
    if high > 2**63:  # beyond int64 draws; only float64 asks (2**53 + 1 fits)
        raise RuntimeError(f"random_: 'to' = {high} is beyond int64")
    return _fill(self, "random_", generator,
                 lambda g, shape: _integers(g)(low, high, size=shape))


def _positive(op, name, value):
    if not value > 0:
        raise RuntimeError(f"{op}: expects {name} > 0, got {name}={value}")


def exponential_(self, lambd=1.0, *, generator=None):
    _positive("exponential_", "lambd", lambd)
    return _fill(self, "exponential_", generator,
                 lambda g, shape: g.exponential(1.0 / lambd, size=shape))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    _positive("cauchy_", "sigma", sigma)
    return _fill(self, "cauchy_", generator,
                 lambda g, shape: median + sigma * g.standard_cauchy(size=shape))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    _positive("log_normal_", "std", std)
    return _fill(self, "log_normal_", generator,
                 lambda g, shape: g.lognormal(mean, std, size=shape))


def geometric_(self, p, *, generator=None):
    """The number of Bernoulli(p) trials up to the first success: 1, 2, ..."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_: expects 0 < p < 1, got p={p}")
    return _fill(self, "geometric_", generator, lambda g, shape: g.geometric(p, size=shape))


FILLS = {"random_": random_, "exponential_": exponential_, "cauchy_": cauchy_,
         "log_normal_": log_normal_, "geometric_": geometric_}


def install():
    for name, fn in FILLS.items():
        setattr(Tensor, name, fn)
