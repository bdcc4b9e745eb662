"""LSTM with proj_size against torch.nn.LSTM from the same state_dict: outputs, final states
and gradients (float64), initial states, packed input, repr and argument errors."""
import numpy as np
import pytest
import torch

import brique
from brique.nn.utils.rnn import pack_padded_sequence

CASES = [dict(proj_size=3), dict(proj_size=2, bias=False),
         dict(proj_size=3, num_layers=2, bidirectional=True, batch_first=True)]


def _pair(**kw):
    torch.manual_seed(0)
    ref = torch.nn.LSTM(5, 6, **kw).double()
    ours = brique.nn.LSTM(5, 6, **kw).double()
    ours.load_state_dict({k: brique.tensor(v.detach().numpy()) for k, v in
                          ref.state_dict().items()})
    return ref, ours


@pytest.mark.parametrize("kw", CASES)
def test_projected_lstm_matches_torch_forward_and_backward(kw):
    ref, ours = _pair(**kw)
    assert repr(ours) == repr(ref) and list(ours.state_dict()) == list(ref.state_dict())
    x = np.random.default_rng(1).random((4, 7, 5))
    D, L = (2 if kw.get("bidirectional") else 1), kw.get("num_layers", 1)
    batch = 4 if kw.get("batch_first") else 7
    h0 = np.random.default_rng(2).random((D * L, batch, kw["proj_size"]))
    c0 = np.random.default_rng(3).random((D * L, batch, 6))
    results = []
    for lib, m in ((torch, ref), (brique, ours)):
        xt = lib.tensor(x, requires_grad=True)
        out, (h, c) = m(xt, (lib.tensor(h0), lib.tensor(c0)))
        (out.sum() + (h * h).sum() + c.sum()).backward()
        results.append([t.detach().numpy() for t in (out, h, c, xt.grad)]
                       + [p.grad.numpy() for p in m.parameters()])
    assert results[0][1].shape == (D * L, batch, kw["proj_size"])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def test_projected_lstm_on_packed_sequences():
    ref, ours = _pair(proj_size=2)
    x = np.random.default_rng(4).random((6, 3, 5))
    lengths = [6, 4, 2]
    out_t, (h_t, _) = ref(torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths))
    out_b, (h_b, _) = ours(pack_padded_sequence(brique.tensor(x), lengths))
    np.testing.assert_allclose(out_b.data.detach().numpy(), out_t.data.detach().numpy(),
                               rtol=1e-10)
    np.testing.assert_allclose(h_b.detach().numpy(), h_t.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("make,match", [
    (lambda: brique.nn.LSTM(5, 6, proj_size=6), "smaller than hidden_size"),
    (lambda: brique.nn.LSTM(5, 6, proj_size=-1), "positive integer or zero"),
    (lambda: brique.nn.LSTM(5, 6, proj_size=2)(brique.zeros(3, 2, 5),
                                               (brique.zeros(1, 2, 6), brique.zeros(1, 2, 6))),
     r"h_0 size \(1, 2, 2\)"),
])
def test_projection_errors_name_the_sizes(make, match):
    with pytest.raises(ValueError, match=match):
        make()
