"""Registry cases for the composites of brique/nn/_functional_extra.py and the weight
reparametrizations (embedding_bag, margin losses, LP pooling, pdist, unpooling, weight norm),
checked against PyTorch with float64 finite differences. Collected by cases.all_cases()."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as TF

import brique as B
import brique.nn.functional as F
from brique.nn.utils.weight_norm import _weight_norm
from cases import Arg, Case as C, P, U

_IDX = [1, 2, 4, 5, 4, 3, 0, 2]
_OFF = [0, 2, 2, 5]
_TARGET = [0, 3, 4, 1]
_LABELS = [[3, 0, -1, 1, 2], [1, 1, 2, -1, 0], [-1, 0, 0, 0, 0], [0, 1, 2, 3, 4]]
SAMPLE_W = Arg(lambda rng: rng.uniform(0.5, 2.0, (3, 4)))


def _bag(mode, padding_idx=None):
    def b(w):
        return F.embedding_bag(B.tensor(_IDX), w, B.tensor(_OFF), mode=mode,
                               padding_idx=padding_idx)

    def t(w):
        return TF.embedding_bag(torch.tensor(_IDX), w, torch.tensor(_OFF), mode=mode,
                                padding_idx=padding_idx)
    return b, t


_POOLED_FROM = np.random.default_rng(3).uniform(-1, 1, (2, 3, 5))


def _unpool(lib, fn):
    """max_unpool1d of x (2, 3, 2) at the indices max_pool1d picks in a fixed (2, 3, 5) input."""
    def run(x):
        idx = fn.max_pool1d_with_indices(lib.tensor(_POOLED_FROM), 2)[1]
        return fn.max_unpool1d(x, idx, 2, output_size=[5])
    return run


CASES = [
    C("nnmore_embedding_bag_sum", *_bag("sum"), [U(6, 3)]),
    C("nnmore_embedding_bag_mean_padding", *_bag("mean", 4), [U(6, 3)]),
    C("nnmore_embedding_bag_max", *_bag("max"), [U(6, 3)]),
    C("nnmore_embedding_bag_2d_weights",
      lambda w, s: F.embedding_bag(B.tensor([[0, 2, 5, 2]] * 3), w, mode="sum",
                                   per_sample_weights=s),
      lambda w, s: TF.embedding_bag(torch.tensor([[0, 2, 5, 2]] * 3), w, mode="sum",
                                    per_sample_weights=s), [U(6, 3), SAMPLE_W]),
    C("nnmore_multi_margin_p1",
      lambda x: F.multi_margin_loss(x, B.tensor(_TARGET), margin=0.7),
      lambda x: TF.multi_margin_loss(x, torch.tensor(_TARGET), margin=0.7), [U(4, 5)]),
    C("nnmore_multi_margin_p2_weight",
      lambda x: F.multi_margin_loss(x, B.tensor(_TARGET), p=2,
                                    weight=B.tensor([1.0, 0.5, 2.0, 1.5, 0.3],
                                                    dtype=x.dtype), reduction="none"),
      lambda x: TF.multi_margin_loss(x, torch.tensor(_TARGET), p=2,
                                     weight=torch.tensor([1.0, 0.5, 2.0, 1.5, 0.3],
                                                         dtype=x.dtype), reduction="none"),
      [U(4, 5)]),
    C("nnmore_multilabel_margin",
      lambda x: F.multilabel_margin_loss(x, B.tensor(_LABELS), reduction="none"),
      lambda x: TF.multilabel_margin_loss(x, torch.tensor(_LABELS), reduction="none"),
      [U(4, 5)]),
    C("nnmore_triplet_with_distance_swap",
      lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, swap=True),
      lambda a, p, n: TF.triplet_margin_with_distance_loss(a, p, n, swap=True),
      [U(4, 5), U(4, 5), U(4, 5)]),
    C("nnmore_lp_pool1d", lambda x: F.lp_pool1d(x, 2, 3, 2),
      lambda x: TF.lp_pool1d(x, 2, 3, 2), [P(2, 3, 7)]),
    C("nnmore_lp_pool2d", lambda x: F.lp_pool2d(x, 1.5, (2, 3), ceil_mode=True),
      lambda x: TF.lp_pool2d(x, 1.5, (2, 3), ceil_mode=True), [P(2, 2, 5, 7)]),
    C("nnmore_channel_shuffle", lambda x: F.channel_shuffle(x, 3),
      lambda x: TF.channel_shuffle(x, 3), [U(2, 6, 2, 3)]),
    C("nnmore_pdist", F.pdist, TF.pdist, [U(5, 3)]),
    C("nnmore_pdist_p1", lambda x: F.pdist(x, 1), lambda x: TF.pdist(x, 1),
      [Arg(lambda rng: rng.permutation(15).reshape(5, 3) * 0.3 + rng.uniform(0, .1, (5, 3)))]),
    C("nnmore_max_unpool1d", _unpool(B, F), _unpool(torch, TF), [U(2, 3, 2)]),
    C("nnmore_weight_norm_dim1", lambda v, g: _weight_norm(v, g, 1),
      lambda v, g: torch._weight_norm(v, g, 1), [U(3, 4, 2), P(1, 4, 1)]),
    C("nnmore_weight_norm_whole", lambda v, g: _weight_norm(v, g, -1),
      lambda v, g: torch._weight_norm(v, g, -1), [U(3, 4), P()]),
]

# 3-D convolution and pooling (composites of the 2-D primitives, brique/ops/volume.py)
CASES += [
    C("nnmore_conv3d", lambda x, w, b: F.conv3d(x, w, b, (2, 1, 1), (1, 0, 1), (1, 2, 1), 2),
      lambda x, w, b: TF.conv3d(x, w, b, (2, 1, 1), (1, 0, 1), (1, 2, 1), 2),
      [U(1, 4, 4, 5, 3), U(4, 2, 2, 2, 2), U(4)]),
    C("nnmore_conv3d_same", lambda x, w: F.conv3d(x, w, padding="same"),
      lambda x, w: TF.conv3d(x, w, padding="same"), [U(3, 3, 4, 3), U(2, 3, 2, 3, 2)]),
    C("nnmore_max_pool3d", lambda x: F.max_pool3d(x, 2, 2, 1, ceil_mode=True),
      lambda x: TF.max_pool3d(x, 2, 2, 1, ceil_mode=True),
      [Arg(lambda rng: rng.permutation(150).reshape(1, 2, 5, 3, 5) * 0.05)]),
    C("nnmore_avg_pool3d", lambda x: F.avg_pool3d(x, (3, 2, 2), 2, 1, count_include_pad=False),
      lambda x: TF.avg_pool3d(x, (3, 2, 2), 2, 1, count_include_pad=False), [U(1, 2, 5, 4, 5)]),
    C("nnmore_adaptive_avg_pool3d", lambda x: F.adaptive_avg_pool3d(x, (2, 3, 2)),
      lambda x: TF.adaptive_avg_pool3d(x, (2, 3, 2)), [U(2, 5, 4, 3)]),
]
