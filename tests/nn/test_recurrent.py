"""RNN, LSTM, GRU and their cells against PyTorch's, loaded with the same weights: outputs, final
states, and the gradients of the input, the initial states and every parameter."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import brique as B
import brique.nn as nn

MODES = {
    "rnn_tanh": (nn.RNN, torch.nn.RNN, {}),
    "rnn_relu": (nn.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, torch.nn.LSTM, {}),
    "gru": (nn.GRU, torch.nn.GRU, {}),
}
# (num_layers, bidirectional, batch_first, given initial states, batched, dtype, bias)
CONFIGS = [
    (1, False, False, False, True, "float64", True),
    (2, True, True, True, True, "float64", True),
    (2, False, False, True, False, "float64", True),
    (1, True, False, False, False, "float64", True),
    (2, True, False, True, True, "float32", False),
]
TOL = {"float64": dict(rtol=1e-6, atol=1e-9), "float32": dict(rtol=1e-4, atol=1e-5)}
IN, HID, L, N = 5, 4, 6, 3


def load_same(b_layer, t_layer):
    b_layer.load_state_dict({k: v.detach().numpy() for k, v in t_layer.state_dict().items()})


def pair(mode, dtype="float64", **kw):
    b_cls, t_cls, extra = MODES[mode]
    torch.manual_seed(0)
    t_layer = t_cls(IN, HID, **extra, **kw).to(getattr(torch, dtype))
    b_layer = b_cls(IN, HID, **extra, **kw).to(getattr(B, dtype))
    load_same(b_layer, t_layer)
    return b_layer, t_layer


def close(b, t, dtype, what):
    np.testing.assert_allclose(np.asarray(b.detach()), t.detach().numpy(), **TOL[dtype],
                               err_msg=what)


def run_both(b_layer, t_layer, x, states, dtype):
    """Forward both with the same inputs, backward a random linear functional of every output,
    compare everything."""
    rng = np.random.default_rng(1)
    bx, tx = B.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    bs = [B.tensor(s, requires_grad=True) for s in states]
    ts = [torch.tensor(s, requires_grad=True) for s in states]
    pack = (lambda s: None if not s else s[0] if len(s) == 1 else tuple(s))
    b_out, b_h = b_layer(bx, pack(bs))
    t_out, t_h = t_layer(tx, pack(ts))
    b_outs = [b_out] + (list(b_h) if isinstance(b_h, tuple) else [b_h])
    t_outs = [t_out] + (list(t_h) if isinstance(t_h, tuple) else [t_h])
    assert [tuple(o.shape) for o in b_outs] == [tuple(o.shape) for o in t_outs]
    weights = [rng.standard_normal(o.shape) for o in t_outs]
    sum(((o * B.tensor(w.astype(dtype))).sum() for o, w in zip(b_outs, weights)),
        B.tensor(0.0, dtype=getattr(B, dtype))).backward()
    sum((o * torch.tensor(w.astype(dtype))).sum() for o, w in zip(t_outs, weights)).backward()
    for i, (b, t) in enumerate(zip(b_outs, t_outs)):
        close(b, t, dtype, f"output {i}")
    close(bx.grad, tx.grad, dtype, "input gradient")
    for i, (b, t) in enumerate(zip(bs, ts)):
        close(b.grad, t.grad, dtype, f"initial state {i} gradient")
    b_params = dict(b_layer.named_parameters())
    for name, p in t_layer.named_parameters():
        close(b_params[name].grad, p.grad, dtype, f"gradient of {name}")


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(map(str, c)))
@pytest.mark.parametrize("mode", MODES)
def test_layer_matches_torch(mode, cfg):
    layers, bi, batch_first, given, batched, dtype, bias = cfg
    b_layer, t_layer = pair(mode, dtype, num_layers=layers, bidirectional=bi,
                            batch_first=batch_first, bias=bias)
    rng = np.random.default_rng(0)
    shape = ((N, L, IN) if batch_first else (L, N, IN)) if batched else (L, IN)
    x = rng.standard_normal(shape).astype(dtype)
    D = 2 if bi else 1
    state_shape = (layers * D, N, HID) if batched else (layers * D, HID)
    n_states = 2 if mode == "lstm" else 1
    states = [rng.standard_normal(state_shape).astype(dtype) for _ in range(n_states)] \
        if given else []
    run_both(b_layer, t_layer, x, states, dtype)


def test_parameter_names_shapes_and_init():
    b_layer = nn.LSTM(IN, HID, num_layers=2, bidirectional=True)
    t_layer = torch.nn.LSTM(IN, HID, num_layers=2, bidirectional=True)
    b_sd, t_sd = b_layer.state_dict(), t_layer.state_dict()
    assert list(b_sd) == list(t_sd)
    for k in t_sd:
        assert tuple(b_sd[k].shape) == tuple(t_sd[k].shape), k
        assert b_sd[k].dtype == B.float32
        assert np.abs(b_sd[k].numpy()).max() <= 1 / np.sqrt(HID)
    for b_cls, t_cls in [(nn.GRU, torch.nn.GRU), (nn.RNN, torch.nn.RNN)]:
        assert list(b_cls(IN, HID, bias=False).state_dict()) == \
            list(t_cls(IN, HID, bias=False).state_dict())
    assert repr(nn.LSTM(28, 64, num_layers=2, batch_first=True)) == \
        repr(torch.nn.LSTM(28, 64, num_layers=2, batch_first=True))


def test_dropout_between_layers():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b_layer, t_layer = pair("lstm", num_layers=2, dropout=0.5)
    x = np.random.default_rng(0).standard_normal((L, N, IN))
    b_layer.eval()
    t_layer.eval()
    run_both(b_layer, t_layer, x, [], "float64")
    # In training mode the second layer sees a dropped-out input; the first layer does not.
    b_layer.train()
    B.manual_seed(0)
    with B.no_grad():
        out_train, (h_train, _) = b_layer(B.tensor(x))
        b_layer.eval()
        out_eval, (h_eval, _) = b_layer(B.tensor(x))
    assert not np.allclose(out_train.numpy(), out_eval.numpy())
    np.testing.assert_allclose(h_train.numpy()[0], h_eval.numpy()[0])
    with pytest.warns(UserWarning, match="dropout"):
        nn.GRU(IN, HID, dropout=0.3)


CELLS = {
    "rnn_tanh": (nn.RNNCell, torch.nn.RNNCell, {}),
    "rnn_relu": (nn.RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (nn.GRUCell, torch.nn.GRUCell, {}),
}


@pytest.mark.parametrize("batched,given,bias", [(True, True, True), (True, False, False),
                                                (False, True, True)])
@pytest.mark.parametrize("mode", CELLS)
def test_cell_matches_torch(mode, batched, given, bias):
    b_cls, t_cls, extra = CELLS[mode]
    torch.manual_seed(0)
    t_cell = t_cls(IN, HID, bias=bias, **extra).double()
    b_cell = b_cls(IN, HID, bias=bias, **extra).double()
    assert list(b_cell.state_dict()) == list(t_cell.state_dict())
    load_same(b_cell, t_cell)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, IN) if batched else (IN,))
    n_states = 2 if mode == "lstm" else 1
    states = [rng.standard_normal((N, HID) if batched else (HID,)) for _ in range(n_states)]
    bx, tx = B.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    bs = [B.tensor(s, requires_grad=True) for s in states]
    ts = [torch.tensor(s, requires_grad=True) for s in states]
    if given:
        b_out = b_cell(bx, tuple(bs) if n_states == 2 else bs[0])
        t_out = t_cell(tx, tuple(ts) if n_states == 2 else ts[0])
    else:
        b_out, t_out = b_cell(bx), t_cell(tx)
    b_outs = list(b_out) if n_states == 2 else [b_out]
    t_outs = list(t_out) if n_states == 2 else [t_out]
    ws = [rng.standard_normal(o.shape) for o in t_outs]
    sum((o * B.tensor(w)).sum() for o, w in zip(b_outs, ws)).backward()
    sum((o * torch.tensor(w)).sum() for o, w in zip(t_outs, ws)).backward()
    for b, t in zip(b_outs, t_outs):
        close(b, t, "float64", "cell output")
    close(bx.grad, tx.grad, "float64", "input gradient")
    if given:
        for b, t in zip(bs, ts):
            close(b.grad, t.grad, "float64", "state gradient")
    b_params = dict(b_cell.named_parameters())
    for name, p in t_cell.named_parameters():
        close(b_params[name].grad, p.grad, "float64", name)


def test_second_order_through_lstm():
    """create_graph=True replays the fused layer with composite cells: the gradient of a
    gradient matches PyTorch's."""
    b_layer, t_layer = pair("lstm", bidirectional=True)
    x = np.random.default_rng(0).standard_normal((3, 2, IN))
    bx, tx = B.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (bg,) = B.grad(b_layer(bx)[0].tanh().sum(), bx, create_graph=True)
    (tg,) = torch.autograd.grad(t_layer(tx)[0].tanh().sum(), tx, create_graph=True)
    (bg * bg).sum().backward()
    (tg * tg).sum().backward()
    close(bx.grad, tx.grad, "float64", "second-order input gradient")
    close(b_layer.weight_hh_l0_reverse.grad, t_layer.weight_hh_l0_reverse.grad, "float64",
          "second-order weight gradient")


def test_errors_are_clear():
    lstm = nn.LSTM(28, 64)
    with pytest.raises(ValueError, match=r"LSTM\(28, 64\) expected input with 28 features, "
                                         r"got \(64, 28, 30\)"):
        lstm(B.zeros(64, 28, 30))
    with pytest.raises(ValueError, match="2D .* or 3D"):
        lstm(B.zeros(2, 3, 4, 28))
    with pytest.raises(ValueError, match=r"expected h_0 size \(1, 5, 64\), got \(2, 5, 64\)"):
        lstm(B.zeros(3, 5, 28), (B.zeros(2, 5, 64), B.zeros(1, 5, 64)))
    with pytest.raises(ValueError, match="2-D"):
        nn.GRU(28, 8)(B.zeros(3, 28), B.zeros(1, 2, 8))
    with pytest.raises(ValueError, match=r"GRUCell\(3, 4\) expected input with 3 features"):
        nn.GRUCell(3, 4)(B.zeros(2, 5))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
