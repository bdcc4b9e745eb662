"""The remaining 3-D functionals: adaptive_max_pool3d (+ _with_indices) and lp_pool3d, composites
of the 3-D ops in brique.ops.volume and brique.ops.volume_more (re-exported by
nn.functional)."""
from __future__ import annotations

from ..ops.conv import _pair
from ..ops.volume import avg_pool3d, max_pool3d
from ..ops.volume_more import adaptive_max_pool3d
from ._functional_extra import _lp_finish

__all__ = ["adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "lp_pool3d"]


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    """adaptive_max_pool3d returning (values, indices) whatever return_indices says, as
    PyTorch's."""
    return adaptive_max_pool3d(input, output_size, True)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p) in 3-D; p = inf is max pooling of |x|.
    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out)."""
    if norm_type == float("inf"):
        return max_pool3d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    kd, kh, kw = _pair(kernel_size, 3, "lp_pool3d", "kernel_size")
    if input.ndim in (4, 5) and any(n < k for n, k in zip(input.shape[-3:], (kd, kh, kw))):
        raise ValueError(f"lp_pool3d: input of shape {tuple(input.shape)} is smaller than "
                         f"kernel_size {(kd, kh, kw)}")
    out = avg_pool3d(input.pow(norm_type), (kd, kh, kw), stride, 0, ceil_mode)
    return _lp_finish(out, norm_type, kd * kh * kw)
