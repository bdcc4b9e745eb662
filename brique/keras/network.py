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
from .engine import InputLayer, KerasTensor, Layer, to_first, to_last, to_tensor
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
    return list(x) if isinstance(x, (list, tuple)) else [x]


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

    def _init_graph(self, inputs, outputs):
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
            for t in node.input_list:
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
        layers = [t.layer for t in ins]
        for node in order:
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
    def forward(self, *args):
        xs = _as_list(args[0]) if len(args) == 1 else list(args)
        if len(xs) != len(self.inputs):
            raise ValueError(f"{self.name}: expected {len(self.inputs)} input(s), got {len(xs)}")
        values = {}
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
            first = bool(mode) and all(t.ndim == 4 for t in ins) and (
                mode == "prefer" or all(values[id(t)].first is not None for t in ins))
            args = [values[id(t)].get(first) for t in ins]
            arg = args if isinstance(node.inputs, (list, tuple)) else args[0]
            out = layer.call_first(arg) if first else layer(arg)
            for t, o in zip(node.outputs, _as_list(out)):
                values[id(t)] = _Value(first=o) if first and o.ndim == 4 else _Value(last=o)
        outs = [values[id(t)].get(False) for t in self.outputs]
        return outs[0] if self._single_output else outs

    def compute_output_shape(self, input_shape):
        shapes = {id(t): s for t, s in zip(self.inputs, _as_list(input_shape)
                                            if isinstance(input_shape, list) else [input_shape])}
        for node in self._graph_nodes:
            if isinstance(node.layer, InputLayer):
                continue
            ins = [shapes[id(t)] for t in node.input_list]
            s = node.layer.compute_output_shape(
                ins if isinstance(node.inputs, (list, tuple)) else ins[0])
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
        return sum(p.numel() for p in self.parameters())

    # ------------------------------------------------------------------ config (saving)
    def get_config(self):
        """The graph as Keras describes it: each layer's class and config with the calls
        that feed it (`inbound_nodes`: [layer name, call index, output index] per input),
        and the model's input and output tensors as such references."""
        if not self.built:
            raise ValueError(f"{self.name}: the model has no graph yet (no inputs/outputs)")
        index, counts = {}, {}
        for node in self._graph_nodes:
            name = node.layer.name
            index[id(node)] = (name, counts.get(name, 0))
            counts[name] = counts.get(name, 0) + 1

        def ref(t):
            return [*index[id(t.node)], t.index]
        entries = []
        for layer in self.layers:
            entry = {k: v for k, v in serialize_layer(layer).items() if k != "module"}
            entry["name"] = layer.name
            entry["inbound_nodes"] = [
                {"args": [ref(t) for t in node.input_list],
                 "list": isinstance(node.inputs, (list, tuple))}
                for node in self._graph_nodes
                if node.layer is layer and not isinstance(layer, InputLayer)]
            entries.append(entry)
        outputs = [ref(t) for t in self.outputs]
        return {"name": self.name, "trainable": self._trainable, "layers": entries,
                "input_layers": [ref(t) for t in self.inputs],
                "output_layers": outputs[0] if self._single_output else outputs}

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
                    keys = [tuple(a) for a in node["args"]]
                    if done[name] != i or not all(k in tensors for k in keys):
                        waiting.append((name, i, node))
                        continue
                    args = [tensors[k] for k in keys]
                    out = layers[name](args if node["list"] else args[0])
                    for j, t in enumerate(_as_list(out)):
                        tensors[(name, i, j)] = t
                    done[name] += 1
                if len(waiting) == len(pending):
                    raise ValueError(f"{config.get('name')}: the saved graph cannot be rebuilt: "
                                     f"calls of {sorted({w[0] for w in waiting})} wait on "
                                     "tensors no layer makes")
                pending = waiting
            outs = config["output_layers"]
            single = bool(outs) and isinstance(outs[0], str)
            outputs = [tensors[tuple(r)] for r in ([outs] if single else outs)]
            model = cls(inputs=[tensors[tuple(r)] for r in config["input_layers"]],
                        outputs=outputs[0] if single else outputs, name=config.get("name"))
        if not config.get("trainable", True):
            model.trainable = False
        return model

    # ------------------------------------------------------------------ summary
    def summary(self, line_length=None, positions=None, print_fn=None):
        """Keras's table: each layer, its output shape and parameter count (and, for graphs
        that are not a chain, the layers it is connected to)."""
        if not self.built:
            raise ValueError(f"{self.name} has not been built yet: give the first layer an "
                             "input_shape, or fit/predict on data first")
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
            shapes = [t.shape for t in node.outputs] if node else ["?"]
            shape = shapes[0] if len(shapes) == 1 else shapes
            links = ", ".join(t.node.layer.name for t in node.input_list) if node else ""
            row([f"{layer.name} ({type(layer).__name__})", shape, f"{layer.count_params()}",
                 links])
            print_fn(("=" if i == len(self.layers) - 1 else "_") * line_length)
        total = self.count_params()
        trainable = sum(p.numel() for p in self.parameters() if p.requires_grad)
        print_fn(f"Total params: {total:,}")
        print_fn(f"Trainable params: {trainable:,}")
        print_fn(f"Non-trainable params: {total - trainable:,}")
        print_fn("_" * line_length)


def predict_arrays(model, x, batch_size=32, device=None):
    """Outputs of `model` in eval mode on arrays (or a list of arrays, one per input), as
    NumPy arrays (a list of them for several outputs)."""
    xs = [to_tensor(a) for a in _as_list(x)]
    n = len(xs[0])
    was_training = model.training
    model.eval()
    chunks = []
    try:
        with no_grad():
            for s in range(0, n, batch_size):
                batch = [a[s:s + batch_size] for a in xs]
                out = model(batch if device is None else [a.to(device) for a in batch])
                chunks.append([backend.to_numpy(o._data) for o in _as_list(out)])
    finally:
        model.train(was_training)
    if not chunks:
        raise ValueError("predict: no samples")
    outs = [np.concatenate(parts) for parts in zip(*chunks)]
    return outs[0] if model._single_output else outs
