"""Files written by real Keras: Keras 3's `.keras` zip (`config.json`, `metadata.json`,
`model.weights.h5`) read by load_model, and Keras 3's `.weights.h5` read by load_weights.

Keras 3's config is translated into brique's own (saving.py, network_config.py): the same
layer classes and argument names, with `__keras_tensor__` references and Keras 3's
`{"args", "kwargs"}` calls turned into brique's `inbound_nodes`. An argument that brique's
layer does not take is dropped only where its value is a no-op (Keras's default); otherwise
the error names the layer and the argument. Weights come from HDF5 (h5py, imported only here,
when such a file is read): Keras 3 stores each layer's variables under
`layers/<snake_case class name>[_n]/vars/<i>`, in its get_weights order, with sublayers as
nested groups (`cell`, `forward_layer`, `layers/...` of a nested model); each layer then gets
them through its set_weights, which takes Keras's layouts.

Nothing in a file runs: a Lambda layer (its config holds marshalled bytecode) is refused.
The optimizer's state (its moments) is not read: a loaded model recompiles afresh.
"""
from __future__ import annotations

import inspect
import json
import re
import zipfile

from . import saving as _saving
from .engine import InputLayer, Layer

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
_MODELS = ("Sequential", "Functional", "Model")
# Keras 3 arguments brique's layers do not take, and the value at which each does nothing.
_NO_OP = {"quantization_config": None, "synchronized": False, "renorm": False,
          "renorm_clipping": None, "renorm_momentum": ..., "optional": False, "sparse": False,
          "ragged": False, "seed": None, "zero_output_for_mask": False, "lora_rank": None,
          "lora_alpha": None, "autocast": True, "build_input_shape": ...,
          "activity_regularizer": None, "data_format": "channels_last", "unroll": False,
          "use_cudnn": "auto", "groups": 1, "input_axes": None, "output_axes": None,
          "reset_after": True}  # brique's GRU is the reset_after=True form


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("reading Keras's HDF5 weights (.h5) needs h5py: pip install h5py") \
            from None
    return h5py


def is_keras_zip(path):
    """Whether `path` is a zip written by real Keras 3's model.save (not by brique)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return WEIGHTS in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def is_hdf5(path):
    try:
        with open(path, "rb") as f:
            return f.read(8) == b"\x89HDF\r\n\x1a\n"
    except OSError:
        return False


def snake_case(name):
    """Keras 3's group name for a class (naming.to_snake_case): 'Conv2D' -> 'conv2d'."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# ---------------------------------------------------------------------- config.json
def _value(v):
    """A config value in brique's terms: dtype policies as their name, tuples as lists."""
    if isinstance(v, dict):
        if v.get("class_name") in ("DTypePolicy", "FloatDTypePolicy"):
            return v["config"]["name"]
        if v.get("class_name") == "__lambda__" or (
                v.get("class_name") == "function" and isinstance(v.get("config"), dict)):
            raise ValueError("load_model: the file holds a Python lambda (marshalled "
                             "bytecode); brique never runs code from a file")
        out = {k: _value(x) for k, x in v.items() if k != "shared_object_id"}
        if str(v.get("module", "")).startswith("keras.") and isinstance(out.get("config"),
                                                                        dict):
            # an initializer's, regularizer's... arguments newer than brique's, at no-op values
            out["config"] = {k: x for k, x in out["config"].items()
                             if not (k in ("input_axes", "output_axes") and x is None)}
        return out
    return [_value(x) for x in v] if isinstance(v, list) else v


def _accepted(cls):
    params = inspect.signature(cls.__init__).parameters
    names = {p for p in params if p != "self"}
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        names |= Layer._BASE_ARGS | {"activity_regularizer"}
        return names, True
    return names, False


def _layer_config(cls, config, where):
    """Keras 3's arguments as those of brique's `cls`; unknown ones dropped if no-ops."""
    names, open_kwargs = _accepted(cls)
    out = {}
    for key, value in config.items():
        value = _value(value)
        takes = key in names or (open_kwargs and key.endswith(("_regularizer", "_constraint")))
        if takes and key.endswith("_initializer") and isinstance(value, dict):
            # as an object: a wrapper's copy of the layer (get_config) keeps it
            from . import initializers
            out[key] = initializers.get(value)
        elif takes:
            out[key] = value
        elif key == "dtype" or (key in _NO_OP and _NO_OP[key] in (..., value)) or \
                key.endswith("_initializer"):  # the file's weights replace initial values
            continue
        elif value is None or value is False or value == {}:
            continue  # an option left off: what brique does anyway
        else:
            raise ValueError(f"load_model: layer {config.get('name', '?')!r} ({where}): "
                             f"brique.keras.{cls.__name__} does not support {key}={value!r}")
    return out


