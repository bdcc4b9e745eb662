"""Instance normalization (style transfer, GAN generators): each sample's channels normalized
over their own spatial dims; no learnable scale by default, unlike batch norm."""
from __future__ import annotations

from ... import creation
from .. import functional as F
from .module import Module
from .normalization import _affine, _reset_affine


class _InstanceNorm(Module):
    _ranks, _layout = (), ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine(self, (num_features,), affine, bias, device, dtype)
        if affine:
            _reset_affine(self)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, device=device,
                                                                dtype=dtype))
            self.register_buffer("running_var", creation.ones(num_features, device=device,
                                                              dtype=dtype))
            # kept for PyTorch's state_dict layout; its instance norm never counts batches
            self.register_buffer("num_batches_tracked", creation.tensor(0, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)

    def forward(self, x):
        if x.ndim not in self._ranks:
            raise self._shape_error(x, self._layout)
        unbatched = x.ndim == self._ranks[0]
        if unbatched:
            x = x.unsqueeze(0)
        use_input_stats = self.training or not self.track_running_stats
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              use_input_stats, self.momentum, self.eps)
        return out.squeeze(0) if unbatched else out

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Shape: (N, C, L) or (C, L)."""
    _ranks, _layout = (2, 3), "of shape (N, C, L) or (C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Shape: (N, C, H, W) or (C, H, W)."""
    _ranks, _layout = (3, 4), "of shape (N, C, H, W) or (C, H, W)"


class InstanceNorm3d(_InstanceNorm):
    """Shape: (N, C, D, H, W) or (C, D, H, W)."""
    _ranks, _layout = (4, 5), "of shape (N, C, D, H, W) or (C, D, H, W)"
