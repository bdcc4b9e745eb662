"""keras.ops' neural-network functions on brique Tensors, through brique.nn.functional:
activations, one_hot, the three cross-entropies (per sample, unreduced, as Keras's ops
return them), conv (channels-last, Keras's kernel layout), moments, logsumexp, normalize."""
from __future__ import annotations

from ...nn import functional as F
from ...ops.movement import movedim
from ..backend import epsilon as _epsilon
from ..layers.convolutional import _same_pads
from .core import _dtype, convert_to_tensor as _t
from .numpy import _axes


def _activation(fn, name):
    def op(x):
        return fn(_t(x))
    op.__name__ = name
    return op


relu = _activation(F.relu, "relu")
relu6 = _activation(F.relu6, "relu6")
sigmoid = _activation(F.sigmoid, "sigmoid")
tanh = _activation(F.tanh, "tanh")
softplus = _activation(F.softplus, "softplus")
softsign = _activation(F.softsign, "softsign")
silu = swish = _activation(F.silu, "silu")
selu = _activation(F.selu, "selu")
log_sigmoid = _activation(lambda x: -F.softplus(-x), "log_sigmoid")


def elu(x, alpha=1.0):
    return F.elu(_t(x), alpha)


def leaky_relu(x, negative_slope=0.2):
    """Keras's default slope is 0.2 (PyTorch's is 0.01)."""
    return F.leaky_relu(_t(x), negative_slope)


def hard_sigmoid(x):
    """relu6(x + 3) / 6, Keras 3's definition."""
    return F.relu6(_t(x) + 3.0) / 6.0


def gelu(x, approximate=True):
    """Keras's default is the tanh approximation."""
    return F.gelu(_t(x), approximate="tanh" if approximate else "none")


def softmax(x, axis=-1):
    x = _t(x)
    if axis is None or isinstance(axis, (list, tuple)):  # over several axes at once
        axes = _axes(axis, x.ndim)
        return (x - x.logsumexp(axes, keepdim=True)).exp()
    return F.softmax(x, dim=axis)


def log_softmax(x, axis=-1):
    x = _t(x)
    if axis is None or isinstance(axis, (list, tuple)):
        return x - x.logsumexp(_axes(axis, x.ndim), keepdim=True)
    return F.log_softmax(x, dim=axis)


