"""scaled_dot_product_attention and MultiheadAttention against PyTorch (outputs, weights and
gradients with the same weights); AdditiveAttention by finite differences and its masking."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import brique as B
import brique.nn as nn
import brique.nn.functional as F

TOL = {"float64": dict(rtol=1e-6, atol=1e-9), "float32": dict(rtol=1e-4, atol=1e-5)}


def close(b, t, what, dtype="float64"):
    np.testing.assert_allclose(np.asarray(b.detach()), t.detach().numpy(), **TOL[dtype],
                               err_msg=what)


def both(*arrays):
    """The same arrays as brique and torch leaves that require grad."""
    return ([B.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def backward_both(b_out, t_out, rng):
    w = rng.standard_normal(t_out.shape)
    (b_out * B.tensor(w.astype(np.asarray(b_out.detach()).dtype))).sum().backward()
    (t_out * torch.tensor(w.astype(t_out.detach().numpy().dtype))).sum().backward()


# ------------------------------------------------------------------ scaled_dot_product_attention

def _sdpa_masks(rng, L, S):
    bool_mask = rng.random((L, S)) > 0.3
    bool_mask[:, 0] = True
    dead_row = bool_mask.copy()
    dead_row[1] = False  # a query that may attend nothing: zeros, as PyTorch's math backend
    return {
        "none": {},
        "bool": {"attn_mask": bool_mask},
        "float": {"attn_mask": rng.standard_normal((L, S))},
        "causal": {"is_causal": True},
        "scale": {"scale": 0.3},
        "dead_row": {"attn_mask": dead_row},
    }


@pytest.mark.parametrize("case", ["none", "bool", "float", "causal", "scale", "dead_row"])
def test_sdpa_matches_torch(case):
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s) for s in [(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)])
    kw = _sdpa_masks(rng, 4, 5)[case]
    (bq, bk, bv), (tq, tk, tv) = both(q, k, v)
    b_kw = {n: (B.tensor(m) if isinstance(m, np.ndarray) else m) for n, m in kw.items()}
    t_kw = {n: (torch.tensor(m) if isinstance(m, np.ndarray) else m) for n, m in kw.items()}
    b_out = F.scaled_dot_product_attention(bq, bk, bv, **b_kw)
    t_out = TF.scaled_dot_product_attention(tq, tk, tv, **t_kw)
    close(b_out, t_out, "output")
    backward_both(b_out, t_out, rng)
    for b, t, name in zip((bq, bk, bv), (tq, tk, tv), "qkv"):
        close(b.grad, t.grad, f"gradient of {name}")


def test_sdpa_float32_dropout_and_errors():
    rng = np.random.default_rng(0)
    q = rng.standard_normal((3, 4, 8)).astype(np.float32)
    bq = B.tensor(q)
    out = F.scaled_dot_product_attention(bq, bq, bq)
    assert out.dtype == B.float32
    close(out, TF.scaled_dot_product_attention(*[torch.tensor(q)] * 3), "float32", "float32")
    dropped = F.scaled_dot_product_attention(bq, bq, bq, dropout_p=1.0)
    assert np.all(dropped.numpy() == 0)
    with pytest.raises(ValueError, match="scaled_dot_product_attention"):
        F.scaled_dot_product_attention(bq, B.zeros(3, 4, 7), bq)


# ------------------------------------------------------------------ MultiheadAttention

E, HEADS, L, S, N = 8, 2, 4, 5, 3


def mha_pair(dtype="float64", **kw):
    torch.manual_seed(0)
    t_mha = torch.nn.MultiheadAttention(E, HEADS, **kw).to(getattr(torch, dtype))
    b_mha = nn.MultiheadAttention(E, HEADS, **kw).to(getattr(B, dtype))
    assert list(b_mha.state_dict()) == list(t_mha.state_dict())
    b_mha.load_state_dict({k: v.detach().numpy() for k, v in t_mha.state_dict().items()})
    return b_mha, t_mha


MHA_CASES = {
    "default": ({}, {}),
    "batch_first": ({"batch_first": True}, {}),
    "kdim_vdim": ({"kdim": 6, "vdim": 7}, {}),
    "no_bias": ({"bias": False}, {}),
    "key_padding_mask": ({}, {"key_padding_mask": "kpm"}),
    "bool_attn_mask": ({}, {"attn_mask": "bool2d"}),
    "float3d_mask_and_kpm": ({}, {"attn_mask": "float3d", "key_padding_mask": "kpm_float"}),
    "per_head_weights": ({}, {"average_attn_weights": False}),
    "no_weights": ({}, {"need_weights": False}),
    "unbatched": ({}, {"unbatched": True}),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True},
                          {"key_padding_mask": "kpm", "attn_mask": "bool2d"}),
    "float32": ({"dtype": "float32"}, {}),
}


def _mask(kind, rng):
    if kind.startswith("kpm"):
        m = np.zeros((N, S), dtype=bool)
        m[0, -2:] = True
        m[2, 1] = True
        return m if kind == "kpm" else np.where(m, -np.inf, 0.0)
    if kind == "bool2d":
        m = rng.random((L, S)) < 0.3
        m[:, 0] = False
        return m
    return rng.standard_normal((N * HEADS, L, S))


@pytest.mark.parametrize("case", MHA_CASES)
def test_mha_matches_torch(case):
    init_kw, call_kw = MHA_CASES[case]
    init_kw, call_kw = dict(init_kw), dict(call_kw)
    dtype = init_kw.pop("dtype", "float64")
    unbatched = call_kw.pop("unbatched", False)
    b_mha, t_mha = mha_pair(dtype, **init_kw)
    rng = np.random.default_rng(0)
    kdim, vdim = init_kw.get("kdim", E), init_kw.get("vdim", E)
    if unbatched:
        shapes = [(L, E), (S, kdim), (S, vdim)]
    elif init_kw.get("batch_first"):
        shapes = [(N, L, E), (N, S, kdim), (N, S, vdim)]
    else:
        shapes = [(L, N, E), (S, N, kdim), (S, N, vdim)]
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    (bq, bk, bv), (tq, tk, tv) = both(*arrays)
    masks = {n: _mask(call_kw.pop(n), rng) for n in ("key_padding_mask", "attn_mask")
             if n in call_kw}
    b_out, b_w = b_mha(bq, bk, bv, **{n: B.tensor(m) for n, m in masks.items()}, **call_kw)
    t_out, t_w = t_mha(tq, tk, tv, **{n: torch.tensor(m) for n, m in masks.items()}, **call_kw)
    close(b_out, t_out, "attn_output", dtype)
    if t_w is None:
        assert b_w is None
    else:
        assert tuple(b_w.shape) == tuple(t_w.shape)
        close(b_w, t_w, "attn_weights", dtype)
    backward_both(b_out, t_out, rng)
    for b, t, name in zip((bq, bk, bv), (tq, tk, tv), ("query", "key", "value")):
        close(b.grad, t.grad, f"gradient of {name}", dtype)
    b_params = dict(b_mha.named_parameters())
    for name, p in t_mha.named_parameters():
        close(b_params[name].grad, p.grad, f"gradient of {name}", dtype)


def test_mha_dropout_and_errors():
    b_mha, t_mha = mha_pair(dropout=0.5)
    x = np.random.default_rng(0).standard_normal((L, N, E))
    b_mha.eval()
    t_mha.eval()
    with B.no_grad(), torch.no_grad():
        close(b_mha(B.tensor(x), B.tensor(x), B.tensor(x))[0],
              t_mha(*[torch.tensor(x)] * 3)[0], "eval mode is the identity dropout")
        b_mha.train()
        out_train = b_mha(B.tensor(x), B.tensor(x), B.tensor(x))[0]
        b_mha.eval()
        out_eval = b_mha(B.tensor(x), B.tensor(x), B.tensor(x))[0]
    assert not np.allclose(out_train.numpy(), out_eval.numpy())
    with pytest.raises(ValueError, match="embed_dim"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="embedding dimension of 8"):
        b_mha(B.zeros(L, N, 7), B.zeros(S, N, E), B.zeros(S, N, E))
    z = dict(dtype=B.float64)
    with pytest.raises(ValueError, match="attn_mask"):
        b_mha(B.zeros(L, N, E, **z), B.zeros(S, N, E, **z), B.zeros(S, N, E, **z),
              attn_mask=B.zeros(L, L, **z))


# ------------------------------------------------------------------ AdditiveAttention

def numeric_grad(f, arrays, i, eps=1e-6):
    a = arrays[i]
    out = np.zeros_like(a)
    flat = a.reshape(-1)
    for j in range(flat.size):
        orig = flat[j]
        flat[j] = orig + eps
        plus = f()
        flat[j] = orig - eps
        minus = f()
        flat[j] = orig
        out.reshape(-1)[j] = (plus - minus) / (2 * eps)
    return out


def test_additive_attention_finite_differences():
    rng = np.random.default_rng(0)
    att = nn.AdditiveAttention(query_size=3, key_size=4, attn_size=5).double()
    names = [n for n, _ in att.named_parameters()]
    assert names == ["query_proj.weight", "key_proj.weight", "key_proj.bias", "v.weight"]
    params = [p.detach().numpy().copy() for _, p in att.named_parameters()]
    query, keys = rng.standard_normal((2, 3)), rng.standard_normal((2, 6, 4))
    mask = np.zeros((2, 6), dtype=bool)
    mask[1, 4:] = True
    wc, ww = rng.standard_normal((2, 4)), rng.standard_normal((2, 6))
    arrays = [query, keys] + params

    def objective(track=False):
        att.load_state_dict(dict(zip(names, arrays[2:])))
        q = B.tensor(arrays[0], requires_grad=track)
        k = B.tensor(arrays[1], requires_grad=track)
        ctx, w = att(q, k, mask=B.tensor(mask))
        loss = (ctx * B.tensor(wc)).sum() + (w * B.tensor(ww)).sum()
        if not track:
            return float(loss.item())
        att.zero_grad()
        loss.backward()
        return [q.grad, k.grad] + [p.grad for _, p in att.named_parameters()]

    analytic = objective(track=True)
    for i, g in enumerate(analytic):
        np.testing.assert_allclose(g.numpy(), numeric_grad(objective, arrays, i),
                                   rtol=1e-6, atol=1e-8, err_msg=f"gradient {i}")


def test_additive_attention_weights_and_masks():
    rng = np.random.default_rng(1)
    att = nn.AdditiveAttention(3, 4)
    query = B.tensor(rng.standard_normal((3, 3)).astype(np.float32))
    keys = B.tensor(rng.standard_normal((3, 5, 4)).astype(np.float32))
    mask = np.zeros((3, 5), dtype=bool)
    mask[0, 3:] = True
    mask[2, :] = True            # every key masked: zero weights, zero context
    with B.no_grad():
        ctx, w = att(query, keys, mask=B.tensor(mask))
        ctx_nomask, w_nomask = att(query, keys)
    w = w.numpy()
    assert ctx.shape == (3, 4) and w.shape == (3, 5)
    np.testing.assert_allclose(w[:2].sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(w_nomask.numpy().sum(1), 1.0, rtol=1e-6)
    assert np.all(w[mask] == 0)
    np.testing.assert_allclose(ctx.numpy()[2], 0.0)
    np.testing.assert_allclose(ctx.numpy()[:2], np.einsum("nt,nth->nh", w, keys.numpy())[:2],
                               rtol=1e-5, atol=1e-6)
    # Masking only removes those keys: row 1 (nothing masked) is unchanged.
    np.testing.assert_allclose(w[1], w_nomask.numpy()[1], rtol=1e-6)
    # Against the formula written in torch with the same weights.
    sd = {k: torch.tensor(v.numpy()) for k, v in att.state_dict().items()}
    tq, tk = torch.tensor(query.numpy()), torch.tensor(keys.numpy())
    scores = torch.tanh((tq @ sd["query_proj.weight"].T)[:, None]
                        + tk @ sd["key_proj.weight"].T + sd["key_proj.bias"]) @ sd["v.weight"].T
    tw = torch.softmax(scores.squeeze(-1), -1)
    np.testing.assert_allclose(w_nomask.numpy(), tw.numpy(), rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="AdditiveAttention"):
        att(keys, keys)


def test_sdpa_grouped_query_attention_as_pytorch():
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s) for s in ((2, 8, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3)))
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    bq, bk, bv = (B.tensor(a, requires_grad=True) for a in (q, k, v))
    want = TF.scaled_dot_product_attention(tq, tk, tv, is_causal=True, enable_gqa=True)
    got = F.scaled_dot_product_attention(bq, bk, bv, is_causal=True, enable_gqa=True)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), atol=1e-12)
    want.sum().backward()
    got.sum().backward()
    for b, t in ((bq, tq), (bk, tk), (bv, tv)):
        np.testing.assert_allclose(b.grad.numpy(), t.grad.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="multiple"):
        F.scaled_dot_product_attention(bq, bk[:, :1].expand(2, 3, 6, 4),
                                       bv[:, :1].expand(2, 3, 6, 3), enable_gqa=True)
