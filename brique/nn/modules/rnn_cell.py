"""The single-step recurrent cells RNNCell, LSTMCell and GRUCell, with PyTorch's parameter names,
gate orders and initialization; each step is a composite of primitives (`ops/cells.py`)."""
from __future__ import annotations

import math

from ... import backend, creation
from ...ops import cells
from ...tensor import Tensor
from .. import init
from .module import Module
from ..parameter import Parameter


def reset_parameters(self):
    """Every parameter of a recurrent layer or cell drawn from U(-1/sqrt(H), 1/sqrt(H))."""
    stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
    for w in self.parameters():
        init.uniform_(w, -stdv, stdv)


class RNNCellBase(Module):
    """weight_ih (G*H, H_in), weight_hh (G*H, H), bias_ih and bias_hh (G*H,), all drawn from
    U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, input_size, hidden_size, bias, num_gates, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        G = num_gates * hidden_size
        self.weight_ih = Parameter(creation.empty(G, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(G, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(G, device=device, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(G, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = reset_parameters

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, states):
        """Check shapes, add the batch dim to unbatched input; zeros for missing states."""
        if input.ndim not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got "
                             f"{input.ndim}D instead (shape {tuple(input.shape)})")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{self!r} expected input with {self.input_size} features, got "
                             f"{tuple(input.shape)}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        out = []
        for s in states:
            if s is None:
                xp = backend.get_array_module(x._data)
                s = Tensor._make(xp.zeros((x.shape[0], self.hidden_size), dtype=x.dtype))
            else:
                expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
                if tuple(s.shape) != expected:
                    raise ValueError(f"{self!r}: expected hidden state of shape {expected}, "
                                     f"got {tuple(s.shape)}")
                s = s if batched else s.unsqueeze(0)
            out.append(s)
        return x, out, batched


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh). Shape: input (N, H_in) or (H_in,), hx (N, H)
    or (H,) -> h' of hx's shape."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [hx])
        h = cells.rnn_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                       self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step. Shape: input (N, H_in) or (H_in,), hx = (h, c) each (N, H) or (H,)
    -> (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, (h, c), batched = self._prepare(input, [None, None] if hx is None else list(hx))
        h, c = cells.lstm_cell(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step. Shape: input (N, H_in) or (H_in,), hx (N, H) or (H,) -> h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [hx])
        h = cells.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)
