"""Registry cases for the remaining 3-D ops and index_reduce (ops/volume_more.py,
nn/_functional_volume.py): composites only, checked by finite differences and against PyTorch.
Collected by cases.all_cases()."""
from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn.functional as TF

import brique as B
from brique.nn import _functional_volume as FV
from cases import Case as C, Const, Distinct, P

warnings.filterwarnings("ignore", message="index_reduce")   # torch: "... is in beta"
INDEX = np.array([0, 2, 2, 3, 0], dtype=np.int64)


def _reduce_case(reduce, include_self, arg):
    def b(a, s):
        return a.index_reduce(1, B.tensor(INDEX), s, reduce, include_self=include_self)

    def t(a, s):
        return a.index_reduce(1, torch.tensor(INDEX), s, reduce, include_self=include_self)
    return C(f"index_reduce_{reduce}_{'self' if include_self else 'noself'}", b, t,
             [arg(3, 4), arg(3, 5)])


CASES = [
    C("adaptive_max_pool3d", lambda x: FV.adaptive_max_pool3d(x, (2, 3, 2)),
      lambda x: TF.adaptive_max_pool3d(x, (2, 3, 2)), [Distinct(1, 2, 5, 4, 3)]),
    C("adaptive_max_pool3d_indices", lambda x: FV.adaptive_max_pool3d_with_indices(x, 2)[0],
      lambda x: TF.adaptive_max_pool3d_with_indices(x, 2)[0], [Distinct(2, 3, 4, 3)]),
    C("lp_pool3d", lambda x: FV.lp_pool3d(x, 2.0, (2, 2, 1), 1),
      lambda x: TF.lp_pool3d(x, 2.0, (2, 2, 1), 1), [P(1, 2, 3, 3, 2)]),
    _reduce_case("prod", True, P),
    _reduce_case("mean", True, P),
    _reduce_case("mean", False, P),
    _reduce_case("amax", True, Distinct),
    _reduce_case("amin", False, Distinct),
    C("index_reduce_fn", lambda a, s: B.index_reduce(a, 0, B.tensor([1, 1]), s, "prod",
                                                     include_self=False),
      lambda a, s: torch.index_reduce(a, 0, torch.tensor([1, 1]), s, "prod",
                                      include_self=False), [P(3, 2), Const(np.ones((2, 2)))]),
]
