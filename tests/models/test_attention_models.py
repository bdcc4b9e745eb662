"""Seq2Seq (GRU/LSTM, with and without attention), TransformerSeq2Seq, MemN2N, TreeNet:
what their structure promises (masking, causality, beam search >= greedy, weight tying,
batching by height equal to one tree at a time), and that each learns a small task."""
from __future__ import annotations

import numpy as np
import pytest

import brique as B
from brique.datasets import babi, expressions
from brique.models.memn2n import MemN2N, position_encoding
from brique.models.seq2seq import Seq2Seq
from brique.models.transformer_seq2seq import TransformerSeq2Seq
from brique.models.treenet import TreeNet
from brique.nn import functional as F


def _sequence_logprob(model, src, tokens):
    """Sum of log p(token_t | tokens_<t) up to and including the first eos."""
    tgt_in = B.cat([B.full((src.shape[0], 1), model.bos, dtype=B.int64), tokens[:, :-1]], 1)
    with B.no_grad():
        out = model(src, tgt_in)
        logits = out[0] if isinstance(out, tuple) else out
        logp = F.log_softmax(logits, -1).gather(2, tokens.unsqueeze(-1)).squeeze(-1).numpy()
    total = []
    for row, toks in zip(logp, tokens.numpy()):
        end = list(toks).index(model.eos) + 1 if model.eos in toks else len(toks)
        total.append(row[:end].sum())
    return np.array(total)


def _models():
    return [Seq2Seq(12, 9, 8, 16, cell="gru", attention=True),
            Seq2Seq(12, 9, 8, 16, cell="lstm", attention=False),
            TransformerSeq2Seq(12, 9, d_model=16, nhead=2, num_layers=1, dim_feedforward=16)]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_beam_search_is_never_worse_than_greedy(index):
    B.manual_seed(index)
    model = _models()[index]
    model.eval()
    src = B.tensor(np.random.default_rng(0).integers(3, 12, (5, 6)))
    greedy, _ = model.greedy(src, 7)
    one = model.beam_search(src, 7, beam_width=1)
    g, o = greedy.numpy(), one.numpy()
    for a, b in zip(g, o):  # beam 1 is greedy up to its eos
        end = list(b).index(model.eos) + 1 if model.eos in b else len(b)
        assert list(a[:end]) == list(b[:end])
    wide = model.beam_search(src, 7, beam_width=4)
    assert np.all(_sequence_logprob(model, src, wide) >= _sequence_logprob(model, src, one) - 1e-5)


def test_seq2seq_attention_ignores_padding():
    B.manual_seed(0)
    model = Seq2Seq(12, 9, 8, 16)
    src = B.tensor([[5, 6, 7, 0, 0], [5, 6, 7, 8, 9]])
    _, attn = model(src, B.tensor([[1, 3, 4], [1, 3, 4]]))
    a = attn.detach().numpy()
    assert a.shape == (2, 3, 5)
    np.testing.assert_allclose(a.sum(-1), 1.0, rtol=1e-5)
    assert np.all(a[0, :, 3:] == 0.0)


def test_transformer_seq2seq_is_causal():
    B.manual_seed(0)
    model = TransformerSeq2Seq(12, 9, d_model=16, nhead=2, num_layers=1, dim_feedforward=16)
    src = B.tensor([[4, 5, 6, 7]])
    a = model(src, B.tensor([[1, 3, 4, 5]])).detach().numpy()
    b = model(src, B.tensor([[1, 3, 8, 8]])).detach().numpy()
    np.testing.assert_allclose(a[0, :2], b[0, :2], rtol=1e-5, atol=1e-6)
    maps = model.cross_attention(src, B.tensor([[1, 3, 4, 5]]))
    assert tuple(maps[0].shape) == (1, 2, 4, 4)


