"""The nn functionals that tests/test_fuzz_new_ops.py left out (margin losses, pdist, lp_pool,
the 3-D convolutions and pools, threshold_) and a few more (embedding_bag, gumbel_softmax,
max_unpool, conv_transpose3d, 5-D interpolate, feature_alpha_dropout) against PyTorch as the
oracle, on empty, integer, bool, nan and out-of-range input. FUZZ_SEEDS=1000 searches longer."""
import copy
import os

import numpy as np
import pytest

import brique
from test_fuzz_errors import CLEAR, as_numpy, outcome
from test_fuzz_new_ops import check, draw_dtype, draw_shape, nn_cases, values

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")


def _F(L):
    return L.nn.functional


def _T(L, v):
    return L.tensor(v.copy())


def _l1(L):
    return lambda a, b: (a - b).abs().sum(-1)


def extra_cases(rng):
    """Calls whose answer is deterministic in both libraries (shapes where they are random)."""
    F, T = _F, _T
    n, d = int(rng.integers(0, 3)), int(rng.integers(0, 4))
    dtype = draw_dtype(rng, floats_only=rng.random() < 0.8)
    a, p_, n_ = (values(rng, (n, d), dtype) for _ in range(3))
    margin = float(rng.choice([0.0, 1.0, -0.5]))
    swap = bool(rng.random() < 0.5)
    reduction = str(rng.choice(["mean", "sum", "none"]))
    # embedding_bag: offsets sometimes not starting at 0; indices in range, as PyTorch reads
    # an out-of-range index unchecked (garbage or a crash)
    rows, dim = int(rng.integers(1, 5)), int(rng.integers(0, 3))
    weight = values(rng, (rows, dim), "float32" if rng.random() < 0.9 else "int64")
    nidx = int(rng.integers(0, 6))
    idx = rng.integers(0, rows, nidx).astype(np.int64)
    last = bool(rng.random() < 0.3)
    # PyTorch crashes on include_last_offset with a single offset (no bag): two at least then
    offs = np.sort(rng.integers(0, nidx + 1, int(rng.integers(1 + last, 4)))).astype(np.int64)
    if rng.random() < 0.8:
        offs[0] = 0
    if last:  # the last offset must be the input's length (PyTorch divides by garbage else)
        offs[-1] = nidx
    mode = str(rng.choice(["sum", "mean", "max", "bad"]))
    idx2 = rng.integers(0, rows, (int(rng.integers(0, 3)), int(rng.integers(0, 3)))).astype(
        np.int64)
    psw = values(rng, idx.shape, "float32") if mode == "sum" and rng.random() < 0.5 else None
    logits_shape = draw_shape(rng, 1, 4, (1, 2, 3))
    logits = values(rng, logits_shape, "float32")
    logits = np.nan_to_num(logits, nan=0.0, posinf=3.0, neginf=-3.0)
    gdim = int(rng.integers(-len(logits_shape), len(logits_shape)))
    tau = float(rng.choice([1.0, 0.5]))
    # max_unpool: indices from a real max_pool so that both libraries scatter the same places
    k = int(rng.integers(1, 3))
    seq = values(rng, (int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.integers(
        k, 6))), "float32")
    vol = values(rng, (1, int(rng.integers(1, 3))) + tuple(int(rng.integers(k, 4))
                                                          for _ in range(3)), "float32")
    seq, vol = (np.nan_to_num(v, nan=0.5, posinf=4.0, neginf=-4.0) for v in (seq, vol))
    grow = int(rng.integers(0, 2))
    vol_dtype = draw_dtype(rng, floats_only=rng.random() < 0.7)
    cin, cout, groups = int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
    tin = values(rng, (int(rng.integers(0, 3)), cin * groups) + tuple(
        int(rng.integers(1, 4)) for _ in range(3)), vol_dtype)
    tw = values(rng, (cin * groups, cout, 2, 2, 2), vol_dtype)
    tb = values(rng, (cout * groups,), vol_dtype) if rng.random() < 0.5 else None
    st, pad, opad = int(rng.integers(1, 3)), int(rng.integers(0, 2)), int(rng.integers(0, 2))
    interp = values(rng, (int(rng.integers(0, 2)), 2) + tuple(int(rng.integers(1, 4))
                                                              for _ in range(3)), vol_dtype)
    imode = str(rng.choice(["nearest", "trilinear", "nearest-exact", "area", "bilinear"]))
    size = tuple(int(v) for v in rng.integers(0, 5, 3)) if rng.random() < 0.5 else None
    scale = None if size is not None else float(rng.choice([0.5, 1.0, 2.0, 1.5]))
    align = (None if imode not in ("trilinear",) else bool(rng.random() < 0.5))
    shuffle = values(rng, draw_shape(rng, 2, 5, (0, 1, 2, 4)), dtype)
    groups_s = int(rng.integers(-1, 5))
    lp = values(rng, draw_shape(rng, 2, 5, (1, 2, 3, 4)), dtype)
    norm = float(rng.choice([1.0, 2.0, 3.0, np.inf]))
    lk = tuple(int(v) for v in rng.integers(0, 3, 2)) if rng.random() < 0.5 else int(
        rng.integers(0, 3))
    fad = values(rng, draw_shape(rng, 0, 5), dtype)
    cases = [
        ("triplet_margin_with_distance_loss", lambda L: F(L).triplet_margin_with_distance_loss(
            T(L, a), T(L, p_), T(L, n_), margin=margin, swap=swap, reduction=reduction)),
        ("triplet_margin_with_distance_loss_l1", lambda L: F(
            L).triplet_margin_with_distance_loss(T(L, a), T(L, p_), T(L, n_),
                                                 distance_function=_l1(L), margin=margin,
                                                 swap=swap, reduction=reduction)),
        ("embedding_bag", lambda L: F(L).embedding_bag(
            T(L, idx), T(L, weight), T(L, offs), mode=mode, include_last_offset=last,
            per_sample_weights=None if psw is None else T(L, psw))),
        ("embedding_bag_2d", lambda L: F(L).embedding_bag(T(L, idx2), T(L, weight), mode=mode)),
        ("gumbel_softmax", lambda L: _gumbel(L, logits, tau, gdim, hard=False)),
        ("gumbel_softmax_hard", lambda L: _gumbel(L, logits, tau, gdim, hard=True)),
        ("channel_shuffle", lambda L: F(L).channel_shuffle(T(L, shuffle), groups_s)),
        ("lp_pool2d", lambda L: F(L).lp_pool2d(T(L, lp), norm, lk)),
        ("max_unpool1d", lambda L: _unpool(L, 1, seq, k, grow)),
        ("max_unpool3d", lambda L: _unpool(L, 3, vol, k, grow)),
        ("conv_transpose3d", lambda L: F(L).conv_transpose3d(
            T(L, tin), T(L, tw), None if tb is None else T(L, tb), stride=st, padding=pad,
            output_padding=opad if opad < st else 0, groups=groups)),
        ("interpolate_5d", lambda L: F(L).interpolate(
            T(L, interp), size=size, scale_factor=scale, mode=imode, align_corners=align)),
        ("feature_alpha_dropout", lambda L: F(L).feature_alpha_dropout(T(L, fad), 0.5, False)),
    ]
    return cases


