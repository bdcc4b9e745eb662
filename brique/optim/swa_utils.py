"""Weight averaging, as torch.optim.swa_utils: `AveragedModel` keeps a running average
(SWA, or an EMA) of a model's weights, `SWALR` anneals the learning rate to a constant for
SWA, `update_bn` recomputes batch-norm statistics for the averaged weights.

brique.optim never imports brique.nn (DESIGN.md's layers): AveragedModel takes its Module
base class from the model it is given, and update_bn finds batch-norm layers by what they
hold (running statistics and reset_running_stats)."""
from __future__ import annotations

import copy
import itertools
import math

from .. import backend
from ..autograd import no_grad
from ..creation import tensor as _tensor
from .lr_scheduler import LRScheduler


def _lerp_(averaged, current, weight):
    """averaged += weight * (current - averaged), in place, on Tensors (floats), or a
    truncated step for integer buffers (num_batches_tracked), as torch does."""
    a, c = averaged._data, backend.to_device(current._data, averaged.device)
    if a.dtype.kind == "f" or a.dtype.kind == "c":
        a += weight * (c - a)
    else:
        a += (weight * (c - a)).astype(a.dtype)


def get_ema_multi_avg_fn(decay=0.999):
    """An update of whole lists: `ema = decay * ema + (1 - decay) * current`."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")

    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            for ema, current in zip(ema_param_list, current_param_list):
                _lerp_(ema, current, 1 - decay)
    return ema_update


def get_swa_multi_avg_fn():
    """An update of whole lists: the running mean `avg += (current - avg) / (n + 1)`."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = int(num_averaged.item() if hasattr(num_averaged, "item") else num_averaged)
        with no_grad():
            for averaged, current in zip(averaged_param_list, current_param_list):
                _lerp_(averaged, current, 1.0 / (n + 1))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """A function of one parameter: returns `decay * ema + (1 - decay) * current`."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")

    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """A function of one parameter: returns `avg + (current - avg) / (n + 1)`."""
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


def _module_base(model):
    for klass in type(model).__mro__:
        if klass.__name__ == "Module" and klass.__module__.startswith("brique.nn"):
            return klass
    raise TypeError(f"AveragedModel: model must be a brique.nn.Module, got "
                    f"{type(model).__name__}")


_CLASSES = {}


class AveragedModel:
    """A copy of `model` whose weights are the running average of `model`'s, updated by
    `update_parameters(model)`: equal weights (SWA) by default, or `avg_fn(averaged,
    current, num_averaged)` per parameter, or `multi_avg_fn(averaged_list, current_list,
    num_averaged)` in place (get_ema_multi_avg_fn() for an EMA). With `use_buffers` the
    buffers (batch-norm statistics) are averaged too; otherwise they are copied.
    An nn.Module: call it as the model; its state_dict holds `n_averaged` and `module.*`."""

    def __new__(cls, *args, **kwargs):
        model = args[0] if args else kwargs.get("model")
        if model is not None:  # (copy and deepcopy call __new__ without arguments)
            base = _module_base(model)
            if not issubclass(cls, base):  # one class per (class, Module base) pair
                if (cls, base) not in _CLASSES:
                    _CLASSES[cls, base] = type(cls.__name__, (cls, base),
                                               {"__module__": cls.__module__})
                cls = _CLASSES[cls, base]
        return object.__new__(cls)

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _tensor(0, device=device))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold `model`'s current weights into the average (the first call copies them)."""
        def tensors(m):
            return list(itertools.chain(m.parameters(), m.buffers()) if self.use_buffers
                        else m.parameters())
        mine, theirs = tensors(self.module), tensors(model)
        if len(mine) != len(theirs):
            raise ValueError(f"AveragedModel.update_parameters: the model has {len(theirs)} "
                             f"tensors to average, the averaged copy {len(mine)}")
        n = int(self.n_averaged.item())
        with no_grad():
            mine = [p.detach() for p in mine]
            theirs = [p.detach().to(a.device) for a, p in zip(mine, theirs)]
            for a, p in zip(mine, theirs):
                if tuple(a.shape) != tuple(p.shape):
                    raise ValueError(f"AveragedModel.update_parameters: shapes {tuple(a.shape)}"
                                     f" and {tuple(p.shape)} differ")
            if n == 0:
                for a, p in zip(mine, theirs):
                    a.copy_(p)
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(mine, theirs, self.n_averaged)
            elif self.avg_fn is None:
                get_swa_multi_avg_fn()(mine, theirs, n)
            else:
                for a, p in zip(mine, theirs):
                    a.copy_(self.avg_fn(a, p, self.n_averaged))
            if not self.use_buffers:  # keep the buffers in sync with the source model
                for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                    b_avg.copy_(b_model.detach().to(b_avg.device))
            self.n_averaged.add_(1)


def _is_batch_norm(module):
    return hasattr(module, "running_mean") and hasattr(module, "reset_running_stats") and \
        hasattr(module, "momentum")


def update_bn(loader, model, device=None):
    """Recompute the running statistics of every batch-norm layer of `model` with one pass
    over `loader` (cumulative averages, the model in training mode), as after SWA. A batch
    that is a list or tuple gives its first element to the model."""
    momenta = {}
    for module in model.modules():
        if _is_batch_norm(module) and module.running_mean is not None:
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    try:
        with no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                if device is not None:
                    batch = batch.to(device)
                model(batch)
    finally:
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr to `swa_lr` (a number or one per group) over
    `anneal_epochs` steps, along a cosine ('cos') or a line ('linear'), then holds it."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        groups = optimizer.param_groups
        swa_lrs = list(swa_lr) if isinstance(swa_lr, (list, tuple)) else [swa_lr] * len(groups)
        if len(swa_lrs) != len(groups):
            raise ValueError(f"Expected {len(groups)} values for swa_lr, got {len(swa_lrs)}")
        for value, group in zip(swa_lrs, groups):
            group["swa_lr"] = value
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self._anneal_strategy, self.anneal_epochs = anneal_strategy, anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t):
        return (1 - math.cos(math.pi * t)) / 2 if self._anneal_strategy == "cos" else t

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        return swa_lr if alpha == 1 else (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        # The lr before annealing is recovered from the current one, so that a change made
        # to group["lr"] by hand carries on, as in PyTorch.
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        groups = self.optimizer.param_groups
        return [g["swa_lr"] * alpha + self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha)
                * (1 - alpha) for g in groups]
