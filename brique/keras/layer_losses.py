"""The Layer's side of regularization, as in Keras: `kernel_regularizer=`, `bias_regularizer=`,
`activity_regularizer=`, `kernel_constraint=`, ... on any layer, `layer.add_loss(value)`, and
`layer.losses` (Model.fit adds their sum to the loss).

Any layer wrapping a module with `weight`/`bias` (Dense, Conv*) gets 'kernel' and 'bias' terms
without code of its own: `_regularized_weights()` maps Keras's weight names to the parameters
and the permutation from brique's layout to Keras's (a Dense kernel is stored (out, in) and
regularized/constrained as Keras's (in, out)); a layer whose weights are named otherwise
(Embedding, recurrent layers, BatchNormalization) overrides it.
"""
from __future__ import annotations

from ..autograd import no_grad
from ..tensor import Tensor
from . import constraints as _constraints
from . import regularizers as _regularizers

# Constructor argument prefix -> Keras's weight name ('recurrent_regularizer' acts on the
# 'recurrent_kernel').
WEIGHT_ARGS = {"kernel": "kernel", "bias": "bias", "recurrent": "recurrent_kernel",
               "embeddings": "embeddings", "gamma": "gamma", "beta": "beta",
               "depthwise": "depthwise_kernel", "pointwise": "pointwise_kernel",
               "alpha": "alpha"}

_depth = [0]  # nesting of layer calls: the outermost call clears the losses of the last one


def _first(param):
    return param[0] if isinstance(param, tuple) else param


def keras_perm(ndim):
    """brique's kernel layout -> Keras's: (out, in, *k) -> (*k, in, out)."""
    return tuple(range(2, ndim)) + (1, 0)


