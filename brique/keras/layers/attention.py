"""Attention layers on (batch, timesteps, features) inputs: Attention (Luong's dot-product),
AdditiveAttention (Bahdanau's) and MultiHeadAttention (the Transformer's), as Keras computes
them: masked scores get -1e9 before the softmax (Keras's large negative, not -inf), the
returned scores are the softmax weights, dropout acts on the weights in training only.

Masks: a (batch, steps) boolean Tensor per input (from Embedding(mask_zero=True), Masking, or
`mask=` given by hand); masked value steps take no part, masked query steps output zeros
(Attention) and the output carries the query's mask on.
"""
from __future__ import annotations

import math

import numpy as np

from ... import creation, nn
from ...autograd import no_grad
from ...nn import functional as F
from ...nn import init
from ...nn.parameter import Parameter
from .. import initializers
from ..engine import Layer, to_tensor

_LARGE_NEGATIVE = 1e9  # Keras's, so fully masked rows behave as in Keras


def _bool_mask(mask):
    return None if mask is None else to_tensor(mask).bool()


def _causal(q_steps, k_steps, like):
    """(1, Tq, Tk): query step i sees key steps j <= i."""
    tri = np.tril(np.ones((q_steps, k_steps), dtype=bool))[None]
    return creation.tensor(tri, device=like.device)


def _dropout(layer, weights, training):
    """Dropout on attention weights in training (the module's mode, or `training=`)."""
    training = layer.training if training is None else training
    if training and layer.dropout > 0:
        return F.dropout(weights, layer.dropout, True)
    return weights


class Attention(Layer):
    """Dot-product attention: softmax(query . key^T) . value, over inputs [query, value] or
    [query, value, key] (the key is the value when not given). use_scale adds a learned
    scalar on the scores; score_mode='concat' scores sum(tanh(query + key)) instead.
    Call arguments: mask=[query_mask, value_mask], return_attention_scores,
    use_causal_mask (Keras 2.4-2.9's constructor argument causal= also works), training.

    Shape: query (N, Tq, d), value (N, Tv, dv), key (N, Tv, d) -> (N, Tq, dv)
    (and scores (N, Tq, Tv))."""
    supports_masking = True

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, causal=False,
                 **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"{type(self).__name__}: score_mode must be 'dot' or 'concat', "
                             f"got {score_mode!r}")
        if not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1), got "
                             f"{dropout!r}")
        self.use_scale, self.score_mode, self.causal = use_scale, score_mode, bool(causal)
        self.dropout, self.seed = float(dropout), seed

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed,
                "causal": self.causal}

    def _shapes(self, shapes):
        if not isinstance(shapes, list) or len(shapes) not in (2, 3):
            raise ValueError(f"{self.name}: expects a list [query, value] or [query, value, "
                             f"key], got {shapes if isinstance(shapes, list) else 'one input'}")
        q, v = shapes[0], shapes[1]
        k = shapes[2] if len(shapes) == 3 else v
        if len(q) < 3 or len(v) != len(q) or len(k) != len(q):
            raise ValueError(f"{self.name}: query, value and key must be (batch, steps, "
                             f"features) tensors of one rank, got {q}, {v}, {k}")
        if None not in (k[-2], v[-2]) and k[-2] != v[-2]:
            raise ValueError(f"{self.name}: key and value must have the same number of steps, "
                             f"got key {k} and value {v}")
        if None not in (q[-1], k[-1]) and q[-1] != k[-1]:
            raise ValueError(f"{self.name}: the query's features ({q[-1]}) must match the "
                             f"key's ({k[-1]}), got query {q} and key {k}")
        return q, v, k

    def build(self, input_shape):
        self._shapes(input_shape)
        self.scale = Parameter(creation.ones(())) if self.use_scale else None
        self.concat_score_weight = (Parameter(creation.ones(()))
                                    if self.score_mode == "concat" else None)

    def compute_output_shape(self, input_shape):
        q, v, _ = self._shapes(input_shape)
        return tuple(q[:-1]) + (v[-1],)

    def call_output_shape(self, input_shape, return_attention_scores=False, **kwargs):
        out = self.compute_output_shape(input_shape)
        if not return_attention_scores:
            return out
        q, _, k = self._shapes(input_shape)
        return [out, tuple(q[:-1]) + (k[-2],)]

    def compute_mask(self, inputs, mask=None):
        return mask[0] if isinstance(mask, (list, tuple)) and mask else None

    def _scores(self, q, k):
        if self.score_mode == "dot":
            scores = q @ k.transpose(-1, -2)
            return scores * self.scale if self.scale is not None else scores
        pair = q.unsqueeze(-2) + k.unsqueeze(-3)
        if self.scale is not None:
            pair = pair * self.scale
        return self.concat_score_weight * pair.tanh().sum(-1)

    def forward(self, inputs, mask=None, training=None, return_attention_scores=False,
                use_causal_mask=None):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{self.name}: expects a list [query, value] or [query, value, "
                             "key], got one tensor")
        self._shapes([tuple(t.shape) for t in inputs])
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) == 3 else v
        masks = list(mask) if isinstance(mask, (list, tuple)) else [mask, None]
        q_mask, v_mask = _bool_mask(masks[0]), _bool_mask(masks[1])
        scores = self._scores(q, k)
        keep = None if v_mask is None else v_mask.unsqueeze(-2)
        if self.causal if use_causal_mask is None else use_causal_mask:
            tri = _causal(scores.shape[-2], scores.shape[-1], scores)
            keep = tri if keep is None else keep & tri
        if keep is not None:
            scores = scores - (~keep).to(scores.dtype) * _LARGE_NEGATIVE
        weights = _dropout(self, scores.softmax(-1), training)
        out = weights @ v
        if q_mask is not None:
            out = out * q_mask.unsqueeze(-1).to(out.dtype)
        return [out, weights] if return_attention_scores else out


