"""Layers that wrap another layer: Bidirectional (a recurrent layer run forwards and
backwards, outputs merged) and TimeDistributed (any layer applied to every time step).

A wrapper's config holds the wrapped layer's (as Keras's), and its weights are the wrapped
layers' in Keras's order: Bidirectional's forward layer's, then the backward layer's.
"""
from __future__ import annotations

from ...ops.movement import cat
from ..engine import Layer
from ..saving import deserialize_layer, serialize_layer

_MERGES = {"concat": None, "sum": lambda a, b: a + b, "mul": lambda a, b: a * b,
           "ave": lambda a, b: (a + b) / 2}


def _layer_arg(layer, wrapper):
    """A Layer, or its serialized config (what get_config() holds), as a Layer."""
    if isinstance(layer, dict):
        return deserialize_layer(layer)
    if not isinstance(layer, Layer):
        raise ValueError(f"{wrapper}: expects a brique.keras Layer instance to wrap, got "
                         f"{type(layer).__name__}")
    return layer


def _copy(layer, name, **changes):
    """A fresh layer of the same class and config (new weights), renamed."""
    return type(layer).from_config({**layer.get_config(), "name": name, **changes})


class Bidirectional(Layer):
    """Runs a recurrent layer over the sequence forwards and a copy of it backwards, and
    merges their outputs: merge_mode 'concat' (default), 'sum', 'mul', 'ave', or None (the two
    outputs as a list). With return_sequences the backward outputs are put back in time order;
    with return_state the states of both follow the output(s). `backward_layer=` gives the
    backward layer yourself (it must have go_backwards=True).

    Shape: (N, T, F) -> (N, 2 * units) for 'concat' ((N, T, 2 * units) with
    return_sequences), (N, units) for the other modes."""
    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        super().__init__(**kwargs)
        layer = _layer_arg(layer, "Bidirectional")
        if merge_mode not in ("concat", "sum", "mul", "ave", None):
            raise ValueError(f"Bidirectional: merge_mode must be 'concat', 'sum', 'mul', 'ave' "
                             f"or None, got {merge_mode!r}")
        if weights is not None:
            raise ValueError("Bidirectional: weights= is not supported; call set_weights() "
                             "after the first call")
        if not hasattr(layer, "return_sequences") or not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional: expects a recurrent layer (SimpleRNN, LSTM, GRU), "
                             f"got {type(layer).__name__}")
        self.merge_mode = merge_mode
        self.forward_layer = _copy(layer, "forward_" + layer.name)
        if backward_layer is None:
            self.backward_layer = _copy(layer, "backward_" + layer.name,
                                        go_backwards=not layer.go_backwards)
        else:
            backward_layer = _layer_arg(backward_layer, "Bidirectional")
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError("Bidirectional: backward_layer must have go_backwards="
                                 f"{not layer.go_backwards} (the forward layer has "
                                 f"{layer.go_backwards})")
            for attr in ("return_sequences", "return_state"):
                if getattr(backward_layer, attr) != getattr(layer, attr):
                    raise ValueError(f"Bidirectional: backward_layer.{attr} must equal the "
                                     f"forward layer's ({getattr(layer, attr)})")
            self.backward_layer = backward_layer
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state
        for sub in (self.forward_layer, self.backward_layer):
            # Keras: masked steps of the returned sequences are zeros in both directions
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = self.return_sequences

    def get_config(self):
        config = {**super().get_config(), "merge_mode": self.merge_mode,
                  "layer": serialize_layer(self.forward_layer),
                  "backward_layer": serialize_layer(self.backward_layer)}
        return config

    def build(self, input_shape):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub.build(input_shape)

    def _merge_shape(self, a, b):
        if self.merge_mode == "concat":
            return tuple(a[:-1]) + (None if None in (a[-1], b[-1]) else a[-1] + b[-1],)
        return a if self.merge_mode is not None else [a, b]

    def compute_output_shape(self, input_shape):
        f = self.forward_layer.compute_output_shape(input_shape)
        b = self.backward_layer.compute_output_shape(input_shape)
        if not self.return_state:
            return self._merge_shape(f, b)
        out = self._merge_shape(f[0], b[0])
        return (out if isinstance(out, list) else [out]) + list(f[1:]) + list(b[1:])

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        outs = [out, out] if self.merge_mode is None else [out]
        if not self.return_state:
            return outs if self.merge_mode is None else out
        n = 2 * len(self.forward_layer.compute_mask(inputs, mask)[1:])
        return outs + [None] * n

    def forward(self, x, mask=None, initial_state=None):
        states = None if initial_state is None else list(initial_state)
        half = None if states is None else len(states) // 2
        f = self.forward_layer(x, mask=mask,
                               initial_state=None if states is None else states[:half])
        b = self.backward_layer(x, mask=mask,
                                initial_state=None if states is None else states[half:])
        f_states, b_states = [], []
        if self.return_state:
            f, f_states, b, b_states = f[0], f[1:], b[0], b[1:]
        if self.return_sequences:
            b = b.flip(1)  # the backward layer's outputs come in reversed time order
        if self.merge_mode is None:
            out = [f, b]
        elif self.merge_mode == "concat":
            out = cat([f, b], -1)
        else:
            out = _MERGES[self.merge_mode](f, b)
        if not self.return_state:
            return out
        return (out if isinstance(out, list) else [out]) + list(f_states) + list(b_states)

    def get_weights(self):
        return self.forward_layer.get_weights() + self.backward_layer.get_weights()

    def set_weights(self, weights):
        n = len(self.forward_layer.get_weights())
        if len(weights) != 2 * n:
            raise ValueError(f"{self.name}: set_weights expects {2 * n} arrays (forward then "
                             f"backward), got {len(weights)}")
        self.forward_layer.set_weights(list(weights[:n]))
        self.backward_layer.set_weights(list(weights[n:]))

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        layer = _layer_arg(config.pop("layer"), "Bidirectional")
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = _layer_arg(backward, "Bidirectional")
        # the saved layers are the forward/backward copies: keep their names
        new = cls(layer, backward_layer=backward, **config)
        new.forward_layer.name = layer.name
        return new


class TimeDistributed(Layer):
    """Applies `layer` to every time step: (N, T, ...) is run as (N * T, ...) and reshaped
    back, so one set of weights serves all steps (a Dense, a Conv2D on each frame, ...).

    Shape: (N, T, *inner) -> (N, T, *layer's output)."""
    supports_masking = True

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = _layer_arg(layer, "TimeDistributed")

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    def _inner(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) < 3:
            raise ValueError(f"{self.name}: expects inputs (batch, timesteps, ...) of rank >= 3, "
                             f"got shape {input_shape}")
        return (None,) + tuple(input_shape[2:])

    def build(self, input_shape):
        inner = self._inner(tuple(input_shape))
        if not self.layer.built:
            self.layer.build(inner)
            self.layer.built = True

    def compute_output_shape(self, input_shape):
        out = self.layer.compute_output_shape(self._inner(tuple(input_shape)))
        if isinstance(out, list):
            raise ValueError(f"{self.name}: the wrapped layer must return one tensor")
        return (input_shape[0], input_shape[1]) + tuple(out[1:])

    def forward(self, x):
        n, t = x.shape[0], x.shape[1]
        self._inner(tuple(x.shape))
        y = self.layer(x.reshape((n * t,) + tuple(x.shape[2:])))
        return y.reshape((n, t) + tuple(y.shape[1:]))

    def get_weights(self):
        return self.layer.get_weights()

    def set_weights(self, weights):
        self.layer.set_weights(weights)

    @classmethod
    def from_config(cls, config):
        return cls(**config)
