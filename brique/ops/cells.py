"""The recurrent cells as composites of primitives: one time step of an RNN, LSTM or GRU.
RNNCell, LSTMCell and GRUCell run them; the fused layers of recurrent.py replay them to
differentiate their own backward (create_graph)."""
from __future__ import annotations


def rnn_step(gates, h, nonlinearity="tanh"):
    """h' = act(gates), gates = x W_ih^T + b_ih + h W_hh^T + b_hh already summed."""
    return gates.tanh() if nonlinearity == "tanh" else gates.relu()


def lstm_step(gates, c):
    """One LSTM step from its pre-activations, PyTorch's gate order (i, f, g, o).

    Shape: gates (*, 4H), c (*, H) -> (h', c'), each (*, H).
    """
    i, f, g, o = gates.chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def gru_step(gi, gh, h):
    """One GRU step, PyTorch's gate order (r, z, n) and n = tanh(W_in x + b_in + r * (W_hn h +
    b_hn)).

    Shape: gi = x W_ih^T + b_ih (*, 3H), gh = h W_hh^T + b_hh (*, 3H), h (*, H) -> h' (*, H).
    """
    ir, iz, i_n = gi.chunk(3, -1)
    hr, hz, hn = gh.chunk(3, -1)
    r = (ir + hr).sigmoid()
    z = (iz + hz).sigmoid()
    n = (i_n + r * hn).tanh()
    return n + z * (h - n)  # (1 - z) * n + z * h


def _affine(x, w, b):
    out = x @ w.mT
    return out if b is None else out + b


def rnn_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """Shape: input (N, H_in), hx (N, H) -> (N, H)."""
    return rnn_step(_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh), hx, nonlinearity)


def lstm_cell(input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None):
    """Shape: input (N, H_in), hx and cx (N, H) -> (h', c'), each (N, H)."""
    return lstm_step(_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh), cx)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """Shape: input (N, H_in), hx (N, H) -> (N, H)."""
    return gru_step(_affine(input, w_ih, b_ih), _affine(hx, w_hh, b_hh), hx)
