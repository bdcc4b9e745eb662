"""3-D (volumetric) layers: Conv3d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d, AdaptiveMaxPool3d,
LPPool3d (video, medical volumes). Shape: (N, C, D, H, W) or unbatched (C, D, H, W)."""
from __future__ import annotations

from .. import functional as F
from .conv import Conv2d, ConvTranspose2d
from .. import _functional_volume as FV
from .pooling import AvgPool2d, MaxPool2d, _Pool
from .pooling_more import _LPPool


class Conv3d(Conv2d):
    """3-D convolution, weight (out, in / groups, kD, kH, kW), PyTorch's init.
    Shape: (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out)."""
    nd, conv = 3, staticmethod(F.conv3d)


class ConvTranspose3d(ConvTranspose2d):
    """Transposed 3-D convolution (the adjoint of Conv3d): learned upsampling of volumes.
    Shape: (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out)."""
    nd, conv_transpose = 3, staticmethod(F.conv_transpose3d)


class MaxPool3d(MaxPool2d):
    def forward(self, x):
        self._check(x, 3)
        return F.max_pool3d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class AvgPool3d(AvgPool2d):
    def forward(self, x):
        self._check(x, 3)
        return F.avg_pool3d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class AdaptiveAvgPool3d(_Pool):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        self._check(x, 3)
        return F.adaptive_avg_pool3d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool3d(_Pool):
    """Max pooling to a fixed output size (None keeps that input size); with return_indices,
    also the flat D * H * W index of each maximum."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x):
        self._check(x, 3)
        return FV.adaptive_max_pool3d(x, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class LPPool3d(_LPPool):
    """Power-average pooling in 3-D: (sum of x^p over each window)^(1/p).
    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out)."""

    def forward(self, x):
        return FV.lp_pool3d(x, float(self.norm_type), self.kernel_size, self.stride,
                            self.ceil_mode)
