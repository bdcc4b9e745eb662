"""The activations of `brique.nn.functional` (kept apart from functional.py for its size), with
PyTorch's signatures, `inplace` included. All are composites of primitives.

`inplace=True`: when a gradient is wanted the result is a new tensor (same values): recording
the write in the graph would cost a copy of the input and a pass more, against the memory it
saves; use the result (`x = F.relu(x, inplace=True)`, as modules do). Otherwise the input is
overwritten and returned, as PyTorch does. `relu_(x)` is the Tensor method: in place always,
recorded in the graph."""
from __future__ import annotations

from .. import autograd, backend
from ..ops import elementwise as E
from ..ops.elementwise import hardshrink, prelu  # noqa: F401 (nn.functional's names)
from ..ops.movement import chunk
from ..ops.reduce import softmax
from ..tensor import Tensor


def _result(input, out, inplace):
    if inplace and not (autograd.is_grad_enabled() and (input.requires_grad or out.requires_grad)):
        return input.copy_(out)
    return out


def relu(input, inplace=False):
    return _result(input, E.relu(input), inplace)


def relu_(input):
    return input.relu_()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _result(input, E.leaky_relu(input, negative_slope), inplace)


def elu(input, alpha=1.0, inplace=False):
    return _result(input, E.elu(input, alpha), inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return _result(input, E.clamp(input, min_val, max_val), inplace)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def silu(input, inplace=False):
    return _result(input, E.silu(input), inplace)


# SELU's constants (Klambauer et al. 2017): the fixed point of mean 0, variance 1.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    return _result(input, _SELU_SCALE * E.elu(input, _SELU_ALPHA), inplace)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)), which is alpha * elu(x / alpha)."""
    return _result(input, alpha * E.elu(input / alpha, 1.0), inplace)


def mish(input, inplace=False):
    return _result(input, input * E.tanh(E.softplus(input)), inplace)


def hardsigmoid(input, inplace=False):
    return _result(input, E.clamp(input + 3.0, 0.0, 6.0) / 6.0, inplace)


def hardswish(input, inplace=False):
    return _result(input, input * (E.clamp(input + 3.0, 0.0, 6.0) / 6.0), inplace)


def logsigmoid(input):
    return -E.softplus(-input)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return softmax(-input, dim, dtype)


def glu(input, dim=-1):
    """First half times the sigmoid of the second half along `dim`.

    Shape: (*, 2 n, *) -> (*, n, *)."""
    if input.shape[dim] % 2:
        raise ValueError(f"glu: halving only works on an even dimension, got size "
                         f"{input.shape[dim]} at dim {dim} (shape {tuple(input.shape)})")
    a, b = chunk(input, 2, dim)
    return a * E.sigmoid(b)


def threshold(input, threshold, value, inplace=False):
    """value where x <= threshold, else x (NaN stays NaN, as in PyTorch)."""
    return _result(input, E.where(input <= threshold, value, input), inplace)


def tanhshrink(input):
    return input - E.tanh(input)


def softshrink(input, lambd=0.5):
    return input - E.clamp(input, -lambd, lambd)  # x - l above l, x + l below -l, 0 between


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU with a random slope in [lower, upper] per element in training, their mean in
    evaluation."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    slope = backend.rng(input.device).uniform(lower, upper, size=input.shape)
    slope = Tensor._make(slope.astype(input.dtype))
    return _result(input, E.where(input >= 0, input, slope * input), inplace)

