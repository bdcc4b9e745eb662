"""The graph half of Keras's Model: `Model(inputs, outputs)` reads the layers between them and
is an `nn.Module` whose forward runs those layers in order.

Between two layers that compute on channels-first images (Conv2D, pooling, ...) the runner
passes the (N, C, H, W) tensor on as it is; it transposes only where a layer needs Keras's
channels-last layout (Dense, Flatten, Concatenate, the model's outputs).
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..train.checkpoint import load as _load, save as _save
from .engine import (InputLayer, KerasTensor, Layer, _forward_via_call, to_first, to_last,
                     to_tensor)
from .network_config import GraphConfig, as_list as _as_list
from .saving import read_weights


class _Value:
    """One tensor of the graph, in Keras's layout (`last`) and/or channels-first."""

    __slots__ = ("last", "first")

    def __init__(self, last=None, first=None):
        self.last, self.first = last, first

    def get(self, first):
        if first:
            if self.first is None:
                self.first = to_first(self.last)
            return self.first
        if self.last is None:
            self.last = to_last(self.first)
        return self.last


def _by_depth(order, outs):
    """The graph's nodes in Keras's layer order (which fixes the order of get_weights and
    set_weights): by depth, the longest path to an output, deepest first, ties in the order
    the graph was walked. A chain keeps its order; branches interleave by depth."""
    depth = {id(t.node): 0 for t in outs}
    for node in reversed(order):  # consumers before the nodes they read
        d = depth.setdefault(id(node), 0) + 1
        for t in node.input_list + node.kwarg_tensors:
            depth[id(t.node)] = max(depth.get(id(t.node), 0), d)
    index = {id(node): i for i, node in enumerate(order)}
    return sorted(order, key=lambda node: (-depth[id(node)], index[id(node)]))


