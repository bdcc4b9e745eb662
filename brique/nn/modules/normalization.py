"""Normalization layers: LayerNorm, GroupNorm, LocalResponseNorm (batch norm: batchnorm.py)."""
from __future__ import annotations

import numbers

from ... import creation
from .. import functional as F
from .. import init
from .module import Module
from ..parameter import Parameter


def _affine(module, shape, affine, bias, device, dtype):
    """The learnable scale `weight` (and shift `bias`) of shape `shape`, or None for each."""
    module.register_parameter("weight", Parameter(creation.empty(*shape, device=device,
                                                                 dtype=dtype)) if affine else None)
    module.register_parameter("bias", Parameter(creation.empty(*shape, device=device,
                                                               dtype=dtype))
                              if affine and bias else None)


def _reset_affine(module):
    """PyTorch's init: scale 1, shift 0."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """Normalizes over the trailing `normalized_shape` dims of each sample."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine(self, self.normalized_shape, elementwise_affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, x):
        k = len(self.normalized_shape)
        if x.ndim < k or tuple(x.shape[x.ndim - k:]) != self.normalized_shape:
            raise self._shape_error(x, f"ending with {self.normalized_shape}")
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalizes each sample over groups of num_channels / num_groups channels."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        _affine(self, (num_channels,), affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise self._shape_error(x, f"of shape (N, C, *) with C = {self.num_channels}")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """AlexNet's normalization across `size` neighbouring channels:
    x / (k + alpha / size * sum x^2)^beta."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        if x.ndim < 3:
            raise self._shape_error(x, "of shape (N, C, *) with 3 or more dims")
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class LocalContrastNorm(Module):
    """Local contrast normalization (Jarrett et al. 2009): subtractive then divisive
    normalization over a size x size Gaussian neighbourhood and all channels; see
    F.local_contrast_norm. No parameters.

    Shape: (N, C, H, W) or (C, H, W) -> same.
    """

    def __init__(self, size=9, sigma=None, eps=1e-4):
        super().__init__()
        self.size, self.sigma, self.eps = size, sigma, eps

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise self._shape_error(x, "of shape (N, C, H, W) or (C, H, W)")
        return F.local_contrast_norm(x, self.size, self.sigma, self.eps)

    def extra_repr(self):
        return f"size={self.size}, sigma={self.sigma}, eps={self.eps}"


class RMSNorm(Module):
    """Scales each sample by the root mean square of its trailing `normalized_shape` dims (no
    centering: LLaMA's norm). eps=None uses the dtype's machine epsilon, as PyTorch does."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine(self, self.normalized_shape, elementwise_affine, False, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
