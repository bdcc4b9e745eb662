"""Batch normalization layers: BatchNorm1d/2d/3d (statistics over the batch, per channel) and
SyncBatchNorm (statistics over the batches of every rank)."""
from __future__ import annotations

from ... import backend, creation, distributed
from ...autograd import no_grad
from .. import functional as F
from .module import Module
from .normalization import _affine, _reset_affine


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


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over (N, C, *) inputs whose mean and variance are taken over all ranks' batches
    in training (PyTorch's `nn.SyncBatchNorm`): with every rank holding a share of a batch, it
    gives what `BatchNorm` gives on the whole batch in one process. With one process, or outside
    a process group, it is plain batch norm. `convert_sync_batchnorm(model)` swaps it in.
    """
    _ranks, _layout = (2, 3, 4, 5), "of shape (N, C, *)"

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _world(self):
        if self.process_group is None and not distributed.is_initialized():
            return 1
        return distributed.get_world_size(self.process_group)

    def forward(self, x):
        if not self.training or self._world() == 1:
            return super().forward(x)
        if x.ndim not in self._ranks or x.shape[1] != self.num_features:
            raise self._shape_error(x, f"{self._layout} with C = {self.num_features}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / int(self.num_batches_tracked.item())
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        group = self.process_group
        local = x.new_tensor(float(x.numel() // x.shape[1]))
        with no_grad():
            n = distributed.all_reduce_differentiable(local, group).item()
        if n <= 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel over all "
                             f"ranks when training, got {int(n)}")
        # Two passes (mean, then the centred squares) keep float32 variances accurate.
        mean = distributed.all_reduce_differentiable(x.sum(axes), group) / n
        centred = x - mean.reshape(shape)
        var = distributed.all_reduce_differentiable((centred * centred).sum(axes), group) / n
        out = centred * (var + self.eps).rsqrt().reshape(shape)
        if self.weight is not None:
            out = out * self.weight.reshape(shape)
        if self.bias is not None:
            out = out + self.bias.reshape(shape)
        if self.track_running_stats:
            with no_grad():
                self.running_mean.mul_(1 - factor).add_(mean.detach() * factor)
                self.running_var.mul_(1 - factor).add_(var.detach() * (factor * n / (n - 1)))
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """`module` with every BatchNorm*d replaced by a SyncBatchNorm holding its parameters
        and running statistics (the module itself when it is one)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, cls):
            sync = cls(module.num_features, module.eps, module.momentum, module.affine,
                       module.track_running_stats, process_group)
            sync.weight, sync.bias = module.weight, module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                setattr(sync, name, getattr(module, name))
            sync.train(module.training)
            return sync
        for name, child in list(module.named_children()):
            setattr(module, name, cls.convert_sync_batchnorm(child, process_group))
        return module
