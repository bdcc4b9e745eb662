"""nn.RNN / LSTM / GRU as ONNX's own RNN, LSTM and GRU operators, one per layer.

ONNX orders the gates differently from PyTorch (LSTM: i, o, f, c for PyTorch's i, f, g, o;
GRU: z, r, h for r, z, n) and keeps both directions of a layer in one operator, so the weights
are regrouped at export. PyTorch's GRU applies the reset gate after the hidden product, which is
ONNX's `linear_before_reset=1`.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..nn.modules.rnn import GRU, LSTM
from ..tensor import Tensor
from .graph import UnsupportedOperatorError

_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2]}


def _gates(array, mode, hidden):
    order = _ORDER.get(mode)
    if order is None:
        return array
    return np.concatenate([array[k * hidden:(k + 1) * hidden] for k in order])


def _layer_weights(g, module, layer, path):
    """W, R, B initializers of one layer, directions stacked (ONNX's layout)."""
    mode, H = ("LSTM" if isinstance(module, LSTM) else "GRU" if isinstance(module, GRU)
               else "RNN"), module.hidden_size
    dirs = ["", "_reverse"] if module.bidirectional else [""]
    W, R, B = [], [], []
    for sfx in dirs:
        get = lambda n: backend.to_numpy(getattr(module, f"{n}_l{layer}{sfx}")._data)  # noqa
        W.append(_gates(get("weight_ih"), mode, H))
        R.append(_gates(get("weight_hh"), mode, H))
        if module.bias:
            B.append(np.concatenate([_gates(get("bias_ih"), mode, H),
                                     _gates(get("bias_hh"), mode, H)]))
        else:
            B.append(np.zeros(2 * W[-1].shape[0], dtype=W[-1].dtype))
    return [g.initializer(np.stack(a), f"{path}.{kind}_l{layer}")
            for a, kind in ((W, "W"), (R, "R"), (B, "B"))]


def translate_rnn(g, call, alt):
    module, args = call.op, call.inputs
    x = args[0]
    if not isinstance(x, Tensor):
        raise UnsupportedOperatorError(f"{call.where}: ONNX export takes a padded tensor input, "
                                       f"not a {type(x).__name__}")
    path = g.module_paths.get(id(module), "rnn")
    lstm = isinstance(module, LSTM)
    hx = args[1] if len(args) > 1 else None
    states = [] if hx is None else (list(hx) if lstm else [hx])
    D, H, batched = (2 if module.bidirectional else 1), module.hidden_size, x.ndim == 3
    seq = g.name(x)
    if not batched:
        seq = g.add("Unsqueeze", [seq, g.ints([1])])
        states = [g.add("Unsqueeze", [g.name(s), g.ints([1])]) for s in states]
    else:
        if module.batch_first:
            seq = g.add("Transpose", [seq], perm=[1, 0, 2])
        states = [g.name(s) for s in states]
    op = "LSTM" if lstm else "GRU" if isinstance(module, GRU) else "RNN"
    attrs = dict(hidden_size=H, direction="bidirectional" if D == 2 else "forward")
    if op == "GRU":
        attrs["linear_before_reset"] = 1
    if op == "RNN":
        attrs["activations"] = [module.nonlinearity.capitalize()] * D
    finals = [[] for _ in range(2 if lstm else 1)]
    for layer in range(module.num_layers):
        inits = [g.add("Slice", [s, g.ints([layer * D]), g.ints([(layer + 1) * D]),
                                 g.ints([0])]) for s in states]
        inputs = [seq] + _layer_weights(g, module, layer, path) + ([""] + inits if inits else [])
        outs = g.add(op, inputs, n_out=3 if lstm else 2, **attrs)
        y = g.add("Transpose", [outs[0]], perm=[0, 2, 1, 3])  # (L, D, N, H) -> (L, N, D, H)
        seq = g.add("Reshape", [y, g.ints([0, 0, -1])])
        for f, name in zip(finals, outs[1:]):
            f.append(name)
    finals = [f[0] if len(f) == 1 else g.add("Concat", f, axis=0) for f in finals]
    if not batched:
        seq = g.add("Squeeze", [seq, g.ints([1])])
        finals = [g.add("Squeeze", [f, g.ints([1])]) for f in finals]
    elif module.batch_first:
        seq = g.add("Transpose", [seq], perm=[1, 0, 2])
    output, state = call.output
    g.bind(output, seq)
    for t, name in zip(state if lstm else [state], finals):
        g.bind(t, name)
    return None