def test_seq2seq_with_attention_learns_to_reverse():
    B.manual_seed(0)
    rng = np.random.default_rng(0)
    model = Seq2Seq(10, 10, 16, 32, attention=True)
    opt = B.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(150):
        x = rng.integers(3, 10, (32, 5))
        tgt = np.concatenate([np.ones((32, 1), int), x[:, ::-1], np.full((32, 1), 2)], 1)
        logits, _ = model(B.tensor(x), B.tensor(tgt[:, :-1]))
        loss = F.cross_entropy(logits.reshape(-1, 10), B.tensor(tgt[:, 1:]).reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    x = rng.integers(3, 10, (50, 5))
    out, _ = model.greedy(B.tensor(x), 5)
    assert (out.numpy() == x[:, ::-1]).all(1).mean() > 0.9


# ------------------------------------------------------------------------------ MemN2N
def test_position_encoding_matches_the_paper():
    l = position_encoding(4, 6).numpy()
    J, d = 4, 6
    for j, k in [(1, 1), (2, 5), (4, 6)]:
        assert l[j - 1, k - 1] == pytest.approx((1 - j / J) - (k / d) * (1 - 2 * j / J))


def test_memn2n_tying_masking_and_linear_start():
    B.manual_seed(0)
    model = MemN2N(20, 8, hops=3, memory_size=6, sentence_len=4)
    assert len(model.embeddings) == 4 and len(model.temporal) == 4  # K + 1 with adjacent tying
    stories = np.zeros((2, 6, 4), dtype=np.int64)
    stories[:, :3, :3] = np.random.default_rng(0).integers(1, 20, (2, 3, 3))
    q = B.tensor(np.array([[3, 4, 0, 0], [5, 6, 7, 0]]))
    logits, att = model(B.tensor(stories), q)
    assert tuple(logits.shape) == (2, 20) and len(att) == 3
    for p in att:
        p = p.detach().numpy()
        np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-5)
        assert np.all(p[:, 3:] == 0.0)
    model.linear = True
    _, att = model(B.tensor(stories), q)
    assert not np.allclose(att[0].detach().numpy().sum(-1), 1.0)


def test_memn2n_learns_single_supporting_fact():
    B.manual_seed(0)
    samples = babi.generate_task(1, 300, seed=0)
    vocab = babi.babi_vocab(samples)
    s, q, a = (B.tensor(x) for x in babi.vectorize(samples, vocab, memory_size=10,
                                                   sentence_len=6))
    model = MemN2N(len(vocab) + 1, 20, hops=1, memory_size=10, sentence_len=6)
    opt = B.optim.Adam(model.parameters(), lr=0.02)
    for epoch in range(30):
        for i in range(0, 300, 30):
            loss = F.cross_entropy(model(s[i:i + 30], q[i:i + 30])[0], a[i:i + 30])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with B.no_grad():
        acc = (model(s, q)[0].argmax(-1) == a).float().mean().item()
    assert acc > 0.95


# ------------------------------------------------------------------------------ TreeNet
def test_treenet_batches_by_height_as_one_tree_at_a_time():
    B.manual_seed(0)
    model = TreeNet(dim=8, hidden=16)
    trees = [t for t, _ in expressions.expression_trees(6, depths=(0, 1, 3), seed=1)]
    batch = model(trees).detach().numpy()
    alone = np.concatenate([model([t]).detach().numpy() for t in trees])
    np.testing.assert_allclose(batch, alone, rtol=1e-5, atol=1e-6)
    model(trees).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    with pytest.raises(ValueError, match="operator"):
        model([("/", 1, 2)])


@pytest.mark.parametrize("attention,cell", [(True, "gru"), (False, "gru"), (False, "lstm")])
def test_seq2seq_output_does_not_depend_on_padding(attention, cell):
    B.manual_seed(0)
    model = Seq2Seq(12, 9, 8, 16, cell=cell, attention=attention)
    src = np.array([[5, 6, 7, 0], [5, 6, 7, 8]])
    tgt = B.tensor([[1, 3, 4], [1, 3, 4]])
    a = model(B.tensor(src), tgt)[0].detach().numpy()
    b = model(B.tensor(np.pad(src, ((0, 0), (0, 5)))), tgt)[0].detach().numpy()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
