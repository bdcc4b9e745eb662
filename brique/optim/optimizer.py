"""Optimizer: the base class that owns `param_groups`, per-parameter `state`, the step count,
coupled L2 weight decay, `zero_grad` and `state_dict`, so that an algorithm (sgd.py, adam.py,
...) only writes its update rule.

The update rule works on raw arrays (`param`, `grad`) with in-place NumPy/CuPy ops: it runs once
per parameter per training step, so it must not build graphs nor wrap every temporary in a Tensor.
"""
from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from itertools import chain

from .. import backend
from ..autograd import enable_grad, no_grad, zero_grad
from ..tensor import Tensor


class _Required:
    """Marks a hyper-parameter that has no default (a group must give it)."""

    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class of the optimizers.

    A subclass passes its hyper-parameters as `defaults` and implements
    `update(param, grad, state, group)`: `param` and `grad` are the raw arrays (change `param` in
    place, never `grad`), `state` the parameter's dict of Tensors with PyTorch's keys, `group`
    its param group. `init_state(state, param, group)` fills an empty state before the first
    update. Before calling `update`, `step()` has already negated `grad` for `maximize`, added
    `weight_decay * param` to it (coupled L2; with `decoupled_weight_decay`, as AdamW, it has
    multiplied `param` by `1 - lr * weight_decay` instead), and advanced `state["step"]` where the class keeps
    one (`keeps_step`; read it with `state["step"].item()`). An algorithm that is not a
    per-parameter rule (L-BFGS) overrides `step()` instead.

    Args:
        params: an iterable of Tensors, or of dicts `{"params": [...], "lr": ...}` (param groups
            whose options override `defaults`).
        defaults: the default value of each hyper-parameter.
    """

    # Whether state[p] has PyTorch's "step" counter: a float32 0-d CPU Tensor, as torch.optim
    # keeps it (SGD keeps none).
    keeps_step = True

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a Tensor")
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(dict(group))

    # ------------------------------------------------------------------ param groups
    def add_param_group(self, param_group):
        """Add a group of parameters, with its own options (fine-tuning a frozen layer...)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = list(params)
        if params and all(isinstance(p, tuple) for p in params):  # named_parameters()
            param_group["param_names"] = [name for name, _ in params]
            params = [p for _, p in params]
        param_group["params"] = params
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not (p.is_leaf or p._retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(params) != len(set(map(id, params))):
            warnings.warn("optimizer contains a parameter group with duplicate parameters",
                          stacklevel=3)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ the step
    def init_state(self, state, param, group):
        """Fill the empty `state` of `param` (its buffers) before its first update."""

    def update(self, param, grad, state, group):
        """The algorithm: change the array `param` in place from the array `grad`."""
        raise NotImplementedError

    def step(self, closure=None):
        """One update of every parameter that has a gradient. `closure()` re-evaluates the loss
        (with grad mode on) and returns it; step returns that loss, or None."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                maximize = group.get("maximize", False)
                decay = group.get("weight_decay", 0)
                decoupled = decay != 0 and group.get("decoupled_weight_decay", False)
                coupled = decay != 0 and not decoupled
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    param, grad = p._data, p.grad._data
                    if maximize:
                        grad = -grad
                    if coupled:
                        grad = grad + decay * param
                    elif decoupled:  # AdamW's decay, before the rule (PyTorch's order)
                        param *= 1 - group["lr"] * decay
                    state = self.state[p]
                    if not state:
                        if self.keeps_step:
                            state["step"] = _step_tensor(0.0)
                        self.init_state(state, param, group)
                    if self.keeps_step:
                        state["step"]._data += 1
                    self.update(param, grad, state, group)
                    p._version += 1
        return loss

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: set `.grad` to None (default) or fill it with zeros."""
        zero_grad((p for group in self.param_groups for p in group["params"]), set_to_none)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self):
        """`{"state": {index: {name: Tensor or number}}, "param_groups": [{..., "params":
        [index, ...]}]}`: PyTorch's layout, parameters named by their position over all groups."""
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if s and id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a `state_dict()`: buffers are copied and cast to their parameter's dtype and
        device; parameters are matched by position, as in PyTorch."""
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            p = id_map.get(int(key))
            if p is None:
                continue
            state[p] = {name: _cast(p, name, v) for name, v in values.items()}
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            for name, value in saved.items():  # a checkpoint may turn tuples into lists
                if isinstance(group.get(name), tuple) and isinstance(value, list):
                    saved[name] = tuple(value)
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _step_tensor(value):
    return Tensor._make(backend.asarray(value, backend.float32))


def _cast(param, name, value):
    """A copy of one saved state value, on the parameter's device; floating buffers take the
    parameter's dtype; 'step' becomes PyTorch's float32 0-d CPU Tensor (from a number too)."""
    if isinstance(value, Tensor):
        value = value._data
    if name == "step":
        return _step_tensor(float(value))
    if not backend.is_array(value):  # a number, or a NumPy scalar
        return value.item() if hasattr(value, "item") else copy.deepcopy(value)
    dtype = param.dtype if value.dtype.kind == "f" else value.dtype
    array = backend.to_device(value, param.device).astype(dtype, copy=True)
    return Tensor._make(array)


def check_hyper(name, value, low=0.0, high=None, high_open=False):
    """Raise PyTorch's ValueError ('Invalid learning rate: -1') for an out-of-range value."""
    bad = value < low or (high is not None and (value >= high if high_open else value > high))
    if bad:
        raise ValueError(f"Invalid {name}: {value}")
