"""3-D (volumetric) layers: Conv3d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d (video, medical
volumes). Shape: (N, C, D, H, W) or unbatched (C, D, H, W)."""
from __future__ import annotations

from .. import functional as F
from .conv import Conv2d, ConvTranspose2d
from .pooling import AvgPool2d, MaxPool2d, _Pool


class Conv3d(Conv2d):
    """3-D convolution, weight (out, in / groups, kD, kH, kW), PyTorch's init.
    Shape: (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out)."""
    nd, conv = 3, staticmethod(F.conv3d)


class ConvTranspose3d(ConvTranspose2d):
    """Transposed 3-D convolution (the adjoint of Conv3d): learned upsampling of volumes.
    Shape: (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out)."""
    nd = 3

    def forward(self, x, output_size=None):
        self._check(x)
        output_padding = self.output_padding
        if output_size is not None:  # choose output_padding to reach the requested size
            output_padding = tuple(
                int(want) - ((n - 1) * s - 2 * p + d * (k - 1) + 1)
                for want, n, s, p, d, k in zip(tuple(output_size)[-3:], x.shape[-3:],
                                               self.stride, self.padding, self.dilation,
                                               self.kernel_size))
        return F.conv_transpose3d(x, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)


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
