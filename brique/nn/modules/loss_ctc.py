"""CTCLoss: the connectionist temporal classification loss as a module (speech and handwriting
recognition: unsegmented sequences against shorter label sequences). The math is F.ctc_loss."""
from __future__ import annotations

from .. import functional as F
from .loss import _Loss


class CTCLoss(_Loss):
    """-log p(target | input) over all alignments, with `blank` the "no label" class; 'mean'
    divides each loss by its target length before averaging; zero_infinity turns the inf loss
    of impossible alignments (input shorter than the target needs) into 0.

    Shape: log_probs (T, N, C) or (T, C), targets (N, S) or (sum(target_lengths),),
    input_lengths and target_lengths (N,) -> scalar, or (N,) with reduction='none'.
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                          self.reduction, self.zero_infinity)

    def extra_repr(self):
        return ""  # PyTorch prints CTCLoss() whatever the options
