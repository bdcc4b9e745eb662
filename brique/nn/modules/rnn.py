"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, batch_first, dropout between
layers) and the single-step cells RNNCell, LSTMCell, GRUCell, with PyTorch's parameter names,
gate orders and initialization.

A layer projects the inputs of all time steps in one matmul, then hands the time loop to a
fused primitive (`ops/recurrent.py`); a cell is a composite of primitives. A PackedSequence
input runs the same primitive once per stretch of steps over which the number of running
sequences stays the same (as many stretches as distinct lengths).
"""
from __future__ import annotations

import warnings

from ... import backend, creation
from ...ops import recurrent as R
from ...ops.indexing import index_select
from ...ops.movement import cat, stack
from ...tensor import Tensor
from .. import functional as F
from ..utils.rnn import PackedSequence
from .module import Module
from ..parameter import Parameter
# The single-step cells live in rnn_cell.py (importable from here as before).
from .rnn_cell import GRUCell, LSTMCell, RNNCell, RNNCellBase, reset_parameters  # noqa: F401

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """Holds the weights of every layer and direction; `forward` runs them in turn.

    Parameters (k the layer, `_reverse` suffixed for the backward direction):
    weight_ih_l{k} (G*H, H_in for k = 0 else D*H), weight_hh_l{k} (G*H, H), bias_ih_l{k} and
    bias_hh_l{k} (G*H,), with G = 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n) and D = 2
    if bidirectional else 1. All drawn from U(-1/sqrt(H), 1/sqrt(H)). An LSTM with proj_size
    P > 0 also has weight_hr_l{k} (P, H), its hidden state is P wide (weight_hh (4H, P), layers
    after the first take D*P inputs), its cell state H wide.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError(f"{mode}: proj_size should be a positive integer or zero to "
                             f"disable projections, got {proj_size!r}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if proj_size and isinstance(hidden_size, int) and proj_size >= hidden_size:
            raise ValueError(f"{mode}: proj_size has to be smaller than hidden_size, got "
                             f"proj_size={proj_size} and hidden_size={hidden_size}")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{mode}: hidden_size must be a positive integer, got {hidden_size}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{mode}: num_layers must be a positive integer, got {num_layers}")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(f"{mode}: dropout should be a number in [0, 1], got {dropout}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        D = 2 if bidirectional else 1
        gate_size, out_size = _GATES[mode] * hidden_size, proj_size or hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else out_size * D
            for direction in range(D):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gate_size, in_size)),
                          ("weight_hh", (gate_size, out_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name + sfx, Parameter(creation.empty(*shape, device=device,
                                                                       dtype=dtype)))
                    self._flat_weights_names.append(name + sfx)
        self.reset_parameters()

    reset_parameters = reset_parameters

    def flatten_parameters(self):
        """No-op (cuDNN's packed weights do not exist here); kept for PyTorch code."""

    @property
    def _per(self):
        """Parameters per layer and direction."""
        return (4 if self.bias else 2) + (1 if self.proj_size else 0)

    def _weights(self, idx):
        """[w_ih, w_hh, b_ih, b_hh, w_hr] of layer-direction idx, None where absent."""
        per = self._per
        ws = [getattr(self, n) for n in self._flat_weights_names[idx * per:(idx + 1) * per]]
        biases = ws[2:4] if self.bias else [None, None]
        return ws[:2] + biases + [ws[-1] if self.proj_size else None]

    @property
    def all_weights(self):
        per = self._per
        ws = [getattr(self, n) for n in self._flat_weights_names]
        return [ws[i:i + per] for i in range(0, len(ws), per)]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------ forward
    def _check_input(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D (unbatched) or 3D, "
                             f"got {input.ndim}D instead (shape {tuple(input.shape)})")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{self!r} expected input with {self.input_size} features, got "
                             f"{tuple(input.shape)}")

    def _check_hidden(self, hx, batch, batched, what="hidden"):
        D = 2 if self.bidirectional else 1
        expected = (self.num_layers * D, batch, self._state_size(what))
        if not batched:
            if hx.ndim != 2:
                raise ValueError(f"{type(self).__name__}: for unbatched 2-D input, {what} "
                                 f"should also be 2-D but got a {hx.ndim}-D tensor of shape "
                                 f"{tuple(hx.shape)}")
            expected = (expected[0], expected[2])
        if tuple(hx.shape) != expected:
            raise ValueError(f"{self!r}: expected {what} size {expected}, got "
                             f"{tuple(hx.shape)}")
        return hx if batched else hx.unsqueeze(1)

    def _state_size(self, name):
        """Width of a state: the hidden state h is proj_size wide when projected."""
        return self.hidden_size if name == "c_0" or not self.proj_size else self.proj_size

    def _states(self, hx, n_states, x, batched):
        """Initial states as a list (one per state kind) of per-(layer, direction) Tensors."""
        L, N = x.shape[:2]
        count = self.num_layers * (2 if self.bidirectional else 1)
        names = ("h_0", "c_0")
        if hx is None:
            xp = backend.get_array_module(x._data)
            return [[Tensor._make(xp.zeros((N, self._state_size(name)), dtype=x.dtype))] * count
                    for name in names[:n_states]]
        hx = (hx,) if isinstance(hx, Tensor) else tuple(hx)
        if len(hx) != n_states:
            raise ValueError(f"{type(self).__name__}: expected {n_states} initial state "
                             f"tensor(s), got {len(hx)}")
        out = []
        for name, h in zip(names, hx):
            h = self._check_hidden(h, N, batched, name)
            out.append([h[i] for i in range(count)])
        return out

    def _project(self, x, w_ih, bias):
        """Input projection of all time steps in one fused linear (one BLAS call, the bias
        added in place). Shape: (L, N, H_in) -> (L, N, G)."""
        return F.linear(x, w_ih, bias)

    def _run_direction(self, x, weights, states, reverse):
        """One layer, one direction -> (output (L, N, H), final states list)."""
        raise NotImplementedError

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        self._check_input(input)
        batched = input.ndim == 3
        if not batched:
            x = input.unsqueeze(1)
        else:
            x = input.transpose(0, 1) if self.batch_first else input
        n_states = 2 if self.mode == "LSTM" else 1
        states = self._states(hx, n_states, x, batched)
        D = 2 if self.bidirectional else 1
        finals = [[] for _ in range(n_states)]
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                idx = layer * D + d
                out, last = self._run_direction(layer_input, self._weights(idx),
                                                [s[idx] for s in states],
                                                reverse=d == 1)
                outs.append(out)
                for f, s in zip(finals, last):
                    f.append(s)
            layer_input = outs[0] if D == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        finals = [stack(f, 0) for f in finals]
        if not batched:
            output = output.squeeze(1)
            finals = [f.squeeze(1) for f in finals]
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, (finals[0] if n_states == 1 else tuple(finals))

    # ------------------------------------------------------------------ packed input
    def _forward_packed(self, packed, hx):
        data, sizes = packed.data, packed.sizes()
        if data.ndim != 2 or data.shape[-1] != self.input_size:
            raise ValueError(f"{self!r}: expected packed data (sum of lengths, "
                             f"{self.input_size}), got {tuple(data.shape)}")
        n_states = 2 if self.mode == "LSTM" else 1
        if hx is not None and packed.sorted_indices is not None:
            hx = (hx,) if isinstance(hx, Tensor) else tuple(hx)
            hx = tuple(index_select(h, 1, packed.sorted_indices.to(h.device)) for h in hx)
        states = self._states(hx, n_states, data[:sizes[0]].unsqueeze(0), True)
        runs, start, offset = [], 0, 0  # (steps, batch, row offset) of constant batch size
        for t in range(1, len(sizes) + 1):
            if t == len(sizes) or sizes[t] != sizes[start]:
                runs.append((t - start, sizes[start], offset))
                offset += (t - start) * sizes[start]
                start = t
        D = 2 if self.bidirectional else 1
        finals = [[] for _ in range(n_states)]
        layer_input = data
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                idx = layer * D + d
                out, last = self._run_packed(layer_input, runs, self._weights(idx),
                                             [s[idx] for s in states], reverse=d == 1)
                outs.append(out)
                for f, s in zip(finals, last):
                    f.append(s)
            layer_input = outs[0] if D == 1 else cat(outs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        finals = [stack(f, 0) for f in finals]
        if packed.unsorted_indices is not None:
            finals = [index_select(f, 1, packed.unsorted_indices.to(f.device)) for f in finals]
        output = packed._replace(data=layer_input)
        return output, (finals[0] if n_states == 1 else tuple(finals))

    def _run_packed(self, data, runs, weights, states, reverse):
        """One layer, one direction over packed rows. A sequence that ends keeps its state
        (forward); one that starts later in reverse time begins from its initial state."""
        outs = [None] * len(runs)
        for k in (reversed(range(len(runs))) if reverse else range(len(runs))):
            steps, batch, offset = runs[k]
            x = data[offset:offset + steps * batch].reshape(steps, batch, data.shape[-1])
            out, last = self._run_direction(x, weights, [s[:batch] for s in states], reverse)
            outs[k] = out.reshape(steps * batch, out.shape[-1])
            states = [new if batch == s.shape[0] else cat([new, s[batch:]], 0)
                      for new, s in zip(last, states)]
        return (outs[0] if len(outs) == 1 else cat(outs, 0)), states


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.

    Shape: input (L, N, H_in) ((N, L, H_in) with batch_first, (L, H_in) unbatched), h_0
    (D * num_layers, N, H) -> output (L, N, D * H), h_n (D * num_layers, N, H).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; expected 'tanh' or "
                             "'relu'")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def _run_direction(self, x, weights, states, reverse):
        w_ih, w_hh, b_ih, b_hh, _ = weights
        bias = None if b_ih is None else b_ih + b_hh
        out = R.RNNLayer.apply(self._project(x, w_ih, bias), w_hh, states[0], reverse=reverse,
                               nonlinearity=self.nonlinearity)
        return out, [out[0] if reverse else out[-1]]

    def extra_repr(self):
        s = super().extra_repr()
        return s + (f", nonlinearity={self.nonlinearity}" if self.nonlinearity != "tanh" else "")


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's gate order (i, f, g, o):
    c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t).

    Shape: input (L, N, H_in) ((N, L, H_in) with batch_first, (L, H_in) unbatched), (h_0, c_0)
    each (D * num_layers, N, H) -> output (L, N, D * H), (h_n, c_n) each (D * num_layers, N, H).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)

    def _run_direction(self, x, weights, states, reverse):
        w_ih, w_hh, b_ih, b_hh, w_hr = weights
        bias = None if b_ih is None else b_ih + b_hh
        L = x.shape[0]
        if w_hr is not None:
            return self._run_projected(self._project(x, w_ih, bias), w_hh, w_hr, states,
                                       reverse)
        packed = R.LSTMLayer.apply(self._project(x, w_ih, bias), w_hh, states[0], states[1],
                                   reverse=reverse)
        return packed[:L], [packed[0 if reverse else L - 1], packed[L]]

    @staticmethod
    def _run_projected(gates_x, w_hh, w_hr, states, reverse):
        """The time loop of a projected LSTM as composite steps (the fused primitive assumes
        h as wide as c): h_t = (o * tanh(c_t)) W_hr^T."""
        h, c = states
        outs = [None] * gates_x.shape[0]
        for t in (reversed(range(len(outs))) if reverse else range(len(outs))):
            i, f, g, o = (gates_x[t] + F.linear(h, w_hh)).chunk(4, 1)
            c = i.sigmoid() * g.tanh() + f.sigmoid() * c
            h = outs[t] = F.linear(o.sigmoid() * c.tanh(), w_hr)
        return stack(outs, 0), [h, c]


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's gate order (r, z, n):
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.

    Shape: input (L, N, H_in) ((N, L, H_in) with batch_first, (L, H_in) unbatched), h_0
    (D * num_layers, N, H) -> output (L, N, D * H), h_n (D * num_layers, N, H).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)

    def _run_direction(self, x, weights, states, reverse):
        w_ih, w_hh, b_ih, b_hh, _ = weights
        out = R.GRULayer.apply(self._project(x, w_ih, b_ih), w_hh, b_hh, states[0],
                               reverse=reverse)
        return out, [out[0] if reverse else out[-1]]