def _gumbel(L, logits, tau, dim, hard):
    """Random draws differ between libraries: shape, dtype, a sum of 1 along `dim` and, when
    hard, exactly one 1 per slice stand for the values."""
    out = _F(L).gumbel_softmax(_T(L, logits), tau=tau, hard=hard, dim=dim)
    sums = out.sum(dim)
    ones = (out == 1).sum(dim) if hard else sums.round()
    zeros = ((out == 0) | (out == 1)).all() if hard else (out >= 0).all()
    return [out * 0, sums.round(), ones, zeros]


def _unpool(L, nd, data, k, grow):
    F = _F(L)
    pool = F.max_pool1d if nd == 1 else F.max_pool3d
    unpool = F.max_unpool1d if nd == 1 else F.max_unpool3d
    out, ind = pool(_T(L, data), k, return_indices=True)
    size = None
    if grow:  # an output_size one larger than the default, allowed while below stride
        size = [s * k + (1 if k > 1 else 0) for s in out.shape[-nd:]]
    return unpool(out, ind, k, output_size=size)


# PyTorch is no oracle for a convolution's nan and inf (its float32 kernel skips the padding,
# its float64 kernel multiplies the padded zeros: 0 * inf = nan), nor for a transposed
# convolution whose output has a size 0 (some of its kernels refuse, others give an empty
# tensor; brique refuses), nor for trilinear interpolation of nan and inf (its kernels disagree:
# linear([1, inf, 3]) -> [nan, inf, inf, inf, 3] where trilinear gives [nan, nan, nan, nan, 3];
# brique keeps them to the outputs whose taps reach them). These compare errors, shapes,
# dtypes and the values finite in both.
LOOSE = ("conv3d", "conv_transpose3d", "interpolate_5d")


