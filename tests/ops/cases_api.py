"""Registry cases for what issue 11 added for PyTorch programs: the Einsum and Round
primitives, and composites checked against PyTorch (triangles, diagonals, moves, activations,
fold/unfold, distances, instance/RMS norm, losses). Collected by cases.all_cases()."""
from __future__ import annotations

import torch
import torch.nn.functional as TF

import brique as B
import brique.nn.functional as F
from cases import Arg, Away, Case as C, P, U

SIGNS = Arg(lambda rng: rng.choice([-1.0, 1.0], (4, 5)), grad=False)

CASES = [
    # primitives
    C("einsum_matmul", lambda a, b: B.einsum("bij,bjk->bik", a, b),
      lambda a, b: torch.einsum("bij,bjk->bik", a, b), [U(2, 3, 4), U(2, 4, 2)], gradgrad=True),
    C("einsum_ellipsis_sum", lambda a, b: B.einsum("...i,ji", a, b),
      lambda a, b: torch.einsum("...i,ji", a, b), [U(2, 3, 4), U(5, 4)]),
    C("einsum_broadcast_only", lambda a: B.einsum("ij->i", a), lambda a: torch.einsum("ij->i", a),
      [U(3, 4)]),
    C("einsum_outer_partial", lambda a, b: B.einsum("ik,j->ij", a, b),
      lambda a, b: torch.einsum("ik,j->ij", a, b), [U(3, 2), U(4)]),
    C("einsum_diagonal", lambda a: B.einsum("ii->i", a), lambda a: torch.einsum("ii->i", a),
      [U(4, 4)], gradgrad=True),
    C("einsum_repeated_index", lambda a, b: B.einsum("bii,ij->bj", a, b),
      lambda a, b: torch.einsum("bii,ij->bj", a, b), [U(2, 3, 3), U(3, 4)], gradgrad=True),
    C("einsum_triple_diagonal", lambda a: B.einsum("iij->", a),
      lambda a: torch.einsum("iij->", a), [U(3, 3, 2)]),
    C("floor", B.floor, torch.floor, [Away(3, 4, kinks=(-1.0, 0.0, 1.0))]),
    C("ceil", B.ceil, torch.ceil, [Away(3, 4, kinks=(-1.0, 0.0, 1.0))]),
    C("round", B.round, torch.round, [Away(3, 4, kinks=(-1.5, -0.5, 0.5, 1.5))]),
    C("trunc", B.trunc, torch.trunc, [Away(3, 4, kinks=(-1.0, 0.0, 1.0))]),
    # triangles, diagonals, moves
    C("tril", lambda a: B.tril(a, -1), lambda a: torch.tril(a, -1), [U(2, 4, 5)]),
    C("triu", lambda a: B.triu(a, 1), lambda a: torch.triu(a, 1), [U(4, 5)]),
    C("diag_matrix", lambda a: B.diag(a, 1), lambda a: torch.diag(a, 1), [U(4, 5)]),
    C("diag_vector", lambda a: B.diag(a, -2), lambda a: torch.diag(a, -2), [U(3)]),
    C("trace", B.trace, torch.trace, [U(4, 4)]),
    C("movedim", lambda a: B.movedim(a, (0, 1), (2, 0)),
      lambda a: torch.movedim(a, (0, 1), (2, 0)), [U(2, 3, 4)]),
    C("roll", lambda a: B.roll(a, (1, -2), (0, 2)), lambda a: torch.roll(a, (1, -2), (0, 2)),
      [U(2, 3, 4)]),
    C("repeat_interleave", lambda a: B.repeat_interleave(a, 2, 1),
      lambda a: torch.repeat_interleave(a, 2, 1), [U(2, 3)]),
    C("meshgrid_xy", lambda a, b: B.meshgrid(a, b, indexing="xy"),
      lambda a, b: torch.meshgrid(a, b, indexing="xy"), [U(3), U(4)]),
    C("log2", B.log2, torch.log2, [P(3, 4)]),
    C("tan", B.tan, torch.tan, [U(3, 4, lo=-1.2, hi=1.2)]),
    C("cosh", B.cosh, torch.cosh, [U(3, 4)]),
    # activations
    C("relu6", F.relu6, TF.relu6, [Away(3, 4, kinks=(0.0, 6.0), lo=-2, hi=8)]),
    C("selu", F.selu, TF.selu, [Away(3, 4)]),
    C("celu", lambda a: F.celu(a, 0.7), lambda a: TF.celu(a, 0.7), [Away(3, 4)]),
    C("mish", F.mish, TF.mish, [U(3, 4)]),
    C("hardswish", F.hardswish, TF.hardswish, [Away(3, 4, kinks=(-3.0, 3.0), lo=-4, hi=4)]),
    C("hardsigmoid", F.hardsigmoid, TF.hardsigmoid,
      [Away(3, 4, kinks=(-3.0, 3.0), lo=-4, hi=4)]),
    C("logsigmoid", F.logsigmoid, TF.logsigmoid, [U(3, 4)]),
    C("softmin", lambda a: F.softmin(a, 1), lambda a: TF.softmin(a, 1), [U(3, 4)]),
    C("glu", F.glu, TF.glu, [U(3, 4)]),
    C("softshrink", F.softshrink, TF.softshrink, [Away(3, 4, kinks=(-0.5, 0.5))]),
    C("hardshrink", F.hardshrink, TF.hardshrink, [Away(3, 4, kinks=(-0.5, 0.5))]),
    C("tanhshrink", F.tanhshrink, TF.tanhshrink, [U(3, 4)]),
    C("threshold", lambda a: F.threshold(a, 0.3, -1.0), lambda a: TF.threshold(a, 0.3, -1.0),
      [Away(3, 4, kinks=(0.3,))]),
    C("prelu", F.prelu, TF.prelu, [Away(2, 3, 4), U(3)]),
    # fold, distances, normalization, losses
    C("unfold", lambda a: F.unfold(a, (2, 3), padding=1, stride=2),
      lambda a: TF.unfold(a, (2, 3), padding=1, stride=2), [U(2, 2, 5, 6)]),
    C("fold", lambda a: F.fold(a, (4, 5), 2), lambda a: TF.fold(a, (4, 5), 2), [U(2, 8, 12)]),
    C("pairwise_distance", F.pairwise_distance, TF.pairwise_distance, [U(3, 4), U(3, 4)]),
    C("instance_norm", F.instance_norm, TF.instance_norm, [U(2, 3, 4, 5)]),
    C("rms_norm", lambda a, w: F.rms_norm(a, (5,), w), lambda a, w: TF.rms_norm(a, (5,), w),
      [U(2, 3, 5), U(5)]),
    C("triplet_margin_loss", F.triplet_margin_loss, TF.triplet_margin_loss,
      [U(4, 5), U(4, 5), U(4, 5, lo=3.0, hi=5.0)]),
    C("soft_margin_loss", F.soft_margin_loss, TF.soft_margin_loss, [U(4, 5), SIGNS]),
    C("poisson_nll_loss", F.poisson_nll_loss, TF.poisson_nll_loss, [U(4, 5), P(4, 5)]),
    C("gaussian_nll_loss", F.gaussian_nll_loss, TF.gaussian_nll_loss,
      [U(4, 5), U(4, 5), P(4, 5)]),
    # more composites
    C("cdist", B.cdist, torch.cdist, [U(3, 4), U(5, 4)]),
    C("cdist_p1", lambda a, b: B.cdist(a, b, 1.0), lambda a, b: torch.cdist(a, b, 1.0),
      [U(2, 3, 4), U(2, 5, 4)], fd=False),
    C("logaddexp", B.logaddexp, torch.logaddexp, [U(3, 4), U(3, 4)]),
    C("fmod", lambda a: B.fmod(a, 0.7), lambda a: torch.fmod(a, 0.7),
      [Away(3, 4, kinks=(-1.4, -0.7, 0.0, 0.7, 1.4))]),
    C("hypot", B.hypot, torch.hypot, [P(3, 4), U(3, 4)]),
    C("diff", lambda a: B.diff(a, 2, 0), lambda a: torch.diff(a, 2, 0), [U(5, 3)]),
    C("addmm", lambda c, a, b: B.addmm(c, a, b, beta=0.5, alpha=2.0),
      lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2.0), [U(3, 2), U(3, 4), U(4, 2)]),
    C("lerp", lambda a, b: B.lerp(a, b, 0.3), lambda a, b: torch.lerp(a, b, 0.3),
      [U(3, 4), U(3, 4)]),
]