def logsumexp(x, axis=None, keepdims=False):
    x = _t(x)
    return x.logsumexp(_axes(axis, x.ndim), keepdim=keepdims)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Float one-hot vectors (Keras's default dtype); indices out of [0, num_classes) give
    rows of zeros, as in Keras."""
    x = _t(x).long()
    valid = (x >= 0) & (x < num_classes)
    out = F.one_hot(x * valid.long(), num_classes) * valid.unsqueeze(-1).long()
    out = out.to(_dtype(dtype or "float32"))
    return out if axis == -1 else movedim(out, -1, axis)


def _same_shape(target, output, op):
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError(f"{op}: target and output must have the same shape, got "
                         f"{tuple(target.shape)} and {tuple(output.shape)}")


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise; `output` probabilities are clipped to [eps, 1 - eps] as in Keras."""
    target, output = _t(target), _t(output)
    _same_shape(target, output, "binary_crossentropy")
    target = target.to(output.dtype)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    eps = _epsilon()
    output = output.clamp(eps, 1.0 - eps)
    return -(target * output.log() + (1.0 - target) * (1.0 - output).log())


def _log_probs(output, from_logits, axis):
    if from_logits:
        return F.log_softmax(output, dim=axis)
    eps = _epsilon()
    output = output / output.sum(axis, keepdim=True)
    return output.clamp(eps, 1.0 - eps).log()


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per sample (the class axis summed away)."""
    target, output = _t(target), _t(output)
    _same_shape(target, output, "categorical_crossentropy")
    if output.ndim < 1:
        raise ValueError("categorical_crossentropy: target and output must be at least rank 1")
    return -(target.to(output.dtype) * _log_probs(output, from_logits, axis)).sum(axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Integer targets, one fewer axis than `output` (or a size-1 axis in its place)."""
    target, output = _t(target).long(), _t(output)
    if output.ndim < 1:
        raise ValueError("sparse_categorical_crossentropy: output must be at least rank 1")
    if target.ndim == output.ndim and target.shape[axis] == 1:
        target = target.squeeze(axis)
    expected = list(output.shape)
    del expected[axis]
    if list(target.shape) != expected:
        raise ValueError(f"sparse_categorical_crossentropy: target of shape "
                         f"{tuple(target.shape)} does not match output of shape "
                         f"{tuple(output.shape)} without its class axis")
    log_probs = movedim(_log_probs(output, from_logits, axis), axis, -1)
    picked = log_probs.gather(-1, target.clamp(0, output.shape[axis] - 1).unsqueeze(-1))
    return -picked.squeeze(-1)


def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) over `axes`."""
    x = _t(x)
    axes = _axes(axes, x.ndim)
    mean = x.mean(axes, keepdim=True)
    variance = ((x - mean) ** 2).mean(axes, keepdim=True)
    if not keepdims:
        mean, variance = mean.squeeze(axes), variance.squeeze(axes)
    return mean, variance


def normalize(x, axis=-1, order=2, epsilon=None):
    """x divided by its `order`-norm along `axis` (at least `epsilon`)."""
    x = _t(x)
    eps = _epsilon() if epsilon is None else epsilon
    if order == 2:
        return x * (x * x).sum(axis, keepdim=True).rsqrt().clamp(None, 1.0 / eps)
    norm = (x.abs() ** order).sum(axis, keepdim=True) ** (1.0 / order)
    return x / norm.clamp(eps, None)


_CONVS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _tuple(v, n, what):
    v = tuple(v) if isinstance(v, (list, tuple)) else (v,) * n
    if len(v) != n or not all(isinstance(i, int) and i > 0 for i in v):
        raise ValueError(f"conv: {what} must be a positive int or {n} of them, got {v}")
    return v


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-d convolution (N = 1, 2, 3). inputs: (batch, *spatial, channels) (channels_last,
    the default) or (batch, channels, *spatial); kernel: (*kernel_spatial, in_channels /
    groups, out_channels), Keras's layout. padding 'same' pads as TensorFlow does (the odd
    pixel at the end)."""
    x, w = _t(inputs), _t(kernel)
    n = x.ndim - 2
    if n not in _CONVS or w.ndim != x.ndim:
        raise ValueError(f"conv: expected inputs of rank 3-5 and a kernel of the same rank, "
                         f"got shapes {tuple(x.shape)} and {tuple(w.shape)}")
    if padding not in ("valid", "same"):
        raise ValueError(f"conv: padding must be 'valid' or 'same', got {padding!r}")
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"conv: data_format must be 'channels_last' or 'channels_first', "
                         f"got {data_format!r}")
    last = data_format != "channels_first"
    if last:
        x = movedim(x, -1, 1)
    channels = x.shape[1]
    if channels % w.shape[-2]:
        raise ValueError(f"conv: {channels} input channels are not a multiple of the "
                         f"kernel's {w.shape[-2]} input channels (kernel {tuple(w.shape)})")
    strides = _tuple(strides, n, "strides")
    dilation = _tuple(dilation_rate, n, "dilation_rate")
    if padding == "same":
        pads = _same_pads(x.shape[2:], w.shape[:n], strides, dilation)
        x = F.pad(x, [p for pair in reversed(pads) for p in pair])
    out = _CONVS[n](x, w.permute(n + 1, n, *range(n)), stride=strides, dilation=dilation,
                    groups=channels // w.shape[-2])
    return movedim(out, 1, -1) if last else out


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """kernel (*kernel_spatial, in_channels, multiplier): one filter set per channel."""
    w = _t(kernel)
    shape = tuple(w.shape)
    return conv(inputs, w.reshape(shape[:-2] + (1, shape[-2] * shape[-1])), strides, padding,
                data_format, dilation_rate)

