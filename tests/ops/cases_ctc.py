"""Registry cases for the CTC loss primitive (brique/ops/ctc.py), through F.ctc_loss. The input
is logits and the loss takes their log_softmax: PyTorch's CTC gradient is the one of the logits
through log_softmax (not the plain derivative in log_probs), so this is where the float64 finite
differences and PyTorch agree. Collected by cases.all_cases()."""
from __future__ import annotations

import torch
import torch.nn.functional as TF

import brique as B
import brique.nn.functional as F
from cases import Case as C, U

# padded (N, S) targets, with repeated labels (a blank is then needed between them); none ends
# on the blank class 0 inside its length, where PyTorch's gradient is off (see ops/ctc.py)
_PADDED = [[1, 2, 2, 3], [3, 1, 0, 0], [2, 2, 2, 1]]
_CONCAT = [1, 2, 2, 3, 1, 2]          # the same sequences as lengths (3, 2, 1) cut them


def _ctc(lib, fn, targets, input_lengths, target_lengths, as_tensors=False, **kw):
    def run(x):
        il, tl = input_lengths, target_lengths
        if as_tensors:
            il, tl = lib.tensor(il), lib.tensor(tl)
        return fn.ctc_loss(x.log_softmax(-1), lib.tensor(targets), il, tl, **kw)
    return run


def _pair(*args, **kw):
    return _ctc(B, F, *args, **kw), _ctc(torch, TF, *args, **kw)


CASES = [
    C("ctc_loss_padded_mean", *_pair(_PADDED, (7, 5, 6), (3, 2, 4)), [U(7, 3, 4)]),
    C("ctc_loss_concat_sum_tensors",
      *_pair(_CONCAT, (6, 6, 3), (3, 2, 1), as_tensors=True, reduction="sum"), [U(6, 3, 4)]),
    C("ctc_loss_none_blank_last",
      *_pair([[0, 1, 1], [2, 0, 0]], (5, 4), (3, 1), blank=3, reduction="none"), [U(5, 2, 4)]),
    C("ctc_loss_zero_infinity",
      *_pair(_PADDED, (6, 1, 2), (4, 2, 1), reduction="none", zero_infinity=True),
      [U(6, 3, 4)]),
    C("ctc_loss_unbatched", *_pair([2, 1, 1], (5,), (3,)), [U(5, 3)]),
    C("ctc_loss_empty_target", *_pair([[1, 2], [0, 0]], (4, 3), (2, 0), reduction="none"),
      [U(4, 2, 3)]),
]