class LossesMixin:
    """Regularizers, constraints and add_loss for brique.keras's Layer."""

    # Keras's names of the wrapped module's `weight` and `bias` (BatchNormalization: gamma, beta)
    _weight_names = ("kernel", "bias")

    def _init_losses(self, kwargs):
        """Take the regularizer/constraint arguments out of the constructor's kwargs."""
        self._regularizers, self._constraints, self._loss_args = {}, {}, {}
        self._call_losses, self._callable_losses = [], []
        for key in [k for k in kwargs if k.endswith(("_regularizer", "_constraint"))]:
            prefix, _, kind = key.rpartition("_")
            if prefix == "activity" and kind == "regularizer":
                continue
            if prefix not in WEIGHT_ARGS:
                raise TypeError(f"{type(self).__name__}: unexpected keyword argument {key!r}")
            value = kwargs.pop(key)
            if value is None:
                continue
            getter = _regularizers.get if kind == "regularizer" else _constraints.get
            table = self._regularizers if kind == "regularizer" else self._constraints
            table[WEIGHT_ARGS[prefix]] = getter(value)
            self._loss_args[key] = table[WEIGHT_ARGS[prefix]]
        self.activity_regularizer = _regularizers.get(kwargs.pop("activity_regularizer", None))
        if self.activity_regularizer is not None:
            self._loss_args["activity_regularizer"] = self.activity_regularizer
        for key, value in self._loss_args.items():
            self.__dict__[key] = value  # Keras's attributes: layer.kernel_regularizer
        return kwargs

    def _after_build(self):
        """Check that each regularized/constrained weight exists; an activity regularizer
        needs the layer's own call (the Model's channels-first shortcut would skip it)."""
        have = {name for name, _, _ in self._regularized_weights()}
        for name in set(self._regularizers) | set(self._constraints):
            if name not in have and name != "bias":  # use_bias=False: Keras ignores it too
                raise ValueError(f"{self.name}: a {name} regularizer/constraint was given, but "
                                 f"{type(self).__name__} has no {name!r} weight (it has "
                                 f"{sorted(have) or 'no weights'})")
        if self.activity_regularizer is not None:
            self.image_mode = None

    # ------------------------------------------------------------------ to override
    def _regularized_weights(self):
        """[(Keras's weight name, parameter, permutation into Keras's layout or None)]; the
        parameter may be a tuple of parameters whose sum is Keras's weight (an LSTM's two
        biases)."""
        module = self.__dict__.get("_modules", {}).get("module")
        out = []
        weight = getattr(module, "weight", None)
        if isinstance(weight, Tensor):
            perm = keras_perm(weight.ndim) if weight.ndim > 1 else None
            out.append((self._weight_names[0], weight, perm))
        bias = getattr(module, "bias", None)
        if isinstance(bias, Tensor):
            out.append((self._weight_names[1], bias, None))
        # a layer's own parameters named as Keras names them (LayerNormalization's gamma)
        for name, param in self.__dict__.get("_parameters", {}).items():
            if name in WEIGHT_ARGS.values() and param is not None:
                out.append((name, param, None))
        return out

    # ------------------------------------------------------------------ losses
    def add_loss(self, losses, inputs=None):
        """Add a loss term (a scalar Tensor computed in call/forward, a number, or a
        zero-argument callable read when `losses` is) to this layer's `losses`."""
        for value in losses if isinstance(losses, (list, tuple)) else [losses]:
            if callable(value) and not isinstance(value, Tensor):
                self._callable_losses.append(value)
            elif isinstance(value, Tensor) or isinstance(value, (int, float)):
                self._call_losses.append(value)
            else:
                raise TypeError(f"{self.name}.add_loss: expected a Tensor, a number or a "
                                f"callable, got {type(value).__name__}")

    def _own_losses(self):
        out = list(self._call_losses)
        for fn in self._callable_losses:
            out.append(fn())
        if self._regularizers and self.built:
            for name, param, perm in self._regularized_weights():
                reg = self._regularizers.get(name)
                if reg is not None and _first(param).requires_grad:
                    value = sum(param[1:], param[0]) if isinstance(param, tuple) else param
                    out.append(reg(value.permute(perm) if perm else value))
        return out

    @property
    def losses(self):
        """The loss terms of this layer and the layers inside it: regularization of the
        current (trainable) weights, activity terms and add_loss values from the last call."""
        out = []
        for module in self.modules():
            if isinstance(module, LossesMixin):
                out.extend(module._own_losses())
        return out

    def _run_call(self, call, args, kwargs):
        """nn.Module's call with Keras's loss bookkeeping around it."""
        if _depth[0] == 0:
            for module in self.modules():
                if isinstance(module, LossesMixin):
                    module._call_losses.clear()
        _depth[0] += 1
        try:
            outputs = call(args, **kwargs)
        finally:
            _depth[0] -= 1
        if self.activity_regularizer is not None:
            for out in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
                if isinstance(out, Tensor) and out.is_floating_point():
                    term = self.activity_regularizer(out)
                    # Keras (tf.keras 2, Keras 3): the mean over the batch
                    self._call_losses.append(term / out.shape[0] if out.ndim else term)
        return outputs

    # ------------------------------------------------------------------ constraints
    def apply_constraints(self):
        """Project each constrained trainable weight (of this layer and those inside it);
        Model.fit and train_on_batch call this after each optimizer step."""
        for module in self.modules():
            if isinstance(module, LossesMixin) and module._constraints and module.built:
                module._constrain()

    def _constrain(self):
        with no_grad():
            for name, param, perm in self._regularized_weights():
                constraint = self._constraints.get(name)
                if constraint is None or not _first(param).requires_grad:
                    continue
                rest = param[1:] if isinstance(param, tuple) else ()
                target = _first(param)
                value = constraint(sum(rest, target).permute(perm) if perm else
                                   sum(rest, target))
                if perm:
                    inverse = tuple(sorted(range(len(perm)), key=perm.__getitem__))
                    value = value.permute(inverse)
                for other in rest:  # the first parameter takes what the others do not hold
                    value = value - other
                target.copy_(value)

    def _losses_config(self):
        return {key: _regularizers.serialize(value) if key.endswith("regularizer")
                else _constraints.serialize(value) for key, value in self._loss_args.items()}
