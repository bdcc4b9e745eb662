"""Conv1d, Conv2d, ConvTranspose1d/2d: weights (out, in/groups, *kernel), PyTorch's init."""
from __future__ import annotations

import math

from ... import creation
from .. import functional as F
from .. import init
from .module import Module
from ..parameter import Parameter


def _tuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


class _ConvNd(Module):
    nd = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None, output_padding=0):
        super().__init__()
        n = self.nd
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{type(self).__name__}: in_channels ({in_channels}) and "
                             f"out_channels ({out_channels}) must be divisible by groups "
                             f"({groups})")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"{type(self).__name__}: padding_mode must be 'zeros', 'reflect', "
                             f"'replicate' or 'circular', got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = _tuple(kernel_size, n), _tuple(stride, n)
        for what, value in (("kernel_size", self.kernel_size), ("stride", self.stride),
                            ("dilation", _tuple(dilation, n))):
            if any(v <= 0 for v in value):
                raise ValueError(f"{type(self).__name__}: {what} must be positive, got "
                                 f"{value}")
        if isinstance(padding, str) and padding not in ("same", "valid"):
            raise ValueError(f"{type(self).__name__}: invalid padding string {padding!r}, "
                             "should be one of {'same', 'valid'}")
        if padding == "same" and any(s != 1 for s in self.stride):
            raise ValueError(f"{type(self).__name__}: padding='same' is not supported for "
                             f"strided convolutions (stride {self.stride})")
        self.padding = padding if isinstance(padding, str) else _tuple(padding, n)
        self.dilation, self.output_padding = _tuple(dilation, n), _tuple(output_padding, n)
        self.padding_mode = padding_mode
        shape = ((in_channels, out_channels // groups) if self.transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(creation.empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # PyTorch's default
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _check(self, x):
        if x.ndim not in (self.nd + 1, self.nd + 2):
            raise self._shape_error(x, f"of rank {self.nd + 1} (unbatched) or {self.nd + 2} "
                                       f"(batched)")
        channels = x.shape[-self.nd - 1]
        if channels != self.in_channels:
            raise self._shape_error(x, f"with {self.in_channels} channels")

    def _padded(self, x):
        """Non-zero padding modes pad explicitly, then convolve without padding."""
        if self.padding_mode == "zeros" or isinstance(self.padding, str):
            return x, self.padding
        pads = []
        for p in reversed(self.padding):
            pads += [p, p]
        return F.pad(x, pads, mode=self.padding_mode), 0

    def extra_repr(self):
        n = self.nd
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if isinstance(self.padding, str):
            s += f", padding={self.padding}"
        elif self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution. Shape: (N, C_in, H, W) -> (N, C_out, H_out, W_out)."""
    nd, conv = 2, staticmethod(F.conv2d)

    def forward(self, x):
        self._check(x)
        x, padding = self._padded(x)
        return self.conv(x, self.weight, self.bias, self.stride, padding, self.dilation,
                         self.groups)


class Conv1d(Conv2d):
    """1-D convolution. Shape: (N, C_in, L) -> (N, C_out, L_out)."""
    nd, conv = 1, staticmethod(F.conv1d)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution (the adjoint of Conv2d): learned upsampling."""
    nd, transposed, conv_transpose = 2, True, staticmethod(F.conv_transpose2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f"ConvTranspose2d only supports padding_mode='zeros', got "
                             f"{padding_mode!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, output_padding)

    def forward(self, x, output_size=None):
        self._check(x)
        output_padding = self.output_padding
        if output_size is not None:  # choose output_padding to reach the requested size
            output_padding = tuple(
                int(want) - ((n - 1) * s - 2 * p + d * (k - 1) + 1)
                for want, n, s, p, d, k in zip(tuple(output_size)[-self.nd:],
                                               x.shape[-self.nd:], self.stride, self.padding,
                                               self.dilation, self.kernel_size))
        return self.conv_transpose(x, self.weight, self.bias, self.stride, self.padding,
                                   output_padding, self.groups, self.dilation)


class ConvTranspose1d(_ConvNd):
    nd, transposed = 1, True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, output_padding)

    def forward(self, x):
        self._check(x)
        return F.conv_transpose1d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)
