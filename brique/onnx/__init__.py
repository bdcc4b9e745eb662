"""`brique.onnx.export`: write a brique model as an ONNX file (PyTorch's `torch.onnx.export`).

    brique.onnx.export(model, torch_like_input, "model.onnx", input_names=["input"],
                       output_names=["output"], dynamic_axes={"input": {0: "batch"},
                                                              "output": {0: "batch"}})

The forward pass of `model(*args)` is run once in eval mode and every primitive it calls is
recorded (RNN, LSTM and GRU modules as ONNX's own operators); the record becomes an ONNX graph
with the parameters and buffers as initializers named by their state_dict keys. A second pass on
other inputs (a batch one larger along the dynamic axes) shows which shape arguments follow the
batch size, and that no value computed outside brique's operations (`.item()`, `.numpy()`,
Python control flow on values) is being frozen into the file: such a model is refused with an
error naming the operation and the module. Needs `pip install 'brique[onnx]'`.
"""
from __future__ import annotations

import numpy as np

from .. import backend, __version__
from ..tensor import Tensor
from .graph import GraphBuilder, UnsupportedOperatorError, check, value_info
from .ops import TRANSLATIONS
from .rnn import translate_rnn
from .trace import WHOLE_MODULES, trace

__all__ = ["export", "UnsupportedOperatorError"]
DEFAULT_OPSET = 17


def export(model, args, f, input_names=None, output_names=None, dynamic_axes=None,
           opset_version=None, export_params=True, verbose=False, do_constant_folding=True,
           training=None, keep_initializers_as_inputs=None, **kwargs):
    """Trace `model(*args)` and write the ONNX model to `f` (a path or a binary file object).

    args: a Tensor, or a tuple of Tensors, optionally ending with a dict of keyword arguments.
    dynamic_axes: {name: {axis: "symbol"}} or {name: [axis, ...]} for inputs and outputs whose
    sizes may change (typically the batch axis 0). Returns None, as PyTorch's does.
    """
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not 13 <= opset <= 21:
        raise ValueError(f"export: opset_version {opset} is not supported; use 13 to 21")
    args, call_kwargs = _split_args(args)
    input_names = list(input_names or [f"input_{i}" for i in range(len(args))])
    if len(input_names) != len(args):
        raise ValueError(f"export: {len(input_names)} input_names for {len(args)} inputs")
    dynamic = _dynamic_axes(dynamic_axes or {})
    tracer, outputs = trace(model, args, call_kwargs)
    alt_args = [_other_input(a, dynamic.get(n, {})) for a, n in zip(args, input_names)]
    alt_tracer, _ = trace(model, alt_args, call_kwargs)
    outputs = _flatten(outputs)
    output_names = list(output_names or [f"output_{i}" for i in range(len(outputs))])
    if len(output_names) != len(outputs):
        raise ValueError(f"export: {len(output_names)} output_names for {len(outputs)} outputs")

    g = GraphBuilder(opset)
    g.module_paths = tracer.paths
    for name, t in zip(input_names, args):
        g.bind(t, name)
    seen = set()
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t is not None and id(t) not in seen:
            seen.add(id(t))
            g.bind(t, g.initializer(backend.to_numpy(t._data), name))
    _translate(g, tracer.calls, alt_tracer.calls)
    graph_outputs = []
    for name, t in zip(output_names, outputs):
        if id(t) not in g.names:
            raise UnsupportedOperatorError(
                f"export: output {name!r} was computed outside brique's operations (or is a "
                "constant); ONNX would freeze its value")
        g.nodes.append(_identity(g.name(t), name))
        graph_outputs.append(value_info(name, t, dynamic.get(name, {})))
    graph_inputs = [value_info(n, t, dynamic.get(n, {})) for n, t in zip(input_names, args)]
    proto = g.model(graph_inputs, graph_outputs, __version__)
    check(proto)
    _save(proto, f)


def _translate(g, calls, alt_calls):
    if len(calls) != len(alt_calls) or any(a.op is not b.op and type(a.op) is not type(b.op)
                                           for a, b in zip(calls, alt_calls)):
        raise UnsupportedOperatorError(
            "export: the forward pass runs different operations for inputs of another batch "
            "size or other values (Python control flow on values or shapes); ONNX export "
            "records a single path")
    for call, alt in zip(calls, alt_calls):
        g.current = call
        _check_constants(g, call, alt)
        if isinstance(call.op, WHOLE_MODULES):
            translate_rnn(g, call, alt)
            continue
        fn = TRANSLATIONS.get(call.op)
        if fn is None:
            raise UnsupportedOperatorError(f"export: no ONNX translation for the operation "
                                           f"{call.op_name}, called in {call.where}")
        g.bind(call.output, fn(g, call, alt))


def _check_constants(g, call, alt):
    """An input met for the first time is a constant made inside forward: it must be the same
    in both traces, or it was computed from the inputs outside brique's operations."""
    pairs = list(zip(call.inputs, alt.inputs))
    for key, value in call.params.items():
        parts = value if isinstance(value, tuple) else (value,)
        others = alt.params[key] if isinstance(alt.params[key], tuple) else (alt.params[key],)
        pairs += [(a, b) for a, b in zip(parts, others) if backend.is_array(a)]
    for t, other in pairs:
        if (isinstance(t, Tensor) or backend.is_array(t)) and id(t) not in g.names:
            same = (hasattr(other, "shape") and t.shape == other.shape and
                    np.array_equal(_host(t), _host(other)))
            if not same:
                raise UnsupportedOperatorError(
                    f"export: an input of {call.op_name} in {call.where} was computed from the "
                    "model's inputs outside brique's operations (e.g. .item(), .numpy() or "
                    "tensor(...)); ONNX would freeze it as a constant")


def _host(x):
    return backend.to_numpy(x._data if isinstance(x, Tensor) else x)


def _identity(src, dst):
    from onnx import helper
    return helper.make_node("Identity", [src], [dst])


def _split_args(args):
    if isinstance(args, Tensor):
        return [args], {}
    args = list(args)
    kwargs = args.pop() if args and isinstance(args[-1], dict) else {}
    for a in args:
        if not isinstance(a, Tensor):
            raise TypeError(f"export: args must be Tensors (optionally followed by a dict of "
                            f"keyword arguments), got {type(a).__name__}")
    return args, kwargs


def _dynamic_axes(spec):
    out = {}
    for name, axes in spec.items():
        if isinstance(axes, dict):
            out[name] = {int(k): str(v) for k, v in axes.items()}
        else:
            out[name] = {int(k): f"{name}_dim{k}" for k in axes}
    return out


def _other_input(t, axes):
    """The same input one larger along each dynamic axis, with other values (floats scaled and
    shifted, integers reversed along their last axis): the second trace's input."""
    data = t._data
    for axis in axes:
        xp = backend.get_array_module(data)
        first = xp.take(data, [0], axis=axis)
        data = xp.concatenate([data, first], axis=axis)
    if data.dtype.kind == "f":
        data = data * 0.5 + 0.25
    elif data.ndim:
        data = data[..., ::-1].copy()
    return Tensor._make(data)


def _flatten(out):
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flatten(o)]
    if isinstance(out, dict):
        return [t for o in out.values() for t in _flatten(o)]
    raise TypeError(f"export: the model returned a {type(out).__name__}; expected Tensors")


def _save(proto, f):
    import onnx
    if hasattr(f, "write"):
        f.write(proto.SerializeToString())
    else:
        onnx.save(proto, f)
