"""Sequence layers: Embedding, SimpleRNN, LSTM, GRU on (batch, timesteps, features) inputs,
wrapping brique's `nn.Embedding`, `nn.RNN`, `nn.LSTM`, `nn.GRU` (batch_first).

What differs from Keras 2 and why: the gates are brique's (PyTorch's) cells, so the recurrent
activation is the sigmoid (Keras 2's default was 'hard_sigmoid'; Keras 3's is 'sigmoid'), and
GRU applies the reset gate after the recurrent product (Keras's reset_after=True, the CuDNN
form). Stateful RNNs are not supported.

Masks (`Embedding(mask_zero=True)`, `Masking`) work as in Keras: a masked step leaves the
state as it was and outputs the previous step's output (zeros before the first unmasked step;
zeros at every masked step with zero_output_for_mask, as Bidirectional sets). That is the RNN
run over each sequence's unmasked steps only, which is how it is computed: those steps are
gathered to the front and run as a packed batch.
"""
from __future__ import annotations

import numpy as np

from ... import backend, creation, nn
from ...autograd import no_grad
from ...nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from ...ops.indexing import take_along_dim
from .. import initializers
from ..engine import Layer
from .core import _init


class Embedding(Layer):
    """Integer indices -> rows of a (input_dim, output_dim) table, wrapping `nn.Embedding`;
    Keras's uniform(-0.05, 0.05) initialisation.

    Shape: (N, *) integers -> (N, *, output_dim)."""
    index_inputs = True

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", mask_zero=False,
                 input_length=None, **kwargs):
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim, self.output_dim, self.mask_zero = input_dim, output_dim, bool(mask_zero)
        self.embeddings_initializer = embeddings_initializer
        self.module = nn.Embedding(input_dim, output_dim)
        _init(self.module.weight, embeddings_initializer)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "mask_zero": self.mask_zero}

    def compute_mask(self, inputs, mask=None):
        # index 0 is padding: those steps are masked (index 0 still has an embedding row)
        return (inputs != 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def _regularized_weights(self):  # embeddings_regularizer/_constraint: same layout as Keras
        return [("embeddings", self.module.weight, None)]

    def forward(self, x):
        if x.is_floating_point() and not bool(x.isfinite().all()):
            raise ValueError(f"{self.name}: expected integer ids, got non-finite values")
        return self.module(x.long())  # float ids are truncated to ints, as Keras casts them


class Masking(Layer):
    """Masks the time steps whose features all equal `mask_value` (their values become 0) for
    the layers downstream that support masks (RNNs, attention, GlobalAveragePooling1D, ...).

    Shape: (N, T, ...) -> same; mask (N, T)."""
    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}

    def compute_mask(self, inputs, mask=None):
        return (inputs != self.mask_value).any(-1)

    def forward(self, x):
        return x * self.compute_mask(x).unsqueeze(-1).to(x.dtype)


def _host(mask, what):
    """A mask as a NumPy (N, T) bool array: which steps run is data for the host's loop."""
    keep = np.asarray(backend.to_numpy(mask._data if hasattr(mask, "_data") else mask))
    if keep.ndim != 2:
        raise ValueError(f"{what}: expected a mask of shape (batch, timesteps), got "
                         f"{keep.shape}")
    return keep.astype(bool)


