"""Sequence layers: Embedding, SimpleRNN, LSTM, GRU on (batch, timesteps, features) inputs,
wrapping brique's `nn.Embedding`, `nn.RNN`, `nn.LSTM`, `nn.GRU` (batch_first).

What differs from Keras 2 and why: the gates are brique's (PyTorch's) cells, so the recurrent
activation is the sigmoid (Keras 2's default was 'hard_sigmoid'; Keras 3's is 'sigmoid'), and
GRU applies the reset gate after the recurrent product (Keras's reset_after=True, the CuDNN
form). Masking (mask_zero) and stateful RNNs are not supported.
"""
from __future__ import annotations

import numpy as np

from ... import nn
from ...autograd import no_grad
from .. import initializers
from ..engine import Layer
from .core import _init


class Embedding(Layer):
    """Integer indices -> rows of a (input_dim, output_dim) table, wrapping `nn.Embedding`;
    Keras's uniform(-0.05, 0.05) initialisation.

    Shape: (N, *) integers -> (N, *, output_dim)."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", mask_zero=False,
                 input_length=None, **kwargs):
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        if mask_zero:
            raise ValueError("Embedding: mask_zero=True (masking) is not supported by "
                             "brique.keras")
        self.input_dim, self.output_dim = input_dim, output_dim
        self.embeddings_initializer = embeddings_initializer
        self.module = nn.Embedding(input_dim, output_dim)
        _init(self.module.weight, embeddings_initializer)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": self.embeddings_initializer}

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def forward(self, x):
        return self.module(x.long())


class _RNN(Layer):
    kind, gates = None, 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        allowed = ("tanh", "relu") if name == "SimpleRNN" else ("tanh",)
        if activation not in allowed:
            raise ValueError(f"{name}: activation must be one of {allowed} (brique's cells), "
                             f"got {activation!r}")
        if name != "SimpleRNN" and recurrent_activation != "sigmoid":
            raise ValueError(f"{name}: recurrent_activation must be 'sigmoid' (brique's cells),"
                             f" got {recurrent_activation!r}")
        if recurrent_dropout or stateful:
            raise ValueError(f"{name}: recurrent_dropout and stateful are not supported by "
                             "brique.keras")
        self.units, self.activation, self.use_bias = units, activation, use_bias
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards, self.unit_forget_bias = go_backwards, unit_forget_bias
        self.inits = (kernel_initializer, recurrent_initializer, bias_initializer)
        self.dropout = nn.Dropout(dropout) if dropout else None
        self.recurrent_activation = recurrent_activation

    def get_config(self):
        kernel, recurrent, bias = self.inits
        return {**super().get_config(), "units": self.units, "activation": self.activation,
                "recurrent_activation": self.recurrent_activation, "use_bias": self.use_bias,
                "kernel_initializer": kernel, "recurrent_initializer": recurrent,
                "bias_initializer": bias, "unit_forget_bias": self.unit_forget_bias,
                "dropout": self.dropout.p if self.dropout is not None else 0.0,
                "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards}

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"{self.name}: expected inputs (batch, timesteps, features) with "
                             f"known features, got {input_shape}")
        extra = {"nonlinearity": self.activation} if self.kind is nn.RNN else {}
        self.module = self.kind(input_shape[-1], self.units, bias=self.use_bias,
                                batch_first=True, **extra)
        m, u = self.module, self.units
        with no_grad():
            initializers.get(self.inits[0])(m.weight_ih_l0)
            initializers.get(self.inits[1])(m.weight_hh_l0)
            if self.use_bias:
                initializers.get(self.inits[2])(m.bias_ih_l0)
                m.bias_hh_l0.zero_()
                if self.kind is nn.LSTM and self.unit_forget_bias:
                    m.bias_ih_l0[u:2 * u] = 1.0  # Keras's unit_forget_bias

    def compute_output_shape(self, input_shape):
        n, t = input_shape[0], input_shape[1]
        out = (n, t, self.units) if self.return_sequences else (n, self.units)
        if not self.return_state:
            return out
        return [out] + [(n, self.units)] * (2 if self.kind is nn.LSTM else 1)

    def forward(self, x):
        if self.dropout is not None:
            x = self.dropout(x)
        if self.go_backwards:
            x = x.flip(1)
        seq, state = self.module(x)
        out = seq if self.return_sequences else seq[:, -1]
        if not self.return_state:
            return out
        states = state if isinstance(state, tuple) else (state,)
        return [out] + [s[0] for s in states]

    # Keras's layout: kernel (in, G*units), recurrent_kernel (units, G*units), bias (G*units,)
    # with the two brique biases summed (gate blocks reordered by `order`).
    order = None

    def _blocks(self, a, axis):
        if self.order is None:
            return a
        parts = np.split(a, self.gates, axis=axis)
        return np.concatenate([parts[i] for i in self.order], axis=axis)

    def get_weights(self):
        m = self.module
        k = self._blocks(m.weight_ih_l0.detach().numpy().T, 1)
        r = self._blocks(m.weight_hh_l0.detach().numpy().T, 1)
        if not self.use_bias:
            return [k.copy(), r.copy()]
        b_i, b_h = m.bias_ih_l0.detach().numpy(), m.bias_hh_l0.detach().numpy()
        b = np.stack([b_i, b_h]) if self.kind is nn.GRU else b_i + b_h
        return [k.copy(), r.copy(), self._blocks(b, b.ndim - 1).copy()]

    def set_weights(self, weights):
        m = self.module
        with no_grad():
            m.weight_ih_l0.copy_(self._unblocks(weights[0], 1).T.astype(np.float32))
            m.weight_hh_l0.copy_(self._unblocks(weights[1], 1).T.astype(np.float32))
            if self.use_bias:
                b = self._unblocks(np.asarray(weights[2]), np.ndim(weights[2]) - 1)
                b_i, b_h = (b[0], b[1]) if self.kind is nn.GRU else (b, np.zeros_like(b))
                m.bias_ih_l0.copy_(b_i.astype(np.float32))
                m.bias_hh_l0.copy_(b_h.astype(np.float32))

    def _unblocks(self, a, axis):
        a = np.asarray(a)
        if self.order is None:
            return a
        parts = np.split(a, self.gates, axis=axis)
        inverse = np.argsort(self.order)
        return np.concatenate([parts[i] for i in inverse], axis=axis)


class SimpleRNN(_RNN):
    """h_t = tanh(x_t W + h_{t-1} U + b), wrapping `nn.RNN`."""
    kind, gates = nn.RNN, 1


class LSTM(_RNN):
    """Long short-term memory, wrapping `nn.LSTM` (gates i, f, c, o in Keras's and brique's
    order alike). Shape: (N, T, F) -> (N, units), or (N, T, units) with return_sequences."""
    kind, gates = nn.LSTM, 4


class GRU(_RNN):
    """Gated recurrent unit, wrapping `nn.GRU` (Keras's reset_after=True form; Keras orders
    the gates z, r, h where brique has r, z, n)."""
    kind, gates, order = nn.GRU, 3, (1, 0, 2)
