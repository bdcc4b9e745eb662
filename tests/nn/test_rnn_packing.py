"""Variable-length batches: pad/pack functions against torch.nn.utils.rnn, and RNN/LSTM/GRU on a
PackedSequence against PyTorch's with the same weights (float64, 1e-7): outputs, final states
and gradients, bidirectional and stacked, sorted and unsorted batches."""
import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as trnn

import brique as B
import brique.nn as nn
from brique.nn.utils import rnn

IN, HID = 3, 4
LENGTHS = [5, 2, 7, 3, 7]


def seqs(lengths=LENGTHS, feat=IN, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, feat)) for n in lengths]


def same(b, t, tol=1e-7):
    np.testing.assert_allclose(np.asarray(b.detach()), t.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side):
    xs = seqs()
    b = rnn.pad_sequence([B.tensor(x) for x in xs], batch_first, -1.0, side)
    t = trnn.pad_sequence([torch.tensor(x) for x in xs], batch_first, -1.0, side)
    same(b, t)


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_packed_match_torch_and_pass_gradients(enforce_sorted, batch_first):
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else [5, 2, 7, 3, 6]
    xs = seqs(lengths)
    padded = trnn.pad_sequence([torch.tensor(x) for x in xs], batch_first).numpy()
    bx, tx = B.tensor(padded, requires_grad=True), torch.tensor(padded, requires_grad=True)
    bp = rnn.pack_padded_sequence(bx, lengths, batch_first, enforce_sorted)
    tp = trnn.pack_padded_sequence(tx, lengths, batch_first, enforce_sorted)
    same(bp.data, tp.data)
    assert bp.sizes() == tp.batch_sizes.tolist()
    if enforce_sorted:
        assert bp.sorted_indices is None and tp.sorted_indices is None
    else:
        assert bp.sorted_indices.tolist() == tp.sorted_indices.tolist()
        assert bp.unsorted_indices.tolist() == tp.unsorted_indices.tolist()
    bpad, blen = rnn.pad_packed_sequence(bp, batch_first, 9.0, total_length=8)
    tpad, tlen = trnn.pad_packed_sequence(tp, batch_first, 9.0, total_length=8)
    same(bpad, tpad)
    assert blen.tolist() == tlen.tolist() == lengths
    w = np.random.default_rng(3).standard_normal(tuple(tpad.shape))
    (bpad * B.tensor(w)).sum().backward()
    (tpad * torch.tensor(w)).sum().backward()
    same(bx.grad, tx.grad)


def test_pack_sequence_and_unpack():
    xs = seqs([4, 6, 1])
    bp = rnn.pack_sequence([B.tensor(x) for x in xs], enforce_sorted=False)
    tp = trnn.pack_sequence([torch.tensor(x) for x in xs], enforce_sorted=False)
    same(bp.data, tp.data)
    for b, x in zip(rnn.unpack_sequence(bp), xs):
        np.testing.assert_array_equal(b.numpy(), x)


def test_pack_errors_name_the_problem():
    x = B.zeros(4, 2, 3)
    with pytest.raises(ValueError, match="sorted in decreasing order"):
        rnn.pack_padded_sequence(x, [2, 3])
    with pytest.raises(ValueError, match="greater than 0"):
        rnn.pack_padded_sequence(x, [2, 0])
    with pytest.raises(ValueError, match="exceeds"):
        rnn.pack_padded_sequence(x, [5, 3])
    with pytest.raises(ValueError, match="total_length"):
        rnn.pad_packed_sequence(rnn.pack_padded_sequence(x, [4, 3]), total_length=3)


MODES = {"rnn": (nn.RNN, torch.nn.RNN), "lstm": (nn.LSTM, torch.nn.LSTM),
         "gru": (nn.GRU, torch.nn.GRU)}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("num_layers,bidirectional,enforce_sorted,with_h0", [
    (1, False, True, False), (2, True, False, True), (2, False, False, False),
    (1, True, True, True)])
def test_recurrent_layers_on_packed_sequences_match_torch(mode, num_layers, bidirectional,
                                                          enforce_sorted, with_h0):
    b_cls, t_cls = MODES[mode]
    torch.manual_seed(0)
    t_layer = t_cls(IN, HID, num_layers=num_layers, bidirectional=bidirectional).double()
    b_layer = b_cls(IN, HID, num_layers=num_layers, bidirectional=bidirectional).double()
    b_layer.load_state_dict({k: v.detach().numpy() for k, v in t_layer.state_dict().items()})
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else [5, 2, 7, 3, 6]
    xs = seqs(lengths)
    bxs = [B.tensor(x, requires_grad=True) for x in xs]
    txs = [torch.tensor(x, requires_grad=True) for x in xs]
    bp = rnn.pack_sequence(bxs, enforce_sorted)
    tp = trnn.pack_sequence(txs, enforce_sorted)
    D = 2 if bidirectional else 1
    rng = np.random.default_rng(1)
    n_states = 2 if mode == "lstm" else 1
    h0 = [rng.standard_normal((num_layers * D, len(xs), HID)) for _ in range(n_states)]
    bh = [B.tensor(h, requires_grad=True) for h in h0]
    th = [torch.tensor(h, requires_grad=True) for h in h0]
    pick = (lambda s: None if not with_h0 else s[0] if n_states == 1 else tuple(s))
    b_out, b_fin = b_layer(bp, pick(bh))
    t_out, t_fin = t_layer(tp, pick(th))
    assert isinstance(b_out, rnn.PackedSequence)
    same(b_out.data, t_out.data)
    b_fin = list(b_fin) if n_states == 2 else [b_fin]
    t_fin = list(t_fin) if n_states == 2 else [t_fin]
    for b, t in zip(b_fin, t_fin):
        same(b, t)
    # gradients of a random functional of every output, into the inputs, h0 and the weights
    weights = [rng.standard_normal(tuple(t.shape)) for t in [t_out.data] + t_fin]
    sum(((b * B.tensor(w)).sum() for b, w in zip([b_out.data] + b_fin, weights))).backward()
    sum(((t * torch.tensor(w)).sum() for t, w in zip([t_out.data] + t_fin, weights))).backward()
    for b, t in zip(bxs, txs):
        same(b.grad, t.grad)
    if with_h0:
        for b, t in zip(bh, th):
            same(b.grad, t.grad)
    for name, p in t_layer.named_parameters():
        same(getattr(b_layer, name).grad, p.grad)