def _class(entry):
    name = entry.get("class_name")
    if name == "Lambda":
        raise ValueError(f"load_model: layer {entry.get('config', {}).get('name')!r} is a "
                         "Lambda layer: its function is stored as Python bytecode, which "
                         "brique never runs; rebuild that part of the model in code")
    cls = _saving._lookup(name, entry.get("registered_name"))
    if cls is None:
        cls = _saving._builtin_classes().get(name)
    if cls is None:
        raise ValueError(f"load_model: unknown layer class {name!r} (module "
                         f"{entry.get('module')!r}): not built into brique.keras; pass "
                         f"custom_objects={{{name!r}: YourLayer}}")
    return cls


def _ref(arg):
    return list(arg["config"]["keras_history"])


def _is_tensor(v):
    return isinstance(v, dict) and v.get("class_name") == "__keras_tensor__"


def _node(node, where):
    """Keras 3's {"args", "kwargs"} call as brique's {"args", "list", "kwargs"}."""
    if isinstance(node, list):  # Keras 2's [[name, node, tensor, kwargs], ...]
        return {"args": [a[:3] for a in node], "list": len(node) > 1}
    args = node.get("args", [])
    if len(args) != 1:
        raise ValueError(f"load_model: layer {where!r} is called with {len(args)} positional "
                         "arguments; brique.keras layers take one (a tensor or a list)")
    first = args[0]
    as_list = isinstance(first, list)
    refs = [_ref(a) for a in (first if as_list else [first])]

    def encode(v):
        if _is_tensor(v):
            return {"__keras_tensor__": _ref(v)}
        return [encode(x) for x in v] if isinstance(v, list) else v
    # training= is the call's mode when Keras traced it, not the layer's: brique's fit sets it.
    kwargs = {k: encode(v) for k, v in node.get("kwargs", {}).items()
              if k != "training" and not (k == "mask" and v is None)}
    return {"args": refs, "list": as_list, **({"kwargs": kwargs} if kwargs else {})}


def translate(entry):
    """A Keras 3 (or tf.keras) {class_name, config} layer or model entry as brique's."""
    name = entry.get("class_name")
    config = entry.get("config") or {}
    if name == "InputLayer":
        shape = config.get("batch_shape") or config.get("batch_input_shape")
        return {"module": _saving.LAYER_MODULE, "class_name": "InputLayer",
                "config": {"batch_input_shape": shape, "dtype": _value(config.get("dtype")),
                           "name": config.get("name")}}
    cls = _class(entry)
    if name in _MODELS:
        layers = [translate(e) for e in config.get("layers", [])]
        for e, raw in zip(layers, config.get("layers", [])):
            del e["module"]  # brique's model configs list layers unresolved, without it
            e["name"] = e["config"].get("name")
            if name != "Sequential":
                e["inbound_nodes"] = [_node(n, e["name"]) for n in raw.get("inbound_nodes", [])]
        shape = config.get("build_input_shape") or (entry.get("build_config") or {}).get(
            "input_shape")
        if name == "Sequential" and shape and not (layers and layers[0]["class_name"] ==
                                                   "InputLayer"):
            layers.insert(0, translate({"class_name": "InputLayer",
                                        "config": {"batch_shape": shape}}))
        out = {"name": config.get("name"), "trainable": config.get("trainable", True),
               "layers": layers}
        if name != "Sequential":
            ins = config["input_layers"]
            single = isinstance(ins, list) and bool(ins) and isinstance(ins[0], str)
            out["input_layers"] = [ins] if single else ins  # Keras 3 unwraps a lone input
            outs = config["output_layers"]
            keras2 = any(isinstance(n, list) for e in config.get("layers", [])
                         for n in e.get("inbound_nodes", []))
            if keras2 and isinstance(outs, list) and len(outs) == 1 and \
                    isinstance(outs[0], list):
                outs = outs[0]  # Keras 2 lists a lone output, and predict returns an array
            out["output_layers"] = outs
        return {"module": _saving.LAYER_MODULE, "class_name": name, "config": out}
    if isinstance(config.get("layer"), dict):  # wrappers: Bidirectional, TimeDistributed
        config = {**config, "layer": translate(config["layer"])}
        if isinstance(config.get("backward_layer"), dict):
            config["backward_layer"] = translate(config["backward_layer"])
    return {"module": _saving.LAYER_MODULE, "class_name": name,
            "registered_name": entry.get("registered_name"),
            "config": _layer_config(cls, config, name)}


