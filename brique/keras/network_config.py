"""A graph model's description and table (Network's half that reads and writes its
structure): get_config / from_config, Keras's description of layers and the calls between
them, which model.save and to_json write; and summary(), Keras's table of layers."""
from __future__ import annotations

from .engine import InputLayer, KerasTensor, Layer
from .saving import custom_object_scope, deserialize_layer, serialize_layer


def as_list(x):
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


class GraphConfig:
    """get_config, from_config and summary of a Network (mixed into it)."""

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
                    for j, t in enumerate(as_list(out)):
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