def check_loose(name, fn):
    (t_kind, t_val), (b_kind, b_val) = outcome(fn, torch), outcome(fn, brique)
    if t_kind == "ok" and b_kind == "error" and t_val.numel() == 0 and isinstance(b_val, CLEAR):
        return None
    if t_kind != "ok" or b_kind != "ok":
        return check(name, fn)
    t_val, b_val = as_numpy(t_val), as_numpy(b_val)
    if t_val.shape != b_val.shape or t_val.dtype != b_val.dtype:
        return f"{name}: shape or dtype differ: {t_val.shape} {t_val.dtype}, {b_val.shape} " \
               f"{b_val.dtype}"
    both = np.isfinite(t_val) & np.isfinite(b_val) if t_val.dtype.kind == "f" else True
    if not np.allclose(np.where(both, t_val, 0), np.where(both, b_val, 0), rtol=2e-3,
                       atol=2e-3):
        return f"{name}: different result\n torch {t_val!r}\n brique {b_val!r}"
    return None


SEEDS = int(os.environ.get("FUZZ_SEEDS", 60))


def nn_cases_marked(rng):
    """nn_cases, its margin losses on an empty batch compared by shape and dtype only ("~"):
    PyTorch's mean over no samples is whatever its memory held (brique gives nan)."""
    empty = int(copy.deepcopy(rng).integers(0, 3)) == 0  # nn_cases' first draw: the batch size
    margin = ("multi_margin_loss", "multilabel_margin_loss")
    return [("~" + name if empty and name in margin else name, fn)
            for name, fn in nn_cases(rng)]


def run_seed(seed):
    rng = np.random.default_rng(10_000 + seed)
    problems = []
    for family in (nn_cases_marked, extra_cases):
        for _ in range(2):
            for name, fn in family(rng):
                problem = (check_loose if name in LOOSE else check)(name, fn)
                if problem:
                    problems.append(problem)
    return problems


@pytest.mark.parametrize("seed", range(SEEDS))
def test_nn_functionals_against_pytorch(seed):
    problems = run_seed(seed)
    assert not problems, "\n".join(problems)


