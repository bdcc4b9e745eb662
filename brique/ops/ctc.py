"""Connectionist temporal classification loss (Graves et al. 2006), one fused primitive: the
negative log-likelihood of each target sequence summed over every alignment, by the forward
(alpha) recursion in log space, and its gradient by the backward (beta) recursion. Written as
one node because the recursions are a loop over time that would otherwise record T * 10 graph
nodes, and log space is what keeps long sequences from underflowing.

Both recursions run over time in Python and are vectorized over the batch and the extended
label sequence (blank, l1, blank, l2, ..., blank) with the array module. The formulas and the
gradient follow PyTorch's CPU kernel (aten/src/ATen/native/LossCTC.cpp), including its
gradient convention: d/d log_probs[t, c] = exp(log_probs[t, c]) - posterior(t, c), the
gradient with respect to the logits when log_probs come from log_softmax (the usual case).
"""
from __future__ import annotations

from .. import backend
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor
from .special_fns import quiet

NEG_INF = float("-inf")


def extended_labels(xp, targets, target_lengths, blank, n_classes):
    """The extended label sequences (N, 2 * S + 1), S the longest target, blank at even places
    (and past each sequence's end), and where each place lies inside its sequence.

    targets: padded (N, S') with S' >= S, or the N sequences concatenated (sum of lengths,)."""
    tl = xp.asarray(target_lengths, dtype=backend.int64)
    n, s_max = len(target_lengths), max(target_lengths, default=0)
    pos = xp.arange(s_max, dtype=backend.int64)
    inside = pos[None, :] < tl[:, None]
    if targets.ndim == 1:  # sequence i starts after the lengths of the ones before it
        starts = xp.cumsum(tl) - tl
        index = xp.where(inside, starts[:, None] + pos[None, :], 0)
        labels = targets[index] if targets.size else xp.zeros((n, s_max), backend.int64)
    else:
        labels = targets[:, :s_max]
    labels = xp.where(inside, labels.astype(backend.int64), blank)
    bad = labels[inside & ((labels < 0) | (labels >= n_classes))]
    if bad.size:  # PyTorch reads past the class axis here; an error is kinder
        raise IndexError(f"target {int(bad[0])} is out of bounds for {n_classes} classes")
    ext = xp.full((n, 2 * s_max + 1), blank, dtype=backend.int64)
    ext[:, 1::2] = labels
    valid = xp.arange(2 * s_max + 1)[None, :] < 2 * tl[:, None] + 1
    return ext, valid


def _lse3(xp, a, b, c):
    """log(e^a + e^b + e^c) as PyTorch's kernel writes it (max 0 where all are -inf)."""
    m = xp.maximum(xp.maximum(a, b), c)
    m = xp.where(m == NEG_INF, 0.0, m)
    return xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m)) + m


def _shift(xp, a, k):
    """a moved k places right along the last axis (k < 0: left), -inf filling the gap."""
    out = xp.full(a.shape, NEG_INF, dtype=a.dtype)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


