"""How each brique primitive is written in ONNX operators.

A translation takes the graph builder, the traced call and the same call from a second trace
with other inputs (`alt`: a batch one larger along dynamic axes), from which it tells which
shape arguments follow the batch size. It returns the output's name.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..ops import conv, conversion, elementwise as E, indexing, linalg, movement, norm, pool
from ..ops import upsample, vector_norm
from ..ops import reduce as R
from ..tensor import Tensor
from .graph import INT64_MAX, INT64_MIN, UnsupportedOperatorError, onnx_type

TRANSLATIONS = {}


def translates(*classes):
    def register(fn):
        for cls in classes:
            TRANSLATIONS[cls] = fn
        return fn
    return register


def _out_dtype(call):
    return call.output.dtype


def _operands(g, call):
    """Names of the inputs, numbers as constants and tensors cast to the output's dtype
    (ONNX arithmetic wants one type where NumPy promotes)."""
    dtype = _out_dtype(call)
    names = []
    for x in call.inputs:
        if isinstance(x, Tensor):
            names.append(g.cast(g.name(x), x.dtype, dtype))
        else:
            names.append(g.name(x, dtype))
    return names


_BINARY = {E.Add: "Add", E.Sub: "Sub", E.Mul: "Mul", E.Div: "Div", E.Pow: "Pow",
           E.Maximum: "Max", E.Minimum: "Min"}
_UNARY = {E.Neg: "Neg", E.Exp: "Exp", E.Log: "Log", E.Sqrt: "Sqrt", E.Abs: "Abs",
          E.Sign: "Sign", E.Sin: "Sin", E.Cos: "Cos", E.Tanh: "Tanh", E.Sigmoid: "Sigmoid",
          E.Relu: "Relu", E.Erf: "Erf", conversion.ToDevice: "Identity"}


@translates(*_BINARY)
def _binary(g, call, alt):
    return g.add(_BINARY[call.op], _operands(g, call))


@translates(*_UNARY)
def _unary(g, call, alt):
    return g.add(_UNARY[call.op], _operands(g, call))


@translates(E.LeakyRelu)
def _leaky_relu(g, call, alt):
    return g.add("LeakyRelu", _operands(g, call), alpha=float(call.params["negative_slope"]))


@translates(E.Log1p)
def _log1p(g, call, alt):
    # ONNX has no log1p: log(1 + x) loses tiny x in the runtime's arithmetic, as PyTorch's
    # exporter accepts too
    (x,) = _operands(g, call)
    return g.add("Log", [g.add("Add", [x, g.const(1.0, _out_dtype(call))])])


@translates(E.Expm1)
def _expm1(g, call, alt):
    (x,) = _operands(g, call)
    return g.add("Sub", [g.add("Exp", [x]), g.const(1.0, _out_dtype(call))])


@translates(E.Clamp)
def _clamp(g, call, alt):
    (x,) = _operands(g, call)
    dtype = _out_dtype(call)
    bounds = [("" if call.params.get(k) is None else g.const(call.params[k], dtype))
              for k in ("min", "max")]
    return g.add("Clip", [x] + bounds)


@translates(E.Where)
def _where(g, call, alt):
    cond, a, b = call.inputs
    dtype = _out_dtype(call)
    names = [g.name(x, dtype) if not isinstance(x, Tensor) else g.cast(g.name(x), x.dtype, dtype)
             for x in (a, b)]
    return g.add("Where", [g.name(cond)] + names)


_LOGIC = {"eq": "Equal", "lt": "Less", "le": "LessOrEqual", "gt": "Greater",
          "ge": "GreaterOrEqual", "and": "And", "or": "Or", "xor": "Xor", "not": "Not",
          "isnan": "IsNaN"}


@translates(E.Logic)
def _logic(g, call, alt):
    op, (a, b) = call.params["op"], call.inputs
    if op.startswith("bitwise"):
        raise UnsupportedOperatorError(f"export: {op} in {call.where} has no ONNX translation")
    x = g.name(a)
    if op == "isfinite":
        return g.add("Not", [g.add("Or", [g.add("IsInf", [x]), g.add("IsNaN", [x])])])
    if op in ("not", "isnan"):
        return g.add(_LOGIC[op], [x])
    dtype = np.result_type(a.dtype, b.dtype if isinstance(b, Tensor) else np.asarray(b).dtype)
    if op in ("and", "or", "xor"):
        dtype = np.bool_
    y = g.cast(g.name(b), b.dtype, dtype) if isinstance(b, Tensor) else g.const(b, dtype)
    x = g.cast(x, a.dtype, dtype)
    if op == "ne":
        return g.add("Not", [g.add("Equal", [x, y])])
    return g.add(_LOGIC[op], [x, y])


@translates(conversion.Cast, conversion.CastIndex)
def _cast(g, call, alt):
    return g.add("Cast", [g.name(call.inputs[0])], to=onnx_type(call.params["dtype"]))


# ---------------------------------------------------------------------- linear algebra
@translates(linalg.Matmul)
def _matmul(g, call, alt):
    return g.add("MatMul", _operands(g, call))


@translates(linalg.Linear)
def _linear(g, call, alt):
    x, w = call.inputs[0], call.inputs[1]
    b = call.inputs[2] if len(call.inputs) > 2 else None
    args = [g.name(x), g.name(w)] + ([g.name(b)] if b is not None else [])
    if x.ndim == 2:
        return g.add("Gemm", args, transB=1)
    out = g.add("MatMul", [args[0], g.add("Transpose", [args[1]], perm=[1, 0])])
    return g.add("Add", [out, args[2]]) if b is not None else out


@translates(conv.Conv2d)
def _conv(g, call, alt):
    geom = call.params["geom"]
    args = [g.name(x) for x in call.inputs if x is not None]
    return g.add("Conv", args, kernel_shape=[geom.kh, geom.kw], strides=[geom.sh, geom.sw],
                 pads=[geom.pt, geom.pl, geom.pb, geom.pr], dilations=[geom.dh, geom.dw],
                 group=geom.groups)


@translates(conv.ConvTranspose2d)
def _conv_transpose(g, call, alt):
    geom, x = call.params["geom"], call.inputs[0]
    args = [g.name(t) for t in call.inputs if t is not None]
    # The geometry is the forward conv's: its input (H, W) is this op's output size.
    natural = [(n - 1) * s - p0 - p1 + d * (k - 1) + 1 for n, s, p0, p1, d, k in
               ((x.shape[2], geom.sh, geom.pt, geom.pb, geom.dh, geom.kh),
                (x.shape[3], geom.sw, geom.pl, geom.pr, geom.dw, geom.kw))]
    return g.add("ConvTranspose", args, kernel_shape=[geom.kh, geom.kw],
                 strides=[geom.sh, geom.sw], pads=[geom.pt, geom.pl, geom.pb, geom.pr],
                 dilations=[geom.dh, geom.dw], group=geom.groups,
                 output_padding=[geom.H - natural[0], geom.W - natural[1]])


@translates(pool.MaxPool2d)
def _max_pool(g, call, alt):
    geom = call.params["geom"]
    return g.add("MaxPool", [g.name(call.inputs[0])], kernel_shape=[geom.kh, geom.kw],
                 strides=[geom.sh, geom.sw], pads=[geom.pt, geom.pl, geom.pb, geom.pr],
                 dilations=[geom.dh, geom.dw])


@translates(pool.AvgPool2d)
def _avg_pool(g, call, alt):
    geom, inv = call.params["geom"], backend.to_numpy(call.params["inv"])
    out = g.add("AveragePool", [g.name(call.inputs[0])], kernel_shape=[geom.kh, geom.kw],
                strides=[geom.sh, geom.sw], pads=[geom.pt, geom.pl, geom.pb, geom.pr],
                count_include_pad=1)
    # brique divides each window by its own count (`inv`); ONNX divided by kh * kw.
    scale = np.asarray(inv * (geom.kh * geom.kw), dtype=call.output.dtype)
    if np.allclose(scale, 1):
        return out
    return g.add("Mul", [out, g.const(scale)])


@translates(norm.Normalize)
def _normalize(g, call, alt):
    """(x - mean) / sqrt(var + eps) over `axes`, then the optional scale and shift."""
    x, weight, bias = call.inputs
    axes, eps = list(call.params["axes"]), call.params.get("eps", 1e-5)
    name = g.name(x)
    centred = g.add("Sub", [name, g.reduce("ReduceMean", name, axes, True)])
    var = g.reduce("ReduceMean", g.add("Mul", [centred, centred]), axes, True)
    denom = g.add("Sqrt", [g.add("Add", [var, g.const(eps, x.dtype)])])
    out = g.add("Div", [centred, denom])
    if weight is not None:
        out = g.add("Mul", [out, g.name(weight)])
    if bias is not None:
        out = g.add("Add", [out, g.name(bias)])
    return out


# ---------------------------------------------------------------------- reductions
@translates(R.Sum)
def _sum(g, call, alt):
    p = call.params
    out = g.reduce("ReduceSum", g.name(call.inputs[0]), p["dims"], p.get("keepdim", False))
    return g.cast(out, call.inputs[0].dtype, call.output.dtype)


@translates(R.Prod, R.Amax)
def _prod_max(g, call, alt):
    p = call.params
    op = ("ReduceProd" if call.op is R.Prod else
          "ReduceMax" if p.get("largest", True) else "ReduceMin")
    return g.reduce(op, g.name(call.inputs[0]), p["dims"], p.get("keepdim", False))


@translates(vector_norm.Norm)
def _norm(g, call, alt):
    p, x = call.params, call.inputs[0]
    order, dims, keep = p.get("p", 2.0), p["dims"], p.get("keepdim", False)
    if order in (1.0, 2.0):
        return g.reduce("ReduceL1" if order == 1.0 else "ReduceL2", g.name(x), dims, keep)
    magnitude = g.add("Abs", [g.name(x)])
    if order in (float("inf"), float("-inf")):
        return g.reduce("ReduceMax" if order > 0 else "ReduceMin", magnitude, dims, keep)
    powered = g.add("Pow", [magnitude, g.const(order, x.dtype)])
    total = g.reduce("ReduceSum", powered, dims, keep)
    return g.add("Pow", [total, g.const(1.0 / order, x.dtype)])


@translates(R.Cumsum)
def _cumsum(g, call, alt):
    return g.add("CumSum", [g.name(call.inputs[0]), g.const(call.params.get("dim", 0), np.int64)])


@translates(R.LogSoftmax)
def _log_softmax(g, call, alt):
    return g.add("LogSoftmax", [g.name(call.inputs[0])], axis=call.params.get("dim", -1))


# ---------------------------------------------------------------------- shapes
def _dynamic_dims(name, shape, alt_shape, call):
    """Positions whose size follows the batch (they differ between the two traces)."""
    if alt_shape is None or len(alt_shape) != len(shape):
        return []
    return [i for i, (a, b) in enumerate(zip(shape, alt_shape)) if a != b]


@translates(movement.Reshape)
def _reshape(g, call, alt):
    shape = list(call.output.shape)
    moving = _dynamic_dims("reshape", shape, alt and tuple(alt.output.shape), call)
    if len(moving) > 1:
        raise UnsupportedOperatorError(
            f"reshape to {tuple(shape)} in {call.where}: {len(moving)} of its sizes follow the "
            "batch size; ONNX export can keep one of them dynamic")
    for i in moving:
        shape[i] = -1
    return g.add("Reshape", [g.name(call.inputs[0]), g.ints(shape)])


@translates(upsample.NearestUp)
def _nearest_up(g, call, alt):
    # Resize's nearest mode with asymmetric coordinates and floor picks input i // f for
    # output i: each element repeated f times, exactly NearestUp.
    x, factors = call.inputs[0], call.params["factors"]
    scales = [1.0] * (x.ndim - len(factors)) + [float(f) for f in factors]
    return g.add("Resize", [g.name(x), "", g.const(scales, np.float32)], mode="nearest",
                 coordinate_transformation_mode="asymmetric", nearest_mode="floor")


@translates(movement.Expand)
def _expand(g, call, alt):
    shape = list(call.params["shape"])
    x = call.inputs[0]
    for i in _dynamic_dims("expand", shape, alt and alt.params["shape"], call):
        if x.shape[i - len(shape) + x.ndim] == 1:
            raise UnsupportedOperatorError(f"expand of a size-1 dim to the batch size in "
                                           f"{call.where} cannot be exported with a dynamic axis")
        shape[i] = 1  # ONNX Expand broadcasts: 1 keeps the input's own size
    return g.add("Expand", [g.name(x), g.ints(shape)])


@translates(movement.Permute)
def _permute(g, call, alt):
    return g.add("Transpose", [g.name(call.inputs[0])], perm=list(call.params["dims"]))


@translates(movement.Flip)
def _flip(g, call, alt):
    dims = list(call.params["dims"])
    return g.add("Slice", [g.name(call.inputs[0]), g.ints([-1] * len(dims)),
                           g.ints([INT64_MIN] * len(dims)), g.ints(dims),
                           g.ints([-1] * len(dims))])


@translates(movement.Pad)
def _pad(g, call, alt):
    widths = call.params["widths"]
    pads = [int(w[0]) for w in widths] + [int(w[1]) for w in widths]
    x = call.inputs[0]
    return g.add("Pad", [g.name(x), g.ints(pads), g.const(call.params.get("value", 0.0),
                                                           x.dtype)], mode="constant")


@translates(movement.Cat)
def _cat(g, call, alt):
    return g.add("Concat", _operands(g, call), axis=call.params.get("dim", 0))


@translates(indexing.Gather)
def _gather(g, call, alt):
    return g.add("GatherElements", [g.name(call.inputs[0]), g.name(call.params["index"])],
                 axis=call.params.get("dim", 0))


@translates(indexing.ScatterAdd)
def _scatter_add(g, call, alt):
    a, src = call.inputs
    return g.add("ScatterElements", [g.name(a), g.name(call.params["index"]), g.name(src)],
                 axis=call.params.get("dim", 0), reduction="add")


@translates(indexing.GetItem)
def _getitem(g, call, alt):
    """Basic indexing (ints, slices, None, ...) as Slice + Squeeze + Unsqueeze; one integer
    array index (an embedding lookup) as Gather."""
    x, index = call.inputs[0], call.params["index"]
    index = index if isinstance(index, tuple) else (index,)
    arrays = [i for i, k in enumerate(index) if backend.is_array(k)]
    if call.params.get("advanced"):
        full = all(k == slice(None) for i, k in enumerate(index) if i not in arrays)
        if len(arrays) == 1 and full and index[arrays[0]].dtype.kind in "iu":
            k = index[arrays[0]]
            return g.add("Gather", [g.name(x), g.cast(g.name(k), k.dtype, np.int64)],
                         axis=arrays[0])
        raise UnsupportedOperatorError(f"indexing with {len(arrays)} index arrays (or a mask) in "
                                       f"{call.where}: ONNX export takes one integer index "
                                       "array, the other dims whole")
    if Ellipsis in index:
        at = index.index(Ellipsis)
        fill = x.ndim - sum(1 for k in index if k is not None and k is not Ellipsis)
        index = index[:at] + (slice(None),) * fill + index[at + 1:]
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dim = out_dim = 0
    for k in index:
        if k is None:
            unsqueeze.append(out_dim)
            out_dim += 1
            continue
        if isinstance(k, slice):
            start, stop, step = k.start, k.stop, k.step or 1
            if (start, stop, step) != (None, None, 1):
                starts.append(start if start is not None else (0 if step > 0 else -1))
                ends.append(stop if stop is not None else (INT64_MAX if step > 0 else INT64_MIN))
                axes.append(dim)
                steps.append(step)
            out_dim += 1
        else:  # an integer
            k = int(k)
            starts.append(k)
            ends.append(k + 1 if k != -1 else INT64_MAX)
            axes.append(dim)
            steps.append(1)
            squeeze.append(dim)
        dim += 1
    name = g.name(x)
    if axes:
        name = g.add("Slice", [name, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        name = g.add("Squeeze", [name, g.ints(squeeze)])
    if unsqueeze:
        name = g.add("Unsqueeze", [name, g.ints(unsqueeze)])
    return name if name != g.name(x) else g.add("Identity", [name])
