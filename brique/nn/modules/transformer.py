"""The Transformer (Vaswani et al. 2017) as PyTorch lays it out: `TransformerEncoderLayer`,
`TransformerDecoderLayer`, their stacks `TransformerEncoder` / `TransformerDecoder` and the
whole encoder-decoder `Transformer`, with PyTorch's arguments, submodule names (so its
state_dict loads as it is) and post-norm / pre-norm (`norm_first`) residual blocks.

Every layer is a composite of MultiheadAttention, Linear, LayerNorm and Dropout; nothing here
has a backward of its own.
"""
from __future__ import annotations

import copy

from ... import backend, creation
from ...tensor import Tensor
from .. import functional as F
from .. import init
from .activation import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _activation(activation, who):
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"{who}: activation should be 'relu', 'gelu' or a callable, got "
                             f"{activation!r}")
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"{who}: activation should be 'relu', 'gelu' or a callable, got "
                        f"{type(activation).__name__}")
    return activation


def generate_square_subsequent_mask(sz, device=None, dtype=None):
    """The causal mask: 0 on and below the diagonal, -inf above (position i may not look at
    j > i). Float like PyTorch's, so it adds to the attention scores.

    Shape: (sz, sz).
    """
    if sz <= 0:
        raise ValueError(f"generate_square_subsequent_mask: sz must be positive, got {sz}")
    base = creation.zeros(sz, sz, device=device, dtype=dtype)
    xp = backend.get_array_module(base._data)
    return Tensor._make(xp.triu(xp.full(base.shape, float("-inf"), dtype=base.dtype), 1))


def _causal(mask, is_causal, size, like):
    """A causal mask when asked for one without a mask (PyTorch would require the mask)."""
    if is_causal and mask is None:
        return generate_square_subsequent_mask(size, device=like.device, dtype=like.dtype)
    return mask


class TransformerEncoderLayer(Module):
    """Self-attention then a position-wise feed-forward net, each in a residual block:
    post-norm x = norm(x + block(x)) (the paper), or pre-norm x = x + block(norm(x)) with
    norm_first=True.

    Submodules: self_attn (MultiheadAttention), linear1 (d_model -> dim_feedforward), dropout,
    linear2 (dim_feedforward -> d_model), norm1, norm2 (LayerNorm), dropout1, dropout2.

    Shape: src (S, N, E) ((N, S, E) with batch_first, (S, E) unbatched), src_mask (S, S) or
    (N * nhead, S, S), src_key_padding_mask (N, S) -> like src.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation, "TransformerEncoderLayer")
        self.batch_first = batch_first

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        src_mask = _causal(src_mask, is_causal, src.shape[1 if self.batch_first and
                                                         src.ndim == 3 else 0], src)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask))
        return self.norm2(x + self._ff_block(x))

    def _sa_block(self, x, attn_mask, key_padding_mask):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """Masked self-attention, attention over the encoder's output (memory), feed-forward net,
    each in a residual block (post-norm, or pre-norm with norm_first=True).

    Submodules: self_attn, multihead_attn (MultiheadAttention), linear1, dropout, linear2,
    norm1, norm2, norm3, dropout1, dropout2, dropout3.

    Shape: tgt (T, N, E), memory (S, N, E) ((N, *, E) with batch_first), tgt_mask (T, T),
    memory_mask (T, S), tgt_key_padding_mask (N, T), memory_key_padding_mask (N, S) -> like tgt.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation, "TransformerDecoderLayer")
        self.batch_first = batch_first

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        t_dim = 1 if self.batch_first and tgt.ndim == 3 else 0
        tgt_mask = _causal(tgt_mask, tgt_is_causal, tgt.shape[t_dim], tgt)
        if memory_is_causal and memory_mask is None:
            raise ValueError("TransformerDecoderLayer: memory_is_causal=True needs memory_mask")
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask)
            return x + self._ff_block(self.norm3(x))
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask))
        return self.norm3(x + self._ff_block(x))

    def _sa_block(self, x, attn_mask, key_padding_mask):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _clones(layer, n, who):
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"{who}: num_layers must be a non-negative integer, got {n}")
    return ModuleList([copy.deepcopy(layer) for _ in range(n)])


class TransformerEncoder(Module):
    """num_layers copies of encoder_layer (deep copies: independent weights, as PyTorch),
    applied in turn, then `norm` if given. Submodules: layers.0, layers.1, ..., norm.

    Shape: as TransformerEncoderLayer.
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder")
        self.num_layers = num_layers
        self.norm = norm
        # Nested tensors (PyTorch's fast path for padded batches) do not exist here.
        self.enable_nested_tensor, self.mask_check = False, mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """num_layers copies of decoder_layer applied in turn to (tgt, memory), then `norm` if
    given. Submodules: layers.0, ..., norm.

    Shape: as TransformerDecoderLayer.
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder")
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """The encoder-decoder of "Attention is all you need": encoder (TransformerEncoder of
    num_encoder_layers layers + final LayerNorm) reads src; decoder (TransformerDecoder +
    final LayerNorm) reads tgt and attends to the encoder's output. Embeddings, positions and
    the output projection are the user's (as in PyTorch). Weights with more than one dim are
    Xavier-uniform initialized.

    Shape: src (S, N, E), tgt (T, N, E) ((N, S, E), (N, T, E) with batch_first; unbatched
    (S, E), (T, E)); src_mask (S, S), tgt_mask (T, T), memory_mask (T, S); key padding masks
    (N, S), (N, T), (N, S) -> (T, N, E) (like tgt).
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation=F.relu, custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
                 bias=True, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        layer_kw = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                        layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                        norm_first=norm_first, bias=bias, **kw)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, **layer_kw)
            self.encoder = TransformerEncoder(layer, num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                                        **kw))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, **layer_kw)
            self.decoder = TransformerDecoder(layer, num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                                        **kw))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self):
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batched = src.ndim == 3
        if src.ndim != tgt.ndim:
            raise ValueError(f"Transformer: src and tgt must both be batched (3-D) or unbatched "
                             f"(2-D), got shapes {tuple(src.shape)} and {tuple(tgt.shape)}")
        b = 0 if self.batch_first else 1
        if batched and src.shape[b] != tgt.shape[b]:
            raise RuntimeError(f"Transformer: the batch number of src and tgt must be equal, "
                               f"got shapes {tuple(src.shape)} and {tuple(tgt.shape)}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"Transformer: the feature number of src and tgt must be equal "
                               f"to d_model ({self.d_model}), got shapes {tuple(src.shape)} "
                               f"and {tuple(tgt.shape)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """See `brique.nn.modules.transformer.generate_square_subsequent_mask`."""
        return generate_square_subsequent_mask(sz, device=device, dtype=dtype)