NAN, INF = float("nan"), float("inf")
# Regression checks for the differences the fuzzing found, each against PyTorch.
REGRESSIONS = [
    ("max_pool3d int64", lambda L: _F(L).max_pool3d(L.arange(24).reshape(1, 2, 3, 4), 2,
                                                    padding=1)),
    ("max_pool3d bool", lambda L: _F(L).max_pool3d(L.ones(1, 2, 2, 2, dtype=L.bool), 2)),
    ("max_pool3d too small", lambda L: _F(L).max_pool3d(L.ones(2, 4, 1, 2), 2)),
    ("avg_pool3d int64", lambda L: _F(L).avg_pool3d(L.tensor([[[[-1, -2], [2, -2]]]]),
                                                    (1, 2, 2))),
    ("avg_pool3d uint8", lambda L: _F(L).avg_pool3d(L.ones(1, 2, 2, 2, dtype=L.uint8), 2)),
    ("avg_pool3d smaller than kernel", lambda L: _F(L).avg_pool3d(L.ones(1, 3, 1, 2), 3,
                                                                  padding=1)),
    ("adaptive_avg_pool3d nan", lambda L: _F(L).adaptive_avg_pool3d(
        L.tensor([[[[1.0, NAN, 3.0, 4.0]]]]), (1, 1, 2))),
    ("adaptive_avg_pool3d int64", lambda L: _F(L).adaptive_avg_pool3d(L.ones(1, 2, 2, 2,
                                                                             dtype=L.int64), 1)),
    ("conv3d int64", lambda L: _F(L).conv3d(L.arange(16).reshape(1, 2, 2, 2, 2),
                                            L.arange(16).reshape(1, 2, 2, 2, 2) - 5, padding=1)),
    ("conv3d bool", lambda L: _F(L).conv3d(L.ones(1, 1, 2, 2, 2, dtype=L.bool),
                                           L.ones(1, 1, 1, 1, 1, dtype=L.bool))),
    ("conv_transpose3d int64", lambda L: _F(L).conv_transpose3d(
        L.arange(8).reshape(1, 1, 2, 2, 2), L.arange(8).reshape(1, 1, 2, 2, 2), stride=2)),
    ("conv_transpose3d uint8", lambda L: _F(L).conv_transpose3d(
        L.ones(1, 1, 2, 2, 2, dtype=L.uint8), L.ones(1, 1, 2, 2, 2, dtype=L.uint8))),
    ("multi_margin_loss nan", lambda L: _F(L).multi_margin_loss(
        L.tensor([[NAN, 1.0, 2.0], [INF, 0.0, 1.0]]), L.tensor([0, 0]), reduction="none")),
    ("multi_margin_loss no classes", lambda L: _F(L).multi_margin_loss(
        L.ones(2, 0), L.tensor([0, 0]))),
    ("multilabel_margin_loss inf", lambda L: _F(L).multilabel_margin_loss(
        L.tensor([[INF, 1.0, -INF]]), L.tensor([[0, 2, -1]]), reduction="none")),
    ("multilabel_margin_loss int64", lambda L: _F(L).multilabel_margin_loss(
        L.ones(1, 3, dtype=L.int64), L.tensor([[0, -1, 1]]))),
    ("pdist no features", lambda L: _F(L).pdist(L.ones(3, 0), INF)),
    ("pdist int64", lambda L: _F(L).pdist(L.ones(3, 2, dtype=L.int64))),
    ("threshold_ nan", lambda L: _F(L).threshold_(L.tensor([NAN, 0.0, 5.0]), 0.1, 20.0)),
    ("embedding_bag max nan", lambda L: _F(L).embedding_bag(
        L.tensor([[1, 0], [0, 1]]), L.tensor([[3.0, 1.0], [NAN, 2.0]]), mode="max")),
    ("embedding_bag int64 weight", lambda L: _F(L).embedding_bag(
        L.tensor([[1, 0]]), L.ones(2, 2, dtype=L.int64))),
    ("embedding_bag empty bags", lambda L: _F(L).embedding_bag(
        L.ones(2, 0, dtype=L.int64), L.ones(2, 2))),
    ("gumbel_softmax int64", lambda L: _F(L).gumbel_softmax(L.ones(2, 3, dtype=L.int64))),
    ("lp_pool1d inf int64", lambda L: _F(L).lp_pool1d(L.ones(1, 2, 4, dtype=L.int64), INF, 2)),
    ("adaptive_max_pool1d int64", lambda L: _F(L).adaptive_max_pool1d_with_indices(
        L.ones(1, 2, 4, dtype=L.int64), 2)),
    ("interpolate int64", lambda L: _F(L).interpolate(L.ones(1, 1, 2, 2, 2, dtype=L.int64),
                                                      scale_factor=2.0)),
    ("interpolate uint8", lambda L: _F(L).interpolate(L.ones(1, 1, 2, 2, 2, dtype=L.uint8),
                                                      scale_factor=2.0)),
    ("interpolate area size 0", lambda L: _F(L).interpolate(L.ones(1, 2, 3, 3, 3),
                                                            size=(4, 0, 3), mode="area")),
    ("interpolate nearest size 0", lambda L: _F(L).interpolate(L.ones(1, 2, 3, 3, 3),
                                                               size=(4, 0, 3))),
]


@pytest.mark.parametrize("name, fn", REGRESSIONS, ids=[r[0] for r in REGRESSIONS])
def test_found_differences_stay_fixed(name, fn):
    problem = check(name, fn)
    assert problem is None, problem


def test_trilinear_nan_stays_in_its_taps():
    """A nan reaches only the outputs whose two taps include it (the weight matrices spread
    it everywhere)."""
    x = np.ones((1, 1, 1, 1, 4))
    x[..., 0] = np.nan
    out = brique.nn.functional.interpolate(brique.tensor(x), size=(1, 1, 8), mode="trilinear")
    got = out.numpy().ravel()
    # sources at 0.25 * (2 i - 1) clipped at 0: outputs 0, 1, 2 have a tap at 0
    assert np.isnan(got[:3]).all() and np.allclose(got[3:], 1.0)


def test_gumbel_softmax_hard_is_one_hot_with_soft_gradient():
    logits = brique.tensor(np.random.default_rng(0).normal(size=(4, 5)), requires_grad=True)
    out = brique.nn.functional.gumbel_softmax(logits, tau=0.5, hard=True)
    values = out.detach().numpy()
    assert np.array_equal(np.sort(values, 1)[:, -1], np.ones(4))
    assert np.array_equal((values == 0).sum(1), np.full(4, 4))
    (out * brique.arange(5.0)).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0