class Network(GraphConfig, Layer):
    """A graph of layer calls from `inputs` to `outputs` (KerasTensors, or lists of them).
    Keras 1's spelling `Model(input=..., output=...)` works too."""
    accepts_strings = True  # each layer of the graph checks its own inputs

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        inputs = kwargs.pop("input", inputs)
        outputs = kwargs.pop("output", outputs)
        super().__init__(name=name, **kwargs)
        self.inputs, self.outputs, self._graph_nodes = [], [], []
        if inputs is not None or outputs is not None:
            self._init_graph(inputs, outputs)

    # ------------------------------------------------------------------ subclassed models
    # `class MyModel(Model)` with its layers as attributes and a call(): no graph; its first
    # call (or build(input_shape)) builds the layers, and a no-grad call on a few samples
    # tells compile/fit/predict how many outputs it has and their shapes.
    @property
    def _subclassed(self):
        return type(self).forward is _forward_via_call

    def _ensure_built(self, shapes):
        if self._subclassed and not self.built:
            self.built = True  # the call builds the layers as it runs
            if type(self).build is not Network.build:
                self.build(shapes)
            return
        super()._ensure_built(shapes)

    def build(self, input_shape):
        """A subclassed model runs call() once, on zeros of input_shape (batch entry None; a
        list of shapes for several inputs), to create its weights; a graph is built already."""
        if not self._subclassed or self.__dict__.get("_single_output") is not None:
            return
        several = isinstance(input_shape, list) and all(
            isinstance(s, (list, tuple)) for s in input_shape)
        shapes = [tuple(s) for s in input_shape] if several else [tuple(input_shape)]
        if any(s is None for shape in shapes for s in shape[1:]):
            raise ValueError(f"{self.name}.build: give every size but the batch's, got "
                             f"{input_shape}")
        zeros = [np.zeros((1,) + shape[1:], np.float32) for shape in shapes]
        self._probe(zeros if several else zeros[0])

    def _probe(self, x):
        if x is None:
            raise ValueError(f"{self.name}: call the model on data, or build(input_shape), "
                             "before this")
        if isinstance(x, dict):
            sample = {k: to_tensor(v)[:2] for k, v in x.items()}
        elif isinstance(x, (list, tuple)):
            sample = [to_tensor(v)[:2] for v in x]
        else:
            sample = to_tensor(x)[:2]
        with no_grad():
            out = self(sample, training=False)
        if not all(hasattr(o, "shape") for o in _as_list(out)):
            raise TypeError(f"{self.name}: call() must return a tensor or a list of tensors "
                            f"for compile/fit/predict, got {type(out).__name__}")
        self._single_output = not isinstance(out, (list, tuple))
        self._output_shapes = [(None,) + tuple(o.shape[1:]) for o in _as_list(out)]

    def _output_specs(self):
        """[(name, shape)] of the outputs: a graph's output layers, or a subclassed model's
        'output_1', 'output_2', ... (Keras's names)."""
        if self.outputs:
            names = self.__dict__.get("_output_keys") or [t.layer.name for t in self.outputs]
            return [(name, t.shape) for name, t in zip(names, self.outputs)]
        return [(f"output_{i + 1}", s)
                for i, s in enumerate(self.__dict__.get("_output_shapes") or [])]

    def _init_graph(self, inputs, outputs):
        # Dicts of inputs or outputs (Keras 3): their keys name them in fit/predict data and
        # in compile's per-output losses; a model with dict outputs returns a dict. Keras 3
        # flattens a dict in the order of its sorted keys, and so does this.
        self._input_keys = sorted(inputs) if isinstance(inputs, dict) else None
        self._output_keys = sorted(outputs) if isinstance(outputs, dict) else None
        inputs = [inputs[k] for k in self._input_keys] if self._input_keys else inputs
        outputs = [outputs[k] for k in self._output_keys] if self._output_keys else outputs
        self._single_output = not isinstance(outputs, (list, tuple))
        ins, outs = _as_list(inputs), _as_list(outputs)
        for t in ins + outs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model: inputs and outputs must be tensors from Input() and "
                                f"layer calls, got {type(t).__name__}")
        for t in ins:
            if not isinstance(t.layer, InputLayer):
                raise ValueError(f"Model: input {t.name} does not come from Input()")
        order, seen = [], set()

        def visit(node):
            if id(node) in seen:
                return
            seen.add(id(node))
            for t in node.input_list + node.kwarg_tensors:
                visit(t.node)
            order.append(node)
        for t in outs:
            visit(t.node)
        given = {id(t.node) for t in ins}
        for node in order:
            if isinstance(node.layer, InputLayer) and id(node) not in given:
                raise ValueError(f"Graph disconnected: cannot obtain the value of "
                                 f"{node.outputs[0]!r}; the model's inputs are "
                                 f"{[t.name for t in ins]}")
        self.inputs, self.outputs, self._graph_nodes = ins, outs, order
        layers = [t.layer for t in ins if all(t.node is not n for n in order)]
        for node in _by_depth(order, outs):
            if node.layer not in layers:
                layers.append(node.layer)
        names = [layer.name for layer in layers]
        for n in names:
            if names.count(n) > 1:
                raise ValueError(f"The name {n!r} is used {names.count(n)} times in the model; "
                                 "all layer names should be unique")
        self._modules.clear()
        for layer in layers:
            self._modules[layer.name] = layer  # state_dict keys: '<layer name>.module.weight'
        self.built = True

    # ------------------------------------------------------------------ running
    @property
    def input_names(self):
        return self.__dict__.get("_input_keys") or [t.layer.name for t in self.inputs]

    @property
    def output_names(self):
        return [name for name, _ in self._output_specs()]

    def ordered(self, data, what="inputs"):
        """Data given as a dict by input (or output) name, as the list in the model's order;
        anything else as it is."""
        if not isinstance(data, dict):
            return data
        names = self.input_names if what == "inputs" else self.output_names
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"{self.name}: the {what} dict has keys {sorted(data)}; missing "
                             f"{missing} (the model's {what} are {names})")
        values = [data[n] for n in names]
        return values if len(values) > 1 else values[0]

    def forward(self, *args):
        xs = _as_list(self.ordered(args[0])) if len(args) == 1 else list(args)
        if len(xs) != len(self.inputs):
            raise ValueError(f"{self.name}: expected {len(self.inputs)} input(s), got {len(xs)}")
        values, masks = {}, {}
        for t, x in zip(self.inputs, xs):
            x = to_tensor(x)
            if x.ndim != t.ndim or any(s is not None and s != d for s, d in
                                       zip(t.shape[1:], x.shape[1:])):
                raise ValueError(f"{self.name}: input {t.name} expects samples of shape "
                                 f"{t.shape[1:]}, got an array of shape {tuple(x.shape)}")
            values[id(t)] = _Value(last=x)
        for node in self._graph_nodes:
            layer = node.layer
            if isinstance(layer, InputLayer):
                continue
            ins = node.input_list
            mode = getattr(layer, "image_mode", None)
            first = (bool(mode) and "training" not in node.kwargs
                     and all(t.ndim == 4 for t in ins)
                     and (mode == "prefer" or all(values[id(t)].first is not None for t in ins)))
            args = [values[id(t)].get(first) for t in ins]
            several = isinstance(node.inputs, (list, tuple))
            arg = args if several else args[0]
            if first:  # the layer's own __call__ is skipped: its input dtype rule applied here
                args = layer._numeric(args)
                out = layer.call_first(args if several else args[0])
                for t, o in zip(node.outputs, _as_list(out)):
                    values[id(t)] = _Value(first=o) if o.ndim == 4 else _Value(last=o)
                continue
            kwargs = {k: self._resolve(v, values) for k, v in node.kwargs.items()}
            in_masks = [masks.get(id(t)) for t in ins]
            mask = in_masks if several else in_masks[0]
            if any(m is not None for m in in_masks) and "mask" not in kwargs:
                kwargs["mask"] = mask
            out = layer(arg, **kwargs)
            outs = _as_list(out)
            out_mask = layer.compute_mask(arg, kwargs.get("mask", mask))
            out_masks = out_mask if isinstance(out_mask, (list, tuple)) else [out_mask]
            for t, o, m in zip(node.outputs, outs, list(out_masks) + [None] * len(outs)):
                values[id(t)] = _Value(last=o)
                if m is not None:
                    masks[id(t)] = m
        outs = [values[id(t)].get(False) for t in self.outputs]
        if self.__dict__.get("_output_keys"):
            return dict(zip(self._output_keys, outs))
        return outs[0] if self._single_output else outs

    @staticmethod
    def _resolve(value, values):
        """A call's keyword argument with its symbolic tensors replaced by their values."""
        if isinstance(value, KerasTensor):
            return values[id(value)].get(False)
        if isinstance(value, (list, tuple)) and any(isinstance(v, KerasTensor) for v in value):
            return [values[id(v)].get(False) if isinstance(v, KerasTensor) else v
                    for v in value]
        return value

    def compute_output_shape(self, input_shape):
        if self._subclassed:
            return self._infer_output_shape(input_shape, {})
        shapes = {id(t): s for t, s in zip(self.inputs, _as_list(input_shape)
                                            if isinstance(input_shape, list) else [input_shape])}
        for node in self._graph_nodes:
            if isinstance(node.layer, InputLayer):
                continue
            ins = [shapes[id(t)] for t in node.input_list]
            s = node.layer.call_output_shape(
                ins if isinstance(node.inputs, (list, tuple)) else ins[0], **node.kwargs)
            for t, si in zip(node.outputs, s if isinstance(s, list) else [s]):
                shapes[id(t)] = si
        outs = [shapes[id(t)] for t in self.outputs]
        return outs[0] if self._single_output else outs

    # ------------------------------------------------------------------ Keras's accessors
    @property
    def layers(self):
        return list(self._modules.values())

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self.layers[index]
        if name not in self._modules:
            raise ValueError(f"No such layer: {name!r}; the model has {list(self._modules)}")
        return self._modules[name]

    @property
    def input(self):
        return self.inputs[0] if len(self.inputs) == 1 else self.inputs

    @property
    def output(self):
        return self.outputs[0] if len(self.outputs) == 1 else self.outputs

    def get_weights(self):
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        weights = list(weights)
        for layer in self.layers:
            n = len(layer.get_weights())
            layer.set_weights(weights[:n])
            weights = weights[n:]
        if weights:
            raise ValueError(f"{self.name}: set_weights got {len(weights)} arrays too many")

    def save_weights(self, filepath, overwrite=True):
        """Every parameter and buffer in a brique checkpoint (a .npz zip, whatever the file
        name says; not HDF5)."""
        _save({k: v for k, v in self.state_dict().items()}, filepath)

    def load_weights(self, filepath, by_name=False):
        """Weights saved by save_weights (or a whole model saved by model.save), matched in
        order (Keras's default: the layer names of the two models may differ) or, with
        by_name, by layer name (others skipped)."""
        from . import keras_files
        if keras_files.is_hdf5(filepath):  # Keras 3's .weights.h5
            return keras_files.load_weights(self, filepath)
        saved = read_weights(filepath)
        if saved is None:
            saved = _load(filepath)
        if by_name:
            self.load_state_dict(saved, strict=False)
            return
        own = list(self.state_dict())
        if len(own) != len(saved):
            raise ValueError(f"{self.name}: the file holds {len(saved)} weight arrays, the "
                             f"model has {len(own)}; load by_name=True for partial loads")
        self.load_state_dict(dict(zip(own, saved.values())))

    def count_params(self):
        """Every weight's size, the non-trainable ones (moving statistics) included."""
        return sum(w.numel() for w in self.weights)


def predict_arrays(model, x, batch_size=32, device=None):
    """Outputs of `model` in eval mode on arrays (or a list of arrays, one per input), as
    NumPy arrays (a list of them for several outputs, a dict for a model of dict outputs).
    Inputs may be a dict by input name."""
    if isinstance(x, dict):
        x = model.ordered(x)
    xs = [to_tensor(a) for a in _as_list(x)]
    n = len(xs[0])
    was_training = model.training
    model.eval()
    chunks = []
    try:
        with no_grad():
            for s in range(0, n, batch_size):
                batch = [a[s:s + batch_size] for a in xs]
                batch = batch if device is None else [a.to(device) for a in batch]
                out = model(batch if isinstance(x, (list, tuple)) else batch[0])
                chunks.append([backend.to_numpy(o._data) for o in _as_list(out)])
    finally:
        model.train(was_training)
    if not chunks:
        raise ValueError("predict: no samples")
    outs = [np.concatenate(parts) for parts in zip(*chunks)]
    if model.__dict__.get("_output_keys"):
        return dict(zip(model._output_keys, outs))
    return outs[0] if model._single_output else outs