class _RNN(Layer):
    kind, gates = None, 1
    supports_masking = True

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 **kwargs):
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
        self.zero_output_for_mask = zero_output_for_mask

    def get_config(self):
        kernel, recurrent, bias = self.inits
        return {**super().get_config(), "units": self.units, "activation": self.activation,
                "recurrent_activation": self.recurrent_activation, "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(kernel),
                "recurrent_initializer": initializers.serialize(recurrent),
                "bias_initializer": initializers.serialize(bias),
                "unit_forget_bias": self.unit_forget_bias,
                "dropout": self.dropout.p if self.dropout is not None else 0.0,
                "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards,
                "zero_output_for_mask": self.zero_output_for_mask}

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
                if self.kind is nn.LSTM and self.unit_forget_bias:
                    m.bias_ih_l0[u:2 * u] = 1.0  # Keras's unit_forget_bias
                if self.kind is nn.GRU:
                    m.bias_hh_l0.zero_()
                else:
                    # Keras's LSTM and SimpleRNN have one bias: brique's second is a zero
                    # constant, neither trained nor counted nor saved.
                    zero = m.bias_hh_l0.detach() * 0
                    del m.bias_hh_l0
                    m.register_buffer("bias_hh_l0", zero, persistent=False)

    def compute_output_shape(self, input_shape):
        n, t = input_shape[0], input_shape[1]
        out = (n, t, self.units) if self.return_sequences else (n, self.units)
        if not self.return_state:
            return out
        return [out] + [(n, self.units)] * (2 if self.kind is nn.LSTM else 1)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        return [out] + [None] * (2 if self.kind is nn.LSTM else 1) if self.return_state else out

    def forward(self, x, mask=None, initial_state=None):
        if x.ndim != 3 or x.shape[1] == 0:
            raise ValueError(f"{self.name}: expected inputs (batch, timesteps, features) with at "
                             f"least one timestep, got shape {tuple(x.shape)}")
        if self.dropout is not None:
            x = self.dropout(x)
        if self.go_backwards:
            x = x.flip(1)
        hx = self._initial_state(initial_state, x)
        keep = None if mask is None else _host(mask, self.name)
        if keep is not None and keep.shape != tuple(x.shape[:2]):
            raise ValueError(f"{self.name}: mask of shape {keep.shape} does not match inputs "
                             f"of shape {tuple(x.shape)} (batch, timesteps)")
        if keep is None or keep.all():
            seq, state = self.module(x, hx)
        else:
            seq, state = self._run_masked(x, keep[:, ::-1] if self.go_backwards else keep, hx)
        out = seq if self.return_sequences else seq[:, -1]
        if not self.return_state:
            return out
        states = state if isinstance(state, tuple) else (state,)
        return [out] + [s[0] for s in states]

    def _initial_state(self, initial_state, x):
        if initial_state is None:
            return None
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else \
            [initial_state]
        n = 2 if self.kind is nn.LSTM else 1
        if len(states) != n:
            raise ValueError(f"{self.name}: initial_state must be {n} tensor(s) of shape "
                             f"(batch, {self.units}), got {len(states)}")
        want = (x.shape[0], self.units)
        for s in states:
            if tuple(s.shape) != want:
                raise ValueError(f"{self.name}: an initial state has shape {tuple(s.shape)}, "
                                 f"expected {want}")
        states = [s.unsqueeze(0) for s in states]
        return tuple(states) if n == 2 else states[0]

    def _run_masked(self, x, keep, hx):
        """The module over each sequence's unmasked steps only (`keep` (N, T) on the host):
        step t outputs the state after the last unmasked step up to t."""
        n, t = keep.shape
        lengths = keep.sum(1)
        front = np.argsort(~keep, axis=1, kind="stable")  # the unmasked steps first, in order
        index = creation.tensor(front[:, :, None], device=x.device)
        packed = pack_padded_sequence(take_along_dim(x, index, 1), np.maximum(lengths, 1),
                                      batch_first=True, enforce_sorted=False)
        seq, state = self.module(packed, hx)
        seq = pad_packed_sequence(seq, batch_first=True, total_length=t)[0]
        count = np.cumsum(keep, 1)
        source = creation.tensor(np.maximum(count - 1, 0)[:, :, None], device=x.device)
        shown = keep if self.zero_output_for_mask else count > 0
        seq = take_along_dim(seq, source, 1) * creation.tensor(
            shown[:, :, None], dtype=x.dtype, device=x.device)
        # a sequence masked whole keeps its initial state
        ran = creation.tensor((lengths > 0)[None, :, None], dtype=x.dtype, device=x.device)
        states = state if isinstance(state, tuple) else (state,)
        starts = hx if isinstance(hx, tuple) else (hx,) * len(states)
        states = tuple(s * ran + (0.0 if h is None else h * (1 - ran))
                       for s, h in zip(states, starts))
        return seq, (states if len(states) > 1 else states[0])

    # Keras's layout: kernel (in, G*units), recurrent_kernel (units, G*units), bias (G*units,)
    # with the two brique biases summed (gate blocks reordered by `order`).
    order = None

    def _regularized_weights(self):
        # Regularizers and per-unit constraints do not depend on the gates' order. Keras's bias
        # is the sum of brique's two (a GRU's are Keras's two rows, regularized one by one).
        m = self.module
        out = [("kernel", m.weight_ih_l0, (1, 0)), ("recurrent_kernel", m.weight_hh_l0, (1, 0))]
        if self.use_bias:
            out += [("bias", m.bias_ih_l0, None), ("bias", m.bias_hh_l0, None)] \
                if self.kind is nn.GRU else [("bias", (m.bias_ih_l0, m.bias_hh_l0), None)]
        return out

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
