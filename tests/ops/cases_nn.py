"""Registry cases for the fused nn primitives: Normalize (batch/layer/group norm) and the
recurrent layers (collected by cases.all_cases()).

Normalize is reached through `brique.ops.norm.normalize` (what F.batch_norm, F.layer_norm and
F.group_norm call) and compared with those PyTorch functions. The recurrent primitives are
compared with the recurrence written out in PyTorch, step by step: that is their specification.
Sizes are tiny, since every case runs a float64 finite-difference check; the second-order cases
exercise the create_graph replay of the fused backwards.
"""
from __future__ import annotations

import torch
import torch.nn.functional as TF

from brique.ops import recurrent as R
from brique.ops.norm import normalize
from cases import Case as C, P, U

L, N, H = 3, 2, 2


def _t_rnn(xproj, w_hh, h0, reverse=False):
    h, hs = h0, [None] * xproj.shape[0]
    steps = range(xproj.shape[0] - 1, -1, -1) if reverse else range(xproj.shape[0])
    for t in steps:
        h = hs[t] = torch.tanh(xproj[t] + h @ w_hh.T)
    return torch.stack(hs)


def _t_lstm(xproj, w_hh, h0, c0):
    h, c, hs = h0, c0, []
    for t in range(xproj.shape[0]):
        i, f, g, o = (xproj[t] + h @ w_hh.T).chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        hs.append(h)
    return torch.stack(hs + [c])


def _t_gru(xproj, w_hh, b_hh, h0):
    h, hs = h0, []
    for t in range(xproj.shape[0]):
        ir, iz, i_n = xproj[t].chunk(3, -1)
        hr, hz, hn = (h @ w_hh.T + b_hh).chunk(3, -1)
        r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
        n = (i_n + r * hn).tanh()
        h = (1 - z) * n + z * h
        hs.append(h)
    return torch.stack(hs)


CASES = [
    C("layer_norm", lambda x, w, b: normalize(x, (2,), w, b)[0],
      lambda x, w, b: TF.layer_norm(x, (4,), w, b), [U(2, 3, 4), P(4), U(4)], gradgrad=True),
    C("layer_norm_no_affine", lambda x: normalize(x, (1, 2))[0],
      lambda x: TF.layer_norm(x, (3, 4)), [U(2, 3, 4)]),
    C("batch_norm_train",
      lambda x, w, b: normalize(x, (0, 2), w.reshape(1, 2, 1), b.reshape(1, 2, 1))[0],
      lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
      [U(3, 2, 2), P(2), U(2)]),
    C("group_norm",
      lambda x, w, b: normalize(x.reshape(2, 2, 2, 3), (2, 3), w.reshape(1, 2, 2, 1),
                                b.reshape(1, 2, 2, 1))[0].reshape(2, 4, 3),
      lambda x, w, b: TF.group_norm(x, 2, w, b), [U(2, 4, 3), P(4), U(4)]),
    C("rnn_layer", R.RNNLayer.apply, _t_rnn,
      [U(L, N, H), U(H, H, lo=-0.8, hi=0.8), U(N, H)], gradgrad=True),
    C("rnn_layer_reverse", R.RNNLayer.apply, _t_rnn,
      [U(L, N, H), U(H, H, lo=-0.8, hi=0.8), U(N, H)], {"reverse": True}),
    C("lstm_layer", R.LSTMLayer.apply, _t_lstm,
      [U(L, N, 4 * H), U(4 * H, H, lo=-0.8, hi=0.8), U(N, H), U(N, H)], gradgrad=True),
    C("gru_layer", R.GRULayer.apply, _t_gru,
      [U(L, N, 3 * H), U(3 * H, H, lo=-0.8, hi=0.8), U(3 * H), U(N, H)], gradgrad=True),
]
