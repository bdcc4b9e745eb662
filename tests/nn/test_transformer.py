"""Transformer layers against PyTorch: the same state_dict keys, and with a torch layer's
weights the same outputs and input gradients (float64, dropout off), for post- and pre-norm,
relu / gelu / callable activations, batch_first, masks and key-padding masks."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn as tnn

import brique as B
import brique.nn as nn
import brique.nn.functional as F

TOL = dict(rtol=1e-7, atol=1e-9)


def load_from(b_module, t_module):
    assert list(b_module.state_dict()) == list(t_module.state_dict())
    b_module.load_state_dict({k: v.detach().numpy() for k, v in t_module.state_dict().items()})
    return b_module


def pair(rng, shape):
    a = rng.standard_normal(shape)
    return B.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def check(b_out, t_out, b_inputs, t_inputs, rng):
    np.testing.assert_allclose(np.asarray(b_out.detach()), t_out.detach().numpy(), **TOL)
    w = rng.standard_normal(tuple(t_out.shape))
    (b_out * B.tensor(w)).sum().backward()
    (t_out * torch.tensor(w)).sum().backward()
    for b, t in zip(b_inputs, t_inputs):
        np.testing.assert_allclose(np.asarray(b.grad), t.grad.numpy(), **TOL)


ACTS = {"relu": ("relu", "relu"), "gelu": ("gelu", "gelu"),
        "callable": (lambda x: F.tanh(x) * 2.0, lambda x: torch.tanh(x) * 2.0)}


def masks(rng, N, L, S, kind):
    """(brique kwargs, torch kwargs) of an attention mask and key padding mask."""
    if kind == "none":
        return {}, {}
    pad = np.zeros((N, S), dtype=bool)
    pad[0, -2:] = True
    if kind == "bool":
        attn = rng.random((L, S)) > 0.7
        attn[:, 0] = False
    else:
        attn = rng.standard_normal((L, S))
    return ({"mask": attn, "pad": pad},
            {"mask": torch.tensor(attn), "pad": torch.tensor(pad)})


@pytest.mark.parametrize("act", list(ACTS))
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first,mask_kind", [(False, "none"), (True, "bool"),
                                                   (False, "float")])
def test_encoder_layer_matches_torch(act, norm_first, batch_first, mask_kind):
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    kw = dict(dim_feedforward=12, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    t_layer = tnn.TransformerEncoderLayer(8, 2, activation=ACTS[act][1], **kw).double()
    b_layer = load_from(nn.TransformerEncoderLayer(8, 2, activation=ACTS[act][0], **kw).double(),
                        t_layer)
    N, S = 3, 5
    b_x, t_x = pair(rng, (N, S, 8) if batch_first else (S, N, 8))
    bm, tm = masks(rng, N, S, S, mask_kind)
    b_out = b_layer(b_x, src_mask=bm.get("mask"), src_key_padding_mask=bm.get("pad"))
    t_out = t_layer(t_x, src_mask=tm.get("mask"), src_key_padding_mask=tm.get("pad"))
    check(b_out, t_out, [b_x], [t_x], rng)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first,mask_kind", [(False, "none"), (True, "bool"),
                                                   (False, "float")])
def test_decoder_layer_matches_torch(norm_first, batch_first, mask_kind):
    rng = np.random.default_rng(1)
    torch.manual_seed(1)
    kw = dict(dim_feedforward=12, dropout=0.0, batch_first=batch_first, norm_first=norm_first,
              activation="gelu")
    t_layer = tnn.TransformerDecoderLayer(8, 4, **kw).double()
    b_layer = load_from(nn.TransformerDecoderLayer(8, 4, **kw).double(), t_layer)
    N, T, S = 2, 4, 6
    shape = (lambda L: (N, L, 8)) if batch_first else (lambda L: (L, N, 8))
    b_tgt, t_tgt = pair(rng, shape(T))
    b_mem, t_mem = pair(rng, shape(S))
    bm, tm = masks(rng, N, T, S, mask_kind)
    causal = nn.Transformer.generate_square_subsequent_mask(T, dtype=B.float64)
    t_causal = tnn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
    np.testing.assert_array_equal(np.asarray(causal), t_causal.numpy())
    b_out = b_layer(b_tgt, b_mem, tgt_mask=causal, memory_mask=bm.get("mask"),
                    memory_key_padding_mask=bm.get("pad"))
    t_out = t_layer(t_tgt, t_mem, tgt_mask=t_causal, memory_mask=tm.get("mask"),
                    memory_key_padding_mask=tm.get("pad"))
    check(b_out, t_out, [b_tgt, b_mem], [t_tgt, t_mem], rng)


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(batch_first):
    rng = np.random.default_rng(2)
    torch.manual_seed(2)
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
              dim_feedforward=16, dropout=0.0, batch_first=batch_first)
    t_model = tnn.Transformer(**kw).double()
    b_model = load_from(nn.Transformer(**kw).double(), t_model)
    assert "encoder.layers.1.self_attn.in_proj_weight" in b_model.state_dict()
    N, S, T = 2, 5, 4
    shape = (lambda L: (N, L, 8)) if batch_first else (lambda L: (L, N, 8))
    b_src, t_src = pair(rng, shape(S))
    b_tgt, t_tgt = pair(rng, shape(T))
    pad = np.zeros((N, S), dtype=bool)
    pad[1, -1] = True
    b_out = b_model(b_src, b_tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(T),
                    src_key_padding_mask=pad, memory_key_padding_mask=pad)
    t_out = t_model(t_src, t_tgt,
                    tgt_mask=tnn.Transformer.generate_square_subsequent_mask(T),
                    src_key_padding_mask=torch.tensor(pad),
                    memory_key_padding_mask=torch.tensor(pad))
    check(b_out, t_out, [b_src, b_tgt], [t_src, t_tgt], rng)


def test_is_causal_without_mask_builds_the_causal_mask():
    B.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=8, dropout=0.0).double()
    x = B.tensor(np.random.default_rng(0).standard_normal((5, 1, 8)))
    a = layer(x, is_causal=True)
    b = layer(x, src_mask=nn.Transformer.generate_square_subsequent_mask(5))
    np.testing.assert_allclose(np.asarray(a), np.asarray(b))
    # The first position cannot see the others: changing them leaves it as it is.
    y = x.detach().numpy().copy()
    y[1:] += 1.0
    c = layer(B.tensor(y), is_causal=True)
    np.testing.assert_allclose(np.asarray(a)[0], np.asarray(c)[0])


def test_stacks_hold_independent_copies_and_unbatched_inputs_work():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=8)
    enc = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(8))
    ws = [m.linear1.weight for m in enc.layers]
    assert len(ws) == 3 and ws[0] is not ws[1] and ws[0] is not layer.linear1.weight
    enc.eval()
    assert tuple(enc(B.randn(5, 8)).shape) == (5, 8)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="activation"):
        nn.TransformerEncoderLayer(8, 2, activation="swish")
    model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="d_model"):
        model(B.randn(3, 2, 6), B.randn(3, 2, 6))
    with pytest.raises(RuntimeError, match="batch"):
        model(B.randn(3, 2, 8), B.randn(3, 4, 8))


class PositionalEncoding(nn.Module):
    """As in PyTorch's word_language_model example (sinusoids added to the embeddings)."""

    def __init__(self, d_model, max_len=64):
        super().__init__()
        position = np.arange(max_len)[:, None]
        div = np.exp(np.arange(0, d_model, 2) * (-np.log(10000.0) / d_model))
        pe = np.zeros((max_len, 1, d_model), dtype=np.float32)
        pe[:, 0, 0::2], pe[:, 0, 1::2] = np.sin(position * div), np.cos(position * div)
        self.register_buffer("pe", B.tensor(pe))

    def forward(self, x):
        return x + self.pe[:x.size(0)]


class TransformerModel(nn.Transformer):
    """PyTorch's example subclass: only the encoder is used, `decoder` is replaced by a
    Linear head, and the mask is built by the parent's static method."""

    def __init__(self, ntoken, ninp, nhead, nhid, nlayers):
        super(TransformerModel, self).__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                                               num_encoder_layers=nlayers, dropout=0.0)
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)

    def forward(self, src, has_mask=True):
        if has_mask and (self.src_mask is None or self.src_mask.size(0) != len(src)):
            self.src_mask = self.generate_square_subsequent_mask(len(src))
        src = self.pos_encoder(self.input_emb(src) * math.sqrt(self.ninp))
        output = self.encoder(src, mask=self.src_mask if has_mask else None)
        return F.log_softmax(self.decoder(output), dim=-1)


def test_subclassing_transformer_like_pytorch_code_learns_to_copy():
    B.manual_seed(0)
    model = TransformerModel(ntoken=7, ninp=16, nhead=2, nhid=32, nlayers=1)
    assert not any(k.startswith("decoder.layers") for k in model.state_dict())
    opt = B.optim.Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    for _ in range(60):
        src = B.tensor(rng.integers(0, 7, (6, 8)))
        loss = F.nll_loss(model(src).reshape(-1, 7), src.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.2