class CtcLoss(Function):
    """The CTC negative log-likelihood of each batch element: log_probs (T, N, C) -> (N,),
    inf where no alignment fits. The targets, lengths, blank and zero_infinity are parameters
    (not differentiated). Its gradient is not differentiable again (as in PyTorch)."""

    def forward(self, log_probs, targets=None, input_lengths=(), target_lengths=(), blank=0,
                zero_infinity=False):
        xp = backend.get_array_module(log_probs)
        n_time, n_batch, n_classes = log_probs.shape
        ext, valid = extended_labels(xp, targets, target_lengths, blank, n_classes)
        # float64 throughout: float32 inputs then agree with PyTorch's float32 kernel to rounding
        lp = log_probs.astype(backend.float64)
        # lpe[t, n, s]: the log-probability of extended label s of sequence n at time t
        lpe = lp[:, xp.arange(n_batch)[:, None], ext]
        skip = xp.zeros(ext.shape, dtype=bool)  # s - 2 -> s allowed: a label differing from s-2
        skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
        tl = xp.asarray(target_lengths, dtype=backend.int64)
        il = xp.asarray(input_lengths, dtype=backend.int64)
        alpha = xp.full(lpe.shape, NEG_INF)
        with quiet(xp):
            alpha[0, :, 0] = lpe[0, :, 0]
            if ext.shape[1] > 1:
                alpha[0, :, 1] = xp.where(tl > 0, lpe[0, :, 1], NEG_INF)
            for t in range(1, n_time):
                prev = alpha[t - 1]
                step = _lse3(xp, prev, _shift(xp, prev, 1),
                             xp.where(skip, _shift(xp, prev, 2), NEG_INF))
                alpha[t] = xp.where(valid, step + lpe[t], NEG_INF)
            # the likelihood: alignments ending on the last label or on the blank after it
            rows = alpha[xp.maximum(il - 1, 0), xp.arange(n_batch)]
            end_blank = xp.take_along_axis(rows, (2 * tl)[:, None], 1)[:, 0]
            end_label = xp.take_along_axis(rows, xp.maximum(2 * tl - 1, 0)[:, None], 1)[:, 0]
            end_label = xp.where(tl > 0, end_label, NEG_INF)
            m = xp.maximum(end_blank, end_label)
            m = xp.where(m == NEG_INF, 0.0, m)
            nll = -(xp.log(xp.exp(end_blank - m) + xp.exp(end_label - m)) + m)
        nll = xp.where(il == 0, xp.where(tl == 0, -0.0, float("inf")), nll)  # -0.0: -log 1
        self.lp, self.lpe, self.alpha, self.nll = lp, lpe, alpha, nll
        self.ext, self.valid, self.skip, self.il, self.tl = ext, valid, skip, il, tl
        self.zero_infinity = zero_infinity
        return nll.astype(log_probs.dtype)

    def backward(self, g):
        xp = backend.get_array_module(self.lp)
        unit = Tensor._make(self._unit_grad(xp).astype(g.dtype, copy=False))
        if is_grad_enabled():  # create_graph: differentiating `unit` again must fail loudly
            unit = _UnitGrad.apply(self.saved[0], unit)
        return unit * g.reshape(1, -1, 1)

    def _beta(self, xp):
        """The backward variables: log-probability of the rest of the sequence from place s
        at time t, emission at t included (PyTorch's log_beta)."""
        lpe, valid, il, tl = self.lpe, self.valid, self.il, self.tl
        n_time, n_batch, width = lpe.shape
        s = xp.arange(width)[None, :]
        last_two = (s == 2 * tl[:, None]) | ((s == 2 * tl[:, None] - 1) & (tl[:, None] > 0))
        skip_ahead = xp.zeros(self.skip.shape, dtype=bool)  # s -> s + 2 allowed
        skip_ahead[:, :-2] = self.skip[:, 2:]
        beta = xp.full(lpe.shape, NEG_INF)
        nxt = xp.full((n_batch, width), NEG_INF)
        for t in range(n_time - 1, -1, -1):
            step = _lse3(xp, nxt, _shift(xp, nxt, -1),
                         xp.where(skip_ahead, _shift(xp, nxt, -2), NEG_INF)) + lpe[t]
            start = xp.where(last_two, lpe[t], NEG_INF)
            inside = (t < il - 1)[:, None] & valid
            nxt = xp.where((t == il - 1)[:, None], start, xp.where(inside, step, NEG_INF))
            beta[t] = nxt
        return beta

    def _unit_grad(self, xp):
        """d nll_n / d log_probs[t, n, c] in PyTorch's convention, as a float64 array."""
        lp, lpe, nll = self.lp, self.lpe, self.nll
        n_time, n_batch, n_classes = lp.shape
        with quiet(xp):
            beta = self._beta(xp)
            ab = self.alpha + beta
            # log(alpha * beta / p_t(label)): the alignments through place s at time t
            q = xp.where(ab == NEG_INF, NEG_INF, ab - lpe)
            # At the last step PyTorch assigns the last label's term over the final blank's
            # instead of adding them: they differ unless a target holds the blank class.
            last = xp.nonzero((self.il > 0) & (self.tl > 0)
                              & (self.ext[xp.arange(n_batch), xp.maximum(2 * self.tl - 1, 0)]
                                 == self.ext[:, 0]))[0]
            q[self.il[last] - 1, last, 2 * self.tl[last]] = NEG_INF
            m = q.max(axis=2, keepdims=True)
            m = xp.where(m == NEG_INF, 0.0, m)
            # sum over the places s carrying class c, as one weighted bincount
            flat = (xp.arange(n_time)[:, None, None] * n_batch
                    + xp.arange(n_batch)[None, :, None]) * n_classes + self.ext[None]
            sums = xp.bincount(flat.reshape(-1), weights=xp.exp(q - m).reshape(-1),
                               minlength=lp.size).reshape(lp.shape)
            posterior = xp.exp(xp.log(sums) + m + nll[None, :, None])
            grad = xp.exp(lp) - posterior
        # PyTorch: res + nll - lp is NaN where lp = -inf, whatever the rest
        grad = xp.where(lp == NEG_INF, float("nan"), grad)
        alive = xp.arange(n_time)[:, None] < self.il[None, :]
        if self.zero_infinity:
            alive = alive & (nll != float("inf"))[None, :]
        return xp.where(alive[:, :, None], grad, 0.0)


class _UnitGrad(Function):
    """CtcLoss's gradient as a node of a create_graph=True graph: its own derivative in
    log_probs is not written (PyTorch has none either), so asking for it is an error rather
    than a silent zero."""

    def forward(self, log_probs, unit):
        return unit

    def backward(self, g):
        raise RuntimeError("the derivative of ctc_loss's gradient (double backward) is not "
                           "implemented, as in PyTorch")
