"""Building an ONNX graph from a traced forward pass: value names, constants, nodes.

Host-side code: the traced arrays are copied to NumPy for the initializers.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..tensor import Tensor

try:
    import onnx
    from onnx import helper, numpy_helper
except ImportError as e:  # pragma: no cover - the message is what matters
    raise ImportError("brique.onnx needs the onnx package: pip install 'brique[onnx]'") from e

INT64_MAX, INT64_MIN = 2**63 - 1, -2**63


class UnsupportedOperatorError(RuntimeError):
    """The traced forward pass holds something ONNX export cannot write (PyTorch's name)."""


def onnx_type(dtype):
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


class GraphBuilder:
    """Names every traced value and collects nodes and initializers.

    `names` maps the id of a Tensor (and of its array, since some ops take raw index arrays) to
    its ONNX value name. A tensor met without a name is a constant made inside forward: it
    becomes an initializer (the tracer has checked that it does not depend on the inputs)."""

    def __init__(self, opset):
        self.opset = opset
        self.nodes, self.initializers, self.names, self.count = [], [], {}, 0
        self.current = None  # the traced call being translated, for error messages

    def fresh(self, hint="v"):
        self.count += 1
        return f"{hint}_{self.count}"

    def bind(self, tensor, name):
        self.names[id(tensor)] = name
        if isinstance(tensor, Tensor):
            self.names[id(tensor._data)] = name

    def initializer(self, array, name=None):
        name = name or self.fresh("const")
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def const(self, value, dtype=None):
        """A constant of `value` (a number, list or array) as an initializer."""
        array = np.asarray(backend.to_numpy(value) if backend.is_array(value) else value,
                           dtype=dtype)
        return self.initializer(array)

    def ints(self, values):
        return self.const(np.asarray(list(values), dtype=np.int64))

    def name(self, value, dtype=None):
        """The ONNX name of a traced tensor, array or Python number (numbers become constants of
        `dtype`)."""
        if isinstance(value, Tensor) or backend.is_array(value):
            key = id(value)
            if key not in self.names:
                data = value._data if isinstance(value, Tensor) else value
                self.bind(value, self.initializer(backend.to_numpy(data)))
            return self.names[key]
        return self.const(value, dtype)

    def add(self, op_type, inputs, n_out=1, **attrs):
        """Append a node; returns its output name (or names when n_out > 1)."""
        outs = [self.fresh(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, **attrs))
        return outs[0] if n_out == 1 else outs

    def reduce(self, op_type, x, axes, keepdims):
        """A Reduce* node: axes are an input from opset 18 (ReduceSum: 13), an attribute
        before."""
        axes = list(axes)
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.add(op_type, [x, self.ints(axes)], keepdims=int(keepdims))
        return self.add(op_type, [x], axes=axes, keepdims=int(keepdims))

    def cast(self, name, from_dtype, to_dtype):
        if np.dtype(from_dtype) == np.dtype(to_dtype):
            return name
        return self.add("Cast", [name], to=onnx_type(to_dtype))

    def model(self, inputs, outputs, producer):
        graph = helper.make_graph(self.nodes, "brique", inputs, outputs, self.initializers)
        model = helper.make_model(graph, producer_name="brique", producer_version=producer,
                                  opset_imports=[helper.make_opsetid("", self.opset)])
        return model


def value_info(name, tensor, dynamic):
    """The graph input/output declaration; `dynamic` maps axis -> symbolic name."""
    dims = [dynamic.get(i, d) for i, d in enumerate(tensor.shape)]
    return helper.make_tensor_value_info(name, onnx_type(tensor.dtype), dims)


def check(model):
    onnx.checker.check_model(model)
