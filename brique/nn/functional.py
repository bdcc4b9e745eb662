"""brique.nn.functional (import as F): the math behind the layers, built from primitives.
Modules hold state and call these; a function here has no backward of its own."""
from __future__ import annotations

from .. import backend
from ..ops.elementwise import (elu, gelu, hardtanh, leaky_relu, relu, sigmoid, silu,  # noqa: F401
                               softplus, tanh)
from ..ops.indexing import one_hot  # noqa: F401
from ..ops.movement import pad  # noqa: F401
from ..ops.reduce import log_softmax, softmax  # noqa: F401
from ..tensor import Tensor


def linear(input, weight, bias=None):
    """y = x W^T + b.

    Shape: input (*, in_features), weight (out_features, in_features), bias (out_features,)
    -> (*, out_features).
    """
    out = input @ weight.mT
    return out if bias is None else out + bias


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T W_k x2 + b_k.

    Shape: input1 (*, in1), input2 (*, in2), weight (out, in1, in2) -> (*, out).
    """
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, 1, 1, input1.shape[-1])            # (B, 1, 1, in1)
    x2 = input2.reshape(-1, 1, input2.shape[-1], 1)            # (B, 1, in2, 1)
    out = (x1 @ weight.unsqueeze(0) @ x2).reshape(lead + (weight.shape[0],))
    return out if bias is None else out + bias


def heaviside_step(input):
    """The perceptron's threshold unit: 1 where input > 0, else 0 (no gradient)."""
    return Tensor._make((input._data > 0).astype(input.dtype))


def softsign(input):
    return input / (1 + input.abs())


def _dropout_mask(input, p, shape):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    keep = backend.rng(input.device).random(shape) >= p
    # Inverted dropout: scale at train time so that evaluation is the identity.
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return Tensor._make((keep * scale).astype(input.dtype))


def dropout(input, p=0.5, training=True, inplace=False):
    if not training or p == 0.0:
        return input
    return input * _dropout_mask(input, p, input.shape)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Drops whole channels. Shape: (N, C, H, W) or (C, H, W)."""
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected a 3-D or 4-D input, got shape {tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    shape = input.shape[:-2] + (1, 1)
    return input * _dropout_mask(input, p, shape)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    num = (x1 * x2).sum(dim)
    return num / (x1.norm(2, dim) * x2.norm(2, dim)).clamp(min=eps)
