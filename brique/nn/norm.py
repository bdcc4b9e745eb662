"""Normalization layers: BatchNorm1d/2d/3d, LayerNorm, GroupNorm, LocalResponseNorm."""
from __future__ import annotations

import numbers

from .. import backend, creation
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


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


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d/3d, which differ only in the input ranks they accept."""

    _ranks = ()
    _layout = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine(self, (num_features,), affine, bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean",
                                 creation.zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var",
                                 creation.ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked",
                                 creation.zeros((), device=device, dtype=backend.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, x):
        if x.ndim not in self._ranks or x.shape[1] != self.num_features:
            raise self._shape_error(x, f"{self._layout} with C = {self.num_features}")
        # PyTorch's bookkeeping: momentum=None means a cumulative average over the batches.
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / int(self.num_batches_tracked.item())
        use_batch_stats = self.training or (self.running_mean is None and
                                            self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if keep else None,
                            self.running_var if keep else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs, per channel C."""
    _ranks, _layout = (2, 3), "of shape (N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs, per channel C."""
    _ranks, _layout = (4,), "of shape (N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) inputs, per channel C."""
    _ranks, _layout = (5,), "of shape (N, C, D, H, W)"


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
