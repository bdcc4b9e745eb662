"""LPPool1d/2d, MaxUnpool1d, ChannelShuffle and FeatureAlphaDropout: small layers that hold
their options and call nn.functional."""
from __future__ import annotations

from .. import functional as F
from .dropout import _DropoutNd
from .module import Module


class _LPPool(Module):
    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPool):
    """Power-average pooling: (sum of x^p over each window)^(1/p).
    Shape: (N, C, L) or (C, L) -> (N, C, L_out)."""

    def forward(self, x):
        return F.lp_pool1d(x, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class LPPool2d(_LPPool):
    """Power-average pooling in 2-D. Shape: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out)."""

    def forward(self, x):
        return F.lp_pool2d(x, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class MaxUnpool1d(Module):
    """The partial inverse of MaxPool1d(return_indices=True): values go back to where their
    maxima came from, zeros elsewhere."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        one = (lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,))
        self.kernel_size = one(kernel_size)
        self.stride = one(stride if stride is not None else kernel_size)
        self.padding = one(padding)

    def forward(self, input, indices, output_size=None):
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool3d(Module):
    """The partial inverse of MaxPool3d(return_indices=True)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        three = (lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,) * 3)
        self.kernel_size = three(kernel_size)
        self.stride = three(stride if stride is not None else kernel_size)
        self.padding = three(padding)

    def forward(self, input, indices, output_size=None):
        return F.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class ChannelShuffle(Module):
    """Interleaves the channels of `groups` groups (ShuffleNet). Shape: (N, C, *) -> same."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (for SELU networks with convolutions)."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
