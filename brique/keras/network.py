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
from .saving import custom_object_scope, deserialize_layer, read_weights, serialize_layer


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


def _as_list(x):
    if isinstance(x, dict):  # a model's dict of outputs, in its own order
        return list(x.values())
    return list(x) if isinstance(x, (list, tuple)) else [x]


# A symbolic tensor passed by keyword (`initial_state=[h, c]`) in a saved graph: {key: ref}.
_TENSOR_REF = "__keras_tensor__"


def _is_ref(v):
    return isinstance(v, dict) and set(v) == {_TENSOR_REF}


def _refs(kwargs):
    found = []
    for v in kwargs.values():
        for x in (v if isinstance(v, list) else [v]):
            if _is_ref(x):
                found.append(tuple(x[_TENSOR_REF]))
    return found


def _deref(v, tensors):
    if _is_ref(v):
        return tensors[tuple(v[_TENSOR_REF])]
    return [_deref(x, tensors) for x in v] if isinstance(v, list) else v


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


class Network(Layer):
    """A graph of layer calls from `inputs` to `outputs` (KerasTensors, or lists of them).
    Keras 1's spelling `Model(input=..., output=...)` works too."""

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
            first = bool(mode) and "training" not in node.kwargs and all(t.ndim == 4 for t in ins) and (
                mode == "prefer" or all(values[id(t)].first is not None for t in ins))
            args = [values[id(t)].get(first) for t in ins]
            several = isinstance(node.inputs, (list, tuple))
            arg = args if several else args[0]
            if first:
                out = layer.call_first(arg)
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

    # ------------------------------------------------------------------ config (saving)
    def get_config(self):
        """The graph as Keras describes it: each layer's class and config with the calls
        that feed it (`inbound_nodes`: [layer name, call index, output index] per input),
        and the model's input and output tensors as such references."""
        if self._subclassed:  # no graph: the constructor's arguments, as a custom layer's
            return Layer.get_config(self)
        if not self.built:
            raise ValueError(f"{self.name}: the model has no graph yet (no inputs/outputs)")
        index, counts = {}, {}
        for node in self._graph_nodes:
            name = node.layer.name
            index[id(node)] = (name, counts.get(name, 0))
            counts[name] = counts.get(name, 0) + 1

        def ref(t):
            return [*index[id(t.node)], t.index]

        def encode(v):  # a symbolic tensor given by keyword, as a reference
            if isinstance(v, KerasTensor):
                return {_TENSOR_REF: ref(v)}
            return [encode(x) for x in v] if isinstance(v, (list, tuple)) else v
        entries = []
        for layer in self.layers:
            entry = {k: v for k, v in serialize_layer(layer).items() if k != "module"}
            entry["name"] = layer.name
            entry["inbound_nodes"] = [
                {"args": [ref(t) for t in node.input_list],
                 "list": isinstance(node.inputs, (list, tuple)),
                 **({"kwargs": {k: encode(v) for k, v in node.kwargs.items()}}
                    if node.kwargs else {})}
                for node in self._graph_nodes
                if node.layer is layer and not isinstance(layer, InputLayer)]
            entries.append(entry)
        outputs = [ref(t) for t in self.outputs]
        inputs = [ref(t) for t in self.inputs]
        keys_in, keys_out = self.__dict__.get("_input_keys"), self.__dict__.get("_output_keys")
        return {"name": self.name, "trainable": self._trainable, "layers": entries,
                "input_layers": dict(zip(keys_in, inputs)) if keys_in else inputs,
                "output_layers": dict(zip(keys_out, outputs)) if keys_out else
                outputs[0] if self._single_output else outputs}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The model that get_config() describes (fresh weights). A config without a graph
        (a subclassed model's own get_config) goes to the constructor, as in Keras."""
        if not ("layers" in config and "input_layers" in config):
            return cls(**config)
        with custom_object_scope(custom_objects):
            layers = {e["name"]: deserialize_layer(e) for e in config["layers"]}
            tensors = {(name, 0, 0): layer.output for name, layer in layers.items()
                       if isinstance(layer, InputLayer)}
            pending = [(e["name"], i, node) for e in config["layers"]
                       for i, node in enumerate(e.get("inbound_nodes", []))]
            done = dict.fromkeys(layers, 0)
            # A shared layer's later calls may wait on layers listed after it: repeat passes.
            while pending:
                waiting = []
                for name, i, node in pending:
                    kwargs = node.get("kwargs", {})
                    keys = [tuple(a) for a in node["args"]] + _refs(kwargs)
                    if done[name] != i or not all(k in tensors for k in keys):
                        waiting.append((name, i, node))
                        continue
                    args = [tensors[tuple(a)] for a in node["args"]]
                    kwargs = {k: _deref(v, tensors) for k, v in kwargs.items()}
                    out = layers[name](args if node["list"] else args[0], **kwargs)
                    for j, t in enumerate(_as_list(out)):
                        tensors[(name, i, j)] = t
                    done[name] += 1
                if len(waiting) == len(pending):
                    raise ValueError(f"{config.get('name')}: the saved graph cannot be rebuilt: "
                                     f"calls of {sorted({w[0] for w in waiting})} wait on "
                                     "tensors no layer makes")
                pending = waiting
            outs, ins = config["output_layers"], config["input_layers"]
            if isinstance(outs, dict):
                outputs = {k: tensors[tuple(r)] for k, r in outs.items()}
            else:
                single = bool(outs) and isinstance(outs[0], str)
                outputs = [tensors[tuple(r)] for r in ([outs] if single else outs)]
                outputs = outputs[0] if single else outputs
            inputs = ({k: tensors[tuple(r)] for k, r in ins.items()} if isinstance(ins, dict)
                      else [tensors[tuple(r)] for r in ins])
            model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
        if not config.get("trainable", True):
            model.trainable = False
        return model

    # ------------------------------------------------------------------ summary
    def summary(self, line_length=None, positions=None, print_fn=None):
        """Keras's table: each layer, its output shape and parameter count (and, for graphs
        that are not a chain, the layers it is connected to)."""
        if not self.built:
            raise ValueError(f"{self.name}: This model has not yet been built. Build the model "
                             "first by calling `build()` or calling `fit()` with some data, or "
                             "specify an `input_shape` argument in the first layer(s) for "
                             "automatic build.")
        print_fn = print_fn or print
        chain = all(len(node.input_list) <= 1 for node in self._graph_nodes)
        line_length = line_length or (65 if chain else 98)
        positions = positions or ([.45, .85, 1.] if chain else [.33, .55, .67, 1.])
        stops = [int(line_length * p) if p <= 1 else int(p) for p in positions]
        heads = ["Layer (type)", "Output Shape", "Param #", "Connected to"][:len(stops)]

        def row(fields):
            text = ""
            for field, stop in zip(fields, stops):
                text = (text + str(field))[:stop].ljust(stop)
            print_fn(text.rstrip())
        first_node = {}
        for node in self._graph_nodes:
            first_node.setdefault(id(node.layer), node)
        print_fn(f'Model: "{self.name}"')
        print_fn("_" * line_length)
        row(heads)
        print_fn("=" * line_length)
        for i, layer in enumerate(self.layers):
            node = first_node.get(id(layer))
            shapes = ([t.shape for t in node.outputs] if node else
                      layer.__dict__.get("_last_shapes") or ["?"])
            shape = shapes[0] if len(shapes) == 1 else shapes
            links = ", ".join(t.node.layer.name for t in node.input_list) if node else ""
            row([f"{layer.name} ({type(layer).__name__})", shape, f"{layer.count_params()}",
                 links])
            print_fn(("=" if i == len(self.layers) - 1 else "_") * line_length)
        total = self.count_params()
        trainable = sum(w.numel() for w in self.trainable_weights)
        print_fn(f"Total params: {total:,}")
        print_fn(f"Trainable params: {trainable:,}")
        print_fn(f"Non-trainable params: {total - trainable:,}")
        print_fn("_" * line_length)


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