# ---------------------------------------------------------------------- weights (HDF5)
def _arrays(group):
    """A layer's arrays in get_weights order: its own vars, then its sublayers' (the forward
    half of a Bidirectional before the backward one, as Keras's get_weights lists them)."""
    out = []
    if "vars" in group:
        out += [group["vars"][k][()] for k in sorted(group["vars"], key=int)]
    rank = {"forward_layer": 0, "backward_layer": 1}
    for key in sorted((k for k in group if k != "vars"), key=lambda k: (rank.get(k, 2), k)):
        if hasattr(group[key], "keys"):
            out += _arrays(group[key])
    return out


def _sublayers(model, config):
    """(Keras's class name, brique layer, Keras's config of it or None) of a model's layers,
    in Keras's order."""
    if config is not None:
        return [(e["class_name"], model.get_layer(e["config"]["name"]), e)
                for e in config["config"]["layers"] if e["class_name"] != "InputLayer"]
    return [(("Functional" if type(layer).__name__ == "Model" else type(layer).__name__),
             layer, None) for layer in model.layers if not isinstance(layer, InputLayer)]


def assign(model, group, config=None, where="layers"):
    """Set the weights of `model`'s layers from an h5 group of Keras 3's layout. `config`
    (Keras's own, when loading a .keras file) gives the layers' order and class names."""
    used = {}
    for cls_name, layer, entry in _sublayers(model, config):
        key = snake_case(cls_name)
        used[key] = used.get(key, -1) + 1
        key = f"{key}_{used[key]}" if used[key] else key
        path = f"{where}/{key}"
        if "layers" not in group or key not in group["layers"]:
            if layer.get_weights():
                raise ValueError(f"load weights: no group {path!r} in the file for layer "
                                 f"{layer.name!r}, which has weights")
            continue
        sub = group["layers"][key]
        if cls_name in _MODELS:
            assign(layer, sub, entry, f"{path}/layers")
            continue
        arrays = _arrays(sub)
        if len(arrays) != len(layer.get_weights()):
            raise ValueError(f"load weights: {path!r} holds {len(arrays)} arrays, layer "
                             f"{layer.name!r} ({type(layer).__name__}) has "
                             f"{len(layer.get_weights())} weights")
        layer.set_weights(arrays)


def _compile(model, cc):
    from . import optimizers
    from .model_saving import _deserialized
    opt = cc.get("optimizer")
    if isinstance(opt, dict):
        opt = {"class_name": opt["class_name"], "config": opt.get("config") or {}}
    model.compile(optimizer=optimizers.get(opt or "rmsprop"),
                  loss=_deserialized(cc.get("loss")), metrics=_deserialized(cc.get("metrics")),
                  weighted_metrics=_deserialized(cc.get("weighted_metrics")),
                  loss_weights=cc.get("loss_weights"))


def load_model(path, custom_objects=None, compile=True):
    """The model in a `.keras` file written by Keras 3, with its weights; compiled with its
    optimizer (fresh state), loss and metrics when `compile` and it was compiled."""
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read(CONFIG).decode("utf-8"))
            weights = archive.read(WEIGHTS)
    except (zipfile.BadZipFile, KeyError, EOFError, UnicodeDecodeError,
            json.JSONDecodeError) as e:
        raise ValueError(f"load_model: {path} is truncated, corrupt or not a Keras model "
                         f"file ({type(e).__name__}: {e})") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"load_model: {path}: config.json holds no model description")
    h5py = _h5py()
    import io
    with _saving.custom_object_scope(custom_objects):
        model = _saving.deserialize_layer(translate(config))
        try:
            with h5py.File(io.BytesIO(weights), "r") as h5:
                assign(model, h5, config if config["class_name"] in _MODELS else None)
        except OSError as e:
            raise ValueError(f"load_model: the weights in {path} are corrupt ({e})") from None
        if compile and config.get("compile_config"):
            _compile(model, _value(config["compile_config"]))
    return model


def load_weights(model, path):
    """Keras 3's `.weights.h5` (groups `layers/<class>/vars/<i>`) into `model`, a brique
    model built as the one that saved them (matched by layer order and class)."""
    h5py = _h5py()
    try:
        h5 = h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"load_weights: {path} is not a readable HDF5 file ({e})") from None
    with h5:
        from . import keras_legacy_h5
        if "layers" not in h5 and keras_legacy_h5.is_legacy(h5):  # Keras 2's layout
            keras_legacy_h5.assign(model, h5, by_name=False)
        else:
            assign(model, h5)