class AdditiveAttention(Attention):
    """Bahdanau's attention: scores sum(scale * tanh(query + key)) with a learned scale per
    feature (use_scale=True; glorot-uniform), then as Attention.

    Shape: query (N, Tq, d), value (N, Tv, dv), key (N, Tv, d) -> (N, Tq, dv)."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config

    def build(self, input_shape):
        q, _, _ = self._shapes(input_shape)
        if q[-1] is None:
            raise ValueError(f"{self.name}: the query's features must be known, got {q}")
        self.scale = Parameter(creation.empty(q[-1])) if self.use_scale else None
        if self.use_scale:
            bound = math.sqrt(3.0 / q[-1])  # Keras's glorot_uniform on a vector: fans = dim
            with no_grad():
                init.uniform_(self.scale, -bound, bound)

    def _scores(self, q, k):
        pair = (q.unsqueeze(-2) + k.unsqueeze(-3)).tanh()
        return (pair * self.scale if self.scale is not None else pair).sum(-1)


class MultiHeadAttention(Layer):
    """Multi-head attention as in "Attention is all you need": query, key and value each
    projected to `num_heads` heads of `key_dim` (values: `value_dim`) features, scaled
    dot-product attention per head over `attention_axes` (default: every axis between the
    batch and the features), heads projected back to the query's features (or
    `output_shape`). Weights in Keras's layout: query/key/value kernels (dim, heads, key_dim),
    biases (heads, key_dim), output kernel (heads, value_dim, out), bias (out,).

    `layer(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)`; attention_mask (N, Tq, Tv) is True where a query
    step may see a key step.

    Shape: query (N, Tq, dq), value (N, Tv, dv) -> (N, Tq, dq) (and scores (N, heads, Tq, Tv))."""
    supports_masking = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", seed=None, **kwargs):
        super().__init__(**kwargs)
        for what, v in (("num_heads", num_heads), ("key_dim", key_dim),
                        ("value_dim", 1 if value_dim is None else value_dim)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"MultiHeadAttention: {what} must be a positive int, got "
                                 f"{v!r}")
        if not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
            raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1), got {dropout!r}")
        if isinstance(output_shape, int):
            output_shape = (output_shape,)
        if output_shape is not None and not all(isinstance(d, int) and d > 0
                                                for d in output_shape):
            raise ValueError(f"MultiHeadAttention: output_shape must be an int or a tuple of "
                             f"positive ints, got {output_shape!r}")
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        self.num_heads, self.key_dim = num_heads, key_dim
        self.value_dim = value_dim or key_dim
        self.dropout, self.use_bias, self.seed = float(dropout), use_bias, seed
        self.output_shape_arg = None if output_shape is None else tuple(output_shape)
        self.attention_axes = None if attention_axes is None else tuple(attention_axes)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout,
                "use_bias": self.use_bias, "output_shape": self.output_shape_arg,
                "attention_axes": self.attention_axes,
                "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer, "seed": self.seed}

    # ------------------------------------------------------------------ calling
    def __call__(self, query=None, value=None, key=None, attention_mask=None, **kwargs):
        if value is None and isinstance(query, (list, tuple)):
            inputs = list(query)  # a Model replays the call with its inputs as one list
        elif query is None or value is None:
            raise TypeError(f"{self.name}: call it as layer(query, value, key=None, ...): "
                            "query and value are required")
        else:
            inputs = [query, value] + ([] if key is None else [key])
        if attention_mask is not None:
            kwargs["attention_mask"] = attention_mask
        return super().__call__(inputs, **kwargs)

    def _shapes(self, shapes):
        if not isinstance(shapes, list) or len(shapes) not in (2, 3):
            raise ValueError(f"{self.name}: expects query and value (and key), got {shapes}")
        q, v = tuple(shapes[0]), tuple(shapes[1])
        k = tuple(shapes[2]) if len(shapes) == 3 else v
        if len(q) < 3 or len(v) != len(q) or len(k) != len(q):
            raise ValueError(f"{self.name}: query, value and key must have the same rank, at "
                             f"least 3 (batch, steps, features), got {q}, {v} and {k}")
        if v[1:-1] != k[1:-1]:
            raise ValueError(f"{self.name}: all dimensions of value and key except the last "
                             f"must be equal, got value {v} and key {k}")
        if None in (q[-1], v[-1], k[-1]):
            raise ValueError(f"{self.name}: the features (last axis) of query, value and key "
                             f"must be known, got {q}, {v} and {k}")
        return q, v, k

    def _axes(self, rank):
        """The attention axes of a rank-`rank` input (Keras's rule for negative ones)."""
        if self.attention_axes is None:
            return tuple(range(1, rank - 1))
        axes = tuple(sorted(a if a >= 0 else rank + a for a in self.attention_axes))
        if not axes or any(not 1 <= a <= rank - 2 for a in axes) or len(set(axes)) < len(axes):
            raise ValueError(f"{self.name}: attention_axes {self.attention_axes} must name "
                             f"distinct axes between the batch and the features of a rank-"
                             f"{rank} input")
        return axes

    def build(self, input_shape):
        q, v, k = self._shapes(input_shape)
        self._axes(len(q))
        h = self.num_heads
        self.query = nn.Linear(q[-1], h * self.key_dim, bias=self.use_bias)
        self.key = nn.Linear(k[-1], h * self.key_dim, bias=self.use_bias)
        self.value = nn.Linear(v[-1], h * self.value_dim, bias=self.use_bias)
        self.out_dims = self.output_shape_arg or (q[-1],)
        self.attention_output = nn.Linear(h * self.value_dim, math.prod(self.out_dims),
                                          bias=self.use_bias)
        with no_grad():
            for m in (self.query, self.key, self.value, self.attention_output):
                initializers.get(self.kernel_initializer)(m.weight)
                if self.use_bias:
                    initializers.get(self.bias_initializer)(m.bias)

    def compute_output_shape(self, input_shape):
        q, _, _ = self._shapes(input_shape)
        return tuple(q[:-1]) + tuple(self.output_shape_arg or (q[-1],))

    def call_output_shape(self, input_shape, return_attention_scores=False, **kwargs):
        out = self.compute_output_shape(input_shape)
        if not return_attention_scores:
            return out
        q, _, k = self._shapes(input_shape)
        axes = self._axes(len(q))
        rest = [q[a] for a in range(1, len(q) - 1) if a not in axes]
        return [out, (None, *rest, self.num_heads, *(q[a] for a in axes),
                      *(k[a] for a in axes))]

    def compute_mask(self, inputs, mask=None):
        return mask[0] if isinstance(mask, (list, tuple)) and mask else None

    def forward(self, inputs, attention_mask=None, return_attention_scores=False,
                training=None, use_causal_mask=False, mask=None):
        q_in, v_in = inputs[0], inputs[1]
        k_in = inputs[2] if len(inputs) == 3 else v_in
        q_shape, v_shape, k_shape = self._shapes([tuple(t.shape) for t in (q_in, v_in, k_in)])
        axes = self._axes(len(q_shape))
        q = self._heads(self.query(q_in), axes, self.key_dim)
        k = self._heads(self.key(k_in), axes, self.key_dim)
        v = self._heads(self.value(v_in), axes, self.value_dim)
        if q.shape[0] != k.shape[0]:
            raise ValueError(f"{self.name}: query {q_shape} and key {k_shape} differ outside "
                             f"the attention axes {axes}")
        scores = (q * (1.0 / math.sqrt(self.key_dim))) @ k.transpose(-1, -2)  # (B', H, Lq, Lk)
        keep = self._mask(q_in, v_in, mask, attention_mask, use_causal_mask, axes)
        # Keras's scores shape: (N, <other axes>, heads, <query axes>, <key axes>)
        rest = [q_shape[a] for a in range(1, len(q_shape) - 1) if a not in axes]
        full = (q_in.shape[0], *rest, self.num_heads, *(q_in.shape[a] for a in axes),
                *(k_in.shape[a] for a in axes))
        if keep is not None:
            keep = keep.broadcast_to(full).reshape(scores.shape)
            scores = scores.masked_fill(~keep, -_LARGE_NEGATIVE)
        # A query step that sees no key (a masked query step) gets uniform weights, as in
        # Keras 2 and Keras 3's fused path.
        weights = scores.softmax(-1)
        out = _dropout(self, weights, training) @ v  # (B', H, Lq, value_dim)
        out = self.attention_output(self._unheads(out, q_in, axes))
        out = out.reshape(tuple(q_in.shape[:-1]) + tuple(self.out_dims))
        return [out, weights.reshape(full)] if return_attention_scores else out

    def _heads(self, x, axes, dim):
        """(N, S..., H*dim) -> (N * <other axes>, H, <attention axes flattened>, dim)."""
        n, seq = x.shape[0], list(x.shape[1:-1])
        x = x.reshape(n, *seq, self.num_heads, dim)
        others = [a for a in range(1, len(seq) + 1) if a not in axes]
        heads = len(seq) + 1
        x = x.permute(0, *others, heads, *axes, heads + 1)
        return x.reshape(-1, self.num_heads, math.prod(seq[a - 1] for a in axes), dim)

    def _unheads(self, out, q_in, axes):
        """Inverse of _heads for the query's axes: -> (N, S..., H*value_dim)."""
        seq = list(q_in.shape[1:-1])
        others = [a for a in range(1, len(seq) + 1) if a not in axes]
        h, d = self.num_heads, self.value_dim
        out = out.reshape(q_in.shape[0], *(seq[a - 1] for a in others), h,
                          *(seq[a - 1] for a in axes), d)
        layout = [0, *others, "heads", *axes, "dim"]  # -> (N, S..., heads, dim)
        back = [layout.index(a) for a in [*range(len(seq) + 1), "heads", "dim"]]
        return out.permute(*back).reshape(q_in.shape[0], *seq, h * d)

    def _mask(self, q_in, v_in, mask, attention_mask, use_causal_mask, axes):
        """Everything that masks the scores, as one boolean tensor that broadcasts to Keras's
        scores shape, or None."""
        keep = None
        if attention_mask is not None:
            keep = _bool_mask(attention_mask)
            # Keras inserts the heads axis before the 2 * len(axes) trailing mask axes
            while keep.ndim < len(axes) * 2 + 2 + (q_in.ndim - 2 - len(axes)):
                keep = keep.unsqueeze(-len(axes) * 2 - 1)
        masks = list(mask) if isinstance(mask, (list, tuple)) else [mask]
        if q_in.ndim == 3:
            parts = []
            if masks and masks[0] is not None:
                parts.append(_bool_mask(masks[0]).unsqueeze(-1))  # (N, Tq, 1)
            for m in masks[1:]:
                if m is not None:
                    parts.append(_bool_mask(m).unsqueeze(-2))  # (N, 1, Tv)
            if use_causal_mask:
                parts.append(_causal(q_in.shape[1], v_in.shape[1], q_in))
            for part in parts:
                part = part.unsqueeze(1)  # the heads axis
                keep = part if keep is None else keep & part
        elif use_causal_mask:
            raise ValueError(f"{self.name}: use_causal_mask needs (batch, steps, features) "
                             f"inputs, got a query of shape {tuple(q_in.shape)}")
        return keep

    # ------------------------------------------------------------------ Keras's layout
    def get_weights(self):
        h, kd, vd = self.num_heads, self.key_dim, self.value_dim
        out = []
        for m, d in ((self.query, kd), (self.key, kd), (self.value, vd)):
            w = m.weight.detach().numpy()
            out.append(w.T.reshape(w.shape[1], h, d).copy())
            if self.use_bias:
                out.append(m.bias.detach().numpy().reshape(h, d).copy())
        w = self.attention_output.weight.detach().numpy()
        out.append(w.T.reshape(h, vd, *self.out_dims).copy())
        if self.use_bias:
            out.append(self.attention_output.bias.detach().numpy().reshape(self.out_dims)
                       .copy())
        return out

    def set_weights(self, weights):
        weights = [np.asarray(w) for w in weights]
        per = 2 if self.use_bias else 1
        if len(weights) != 4 * per:
            raise ValueError(f"{self.name}: set_weights expects {4 * per} arrays, got "
                             f"{len(weights)}")
        flat = []
        for i, m in enumerate((self.query, self.key, self.value, self.attention_output)):
            kernel = weights[i * per]
            if kernel.size != m.weight.numel():
                raise ValueError(f"{self.name}: kernel {i} of shape {kernel.shape} does not "
                                 f"fit {tuple(m.weight.shape)} (transposed)")
            # Keras's kernel flattens to (in, out): its leading axes in, trailing ones out
            flat.append(kernel.reshape(m.weight.shape[1], -1).T)
            if self.use_bias:
                flat.append(weights[i * per + 1].reshape(-1))
        super().set_weights(flat)
