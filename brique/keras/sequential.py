"""Keras's Sequential: a stack of layers, a Model whose graph is the chain of their calls,
connected once the input shape is known (from an Input first, `input_shape=` on the first
layer, build(), or the first data)."""
from __future__ import annotations

from . import saving as _saving
from .engine import InputLayer, KerasTensor, Layer, to_tensor, unique_name
from .models import Model
from .network import _as_list


class Sequential(Model):
    """A stack of layers: `Sequential([Dense(64, activation='relu', input_dim=20),
    Dense(1, activation='sigmoid')])`, or `.add(layer)` one by one. Without an input shape
    on the first layer, the model is built on the first data it sees."""

    def __init__(self, layers=None, name=None):
        super().__init__(name=name or unique_name("sequential"))
        self._stack, self._input = [], None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        # Keras 3's spelling of the input shape: Sequential([keras.Input((784,)), ...]), or an
        # InputLayer as the first layer.
        if isinstance(layer, KerasTensor) and isinstance(layer.layer, InputLayer):
            layer = layer.layer
        if isinstance(layer, InputLayer):
            if self._stack or self._input is not None:
                raise ValueError(f"{self.name}: an Input can only be the first layer of a "
                                 "Sequential")
            self._input = layer.output
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer, got {type(layer).__name__}")
        self._stack.append(layer)
        if self._input is None and layer.declared_input_shape is not None:
            self._input = InputLayer(input_shape=layer.declared_input_shape).output
        if self._input is not None:
            self._connect()

    def pop(self):
        self._stack.pop()
        self._connect()

    def get_config(self):
        """{name, layers}: the stack's layers, after an InputLayer entry once built."""
        layers = list(self._stack)
        if self._input is not None:
            layers.insert(0, self._input.layer)
        return {"name": self.name, "trainable": self._trainable,
                "layers": [{k: v for k, v in _saving.serialize_layer(layer).items()
                            if k != "module"} for layer in layers]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        with _saving.custom_object_scope(custom_objects):
            model = cls(name=config.get("name"))
            for entry in config["layers"]:
                layer = _saving.deserialize_layer(entry)
                if isinstance(layer, InputLayer):
                    model._input = layer.output
                else:
                    model.add(layer)
        if not config.get("trainable", True):
            model.trainable = False
        return model

    def _connect(self):
        x = self._input
        for layer in self._stack:
            layer._nodes.clear()  # a Sequential's layer has this one call
            x = layer(x)
        self._init_graph(self._input, x)
        del self._modules[self._input.layer.name]  # Keras's Sequential.layers skip the input

    def _build_on(self, x):
        if not self.built:
            if x is None or not self._stack:
                raise RuntimeError(f"{self.name}: add layers and give data (or input_shape= "
                                   "on the first layer) before using the model")
            self.build((None,) + tuple(to_tensor(_as_list(x)[0][:1]).shape[1:]))

    def build(self, input_shape=None):
        """Keras's deferred build: the stack connected on inputs of input_shape (batch entry
        first), as on the first data or symbolic tensor it is called on."""
        if self.built:
            return
        if input_shape is None or not self._stack:
            raise ValueError(f"{self.name}.build: give the input shape (batch entry first) "
                             "and add layers first")
        self._input = InputLayer(input_shape=tuple(input_shape)[1:]).output
        self._connect()

    def forward(self, *args):
        if not self.built:  # called on data before any build: build on it, as Keras
            self._build_on(args[0])
        return super().forward(*args)
