"""F.ctc_loss and nn.CTCLoss against PyTorch on the same inputs: losses and gradients in float64
to 1e-10 over random shapes, target layouts, length forms, reductions, blanks, zero_infinity and
impossible alignments; PyTorch's argument checks and messages; a small model trained with both."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import brique as B
import brique.nn.functional as BF

LIB = {torch: TF, B: BF}


def draw(rng):
    """Random CTC inputs: (log_probs, targets, input_lengths, target_lengths, kwargs, batched)."""
    T, N, C = int(rng.integers(1, 10)), int(rng.integers(1, 5)), int(rng.integers(2, 6))
    S, blank = int(rng.integers(0, 6)), int(rng.integers(0, C))
    x = rng.standard_normal((T, N, C)) * 3
    if rng.random() < 0.7:  # log_softmax outputs, the usual input; else raw scores
        x = x - np.log(np.exp(x).sum(2, keepdims=True))
    tl, il = rng.integers(0, S + 1, N), rng.integers(0, T + 1, N)
    labels = rng.integers(0, C, (N, S))
    if rng.random() < 0.6:  # mostly no blank inside targets (PyTorch allows it, see below)
        labels = np.where(labels == blank, (blank + 1) % C, labels)
    if rng.random() < 0.4:
        labels = np.concatenate([labels[i, :tl[i]] for i in range(N)]).astype(np.int64)
    kwargs = dict(blank=blank, reduction=["none", "sum", "mean"][int(rng.integers(3))],
                  zero_infinity=bool(rng.integers(2)))
    batched = rng.random() < 0.8 or N > 1
    if not batched:
        x, labels = x[:, 0], labels.reshape(-1)[:tl[0]]
    return x, labels, il, tl, kwargs, batched


def run(lib, x, labels, il, tl, kwargs, as_tensors, upstream=None):
    """The loss and d loss / d log_probs (for a random upstream gradient)."""
    lp = lib.tensor(x, requires_grad=True)
    lengths = ((lib.tensor(il), lib.tensor(tl)) if as_tensors
               else (tuple(int(v) for v in il), tuple(int(v) for v in tl)))
    loss = LIB[lib].ctc_loss(lp, lib.tensor(labels), *lengths, **kwargs)
    loss.backward(lib.tensor(upstream))
    return np.asarray(loss.detach()), np.asarray(lp.grad)


def test_matches_torch_on_random_inputs():
    rng = np.random.default_rng(0)
    for trial in range(300):
        x, labels, il, tl, kwargs, batched = draw(rng)
        as_tensors = bool(rng.integers(2))
        shape = (len(tl),) if kwargs["reduction"] == "none" and batched else ()
        up = rng.standard_normal(shape)
        want = run(torch, x, labels, il, tl, kwargs, as_tensors, up)
        got = run(B, x, labels, il, tl, kwargs, as_tensors, up)
        for g, w, what in zip(got, want, ("loss", "gradient")):
            assert g.shape == w.shape and g.dtype == w.dtype, (trial, what)
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10, equal_nan=True,
                                       err_msg=f"trial {trial}: {what} {kwargs}")


def test_float32_and_integer_forms():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((12, 3, 5)).astype(np.float32)
    x = x - np.log(np.exp(x).sum(2, keepdims=True))
    labels = rng.integers(1, 5, (3, 4))
    forms = [(lambda L: L.tensor([12, 9, 7], dtype=L.int32), lambda L: L.tensor([[4], [3], [2]])),
             (lambda L: [12, 9, 7], lambda L: (4, 3, 2))]
    for il, tl in forms:
        out = []
        for lib in (torch, B):
            lp = lib.tensor(x, requires_grad=True)
            loss = LIB[lib].ctc_loss(lp, lib.tensor(labels).int(), il(lib), tl(lib))
            loss.backward()
            out.append((np.asarray(loss.detach()), np.asarray(lp.grad)))
        assert out[1][0].dtype == np.float32
        np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-5)
        np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-4, atol=1e-6)


def test_torch_quirks_are_kept():
    """A target that ends on the blank class, and -inf log-probabilities (NaN gradients)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 2, 4))
    x[2, 0, 3] = -np.inf
    x[4, 1, :] = [-800.0, 0.0, -900.0, -1000.0]  # far below exp's range
    labels = np.array([[1, 2, 0], [3, 0, 0]])  # blank 0 last inside its length
    for zero_infinity in (False, True):
        kwargs = dict(reduction="none", zero_infinity=zero_infinity)
        want = run(torch, x, labels, [6, 5], [3, 2], kwargs, False, np.ones(2))
        got = run(B, x, labels, [6, 5], [3, 2], kwargs, False, np.ones(2))
        assert np.isnan(want[1]).any()
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, equal_nan=True)


def test_long_sequences_stay_finite():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((400, 2, 6)) * 8  # peaky: alphas far below float64's range in e^x
    x = x - np.log(np.exp(x).sum(2, keepdims=True))
    labels = rng.integers(1, 6, (2, 60))
    kwargs = dict(reduction="sum")
    want = run(torch, x, labels, [400, 350], [60, 45], kwargs, True, np.array(1.0))
    got = run(B, x, labels, [400, 350], [60, 45], kwargs, True, np.array(1.0))
    assert np.isfinite(got[0]) and np.isfinite(got[1]).all()
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10)


X = np.random.default_rng(4).standard_normal((6, 2, 4))
LABELS = np.array([[1, 2, 3], [3, 1, 1]])


@pytest.mark.parametrize("call", [
    lambda L, F, lp, t: F.ctc_loss(lp, t, [7, 6], [3, 3]),
    lambda L, F, lp, t: F.ctc_loss(lp, t, [6, 6], [4, 3]),
    lambda L, F, lp, t: F.ctc_loss(lp, t, [-1, 6], [3, 3]),
    lambda L, F, lp, t: F.ctc_loss(lp, t, [6, 6], [-1, 3]),
    lambda L, F, lp, t: F.ctc_loss(lp, t, [6], [3, 3]),
    lambda L, F, lp, t: F.ctc_loss(lp, t, [6, 6], [3]),
    lambda L, F, lp, t: F.ctc_loss(lp, t, [6, 6], [3, 3], blank=4),
    lambda L, F, lp, t: F.ctc_loss(lp, t, [6, 6], [3, 3], blank=-1),
    lambda L, F, lp, t: F.ctc_loss(lp, t, [6, 6], [3, 3], reduction="avg"),
    lambda L, F, lp, t: F.ctc_loss(lp, t.flatten(), [6, 6], [3, 4]),
    lambda L, F, lp, t: F.ctc_loss(lp, t[None], [6, 6], [3, 3]),
    lambda L, F, lp, t: F.ctc_loss(lp, t[0, 0], [6, 6], [3, 3]),
    lambda L, F, lp, t: F.ctc_loss(lp.unsqueeze(0), t, [6, 6], [3, 3]),
    lambda L, F, lp, t: F.ctc_loss(lp[0], t, [6, 6], [3, 3]),
    lambda L, F, lp, t: F.ctc_loss(lp[:0], t, [0, 0], [3, 3]),
    lambda L, F, lp, t: F.ctc_loss(lp, t, L.tensor([6.0, 6.0]), L.tensor([3, 3])),
], ids=["input_too_long", "target_too_long", "negative_input", "negative_target",
        "input_count", "target_count", "blank_high", "blank_negative", "reduction",
        "concat_size", "targets_3d", "targets_0d", "log_probs_4d", "unbatched_count", "empty",
        "float_lengths"])
def test_errors_match_torch(call):
    caught = []
    for lib in (torch, B):
        with pytest.raises(Exception) as info:
            call(lib, LIB[lib], lib.tensor(X), lib.tensor(LABELS))
        caught.append(info.value)
    assert type(caught[1]) is type(caught[0])
    assert str(caught[1]) == str(caught[0])


@pytest.mark.parametrize("call", [
    lambda L, F, lp, t: F.ctc_loss(lp[:, 0], t[0], 6, 3),                 # ints, not tuples
    lambda L, F, lp, t: F.ctc_loss(lp, t, L.tensor([6, 6]), (3, 3)),      # mixed forms
    lambda L, F, lp, t: F.ctc_loss(lp, t, (6.5, 6), (3, 3)),
    lambda L, F, lp, t: F.ctc_loss(lp.long(), t, (6, 6), (3, 3)),         # torch: not for Long
])
def test_bad_types_are_refused(call):
    with pytest.raises((TypeError, NotImplementedError)):
        call(torch, TF, torch.tensor(X), torch.tensor(LABELS))
    with pytest.raises(TypeError, match="ctc_loss"):
        call(B, BF, B.tensor(X), B.tensor(LABELS))


def test_out_of_range_targets_are_an_error():
    with pytest.raises(IndexError, match="out of bounds for 4 classes"):
        BF.ctc_loss(B.tensor(X), B.tensor([[1, 2, 4], [3, 1, 1]]), (6, 6), (3, 3))
    # padding past each target's length is never read
    loss = BF.ctc_loss(B.tensor(X), B.tensor([[1, 2, -1], [3, -1, 99]]), (6, 6), (2, 1))
    want = TF.ctc_loss(torch.tensor(X), torch.tensor([[1, 2, 0], [3, 0, 0]]), (6, 6), (2, 1))
    np.testing.assert_allclose(float(loss), float(want), rtol=1e-12)


def test_unbatched_shapes():
    x = X[:, 0]
    for reduction in ("none", "mean", "sum"):
        got = BF.ctc_loss(B.tensor(x), B.tensor([1, 2]), B.tensor(6), B.tensor(2),
                          reduction=reduction)
        want = TF.ctc_loss(torch.tensor(x), torch.tensor([1, 2]), torch.tensor(6),
                           torch.tensor(2), reduction=reduction)
        assert tuple(got.shape) == tuple(want.shape) == ()
        np.testing.assert_allclose(float(got), float(want), rtol=1e-12)


def test_module_trains_like_torch():
    """A linear layer over frames, log_softmax, CTCLoss(blank=0): SGD steps in both."""
    ctc_t, ctc_b = torch.nn.CTCLoss(zero_infinity=True), B.nn.CTCLoss(zero_infinity=True)
    assert repr(ctc_b) == repr(ctc_t) == "CTCLoss()" and not ctc_b.state_dict()
    assert (ctc_b.blank, ctc_b.reduction, ctc_b.zero_infinity) == (0, "mean", True)
    torch.manual_seed(0)
    t_net = torch.nn.Linear(5, 4).double()
    b_net = B.nn.Linear(5, 4).double()
    b_net.load_state_dict({k: B.tensor(v.numpy()) for k, v in t_net.state_dict().items()})
    rng = np.random.default_rng(5)
    frames = rng.standard_normal((10, 3, 5))
    targets, il, tl = rng.integers(1, 4, (3, 4)), [10, 8, 3], [4, 3, 3]  # the last: impossible
    losses = {}
    for lib, net, ctc in ((torch, t_net, ctc_t), (B, b_net, ctc_b)):
        opt = (torch.optim.SGD if lib is torch else B.optim.SGD)(net.parameters(), lr=0.5)
        losses[lib] = []
        for _ in range(5):
            opt.zero_grad()
            loss = ctc(net(lib.tensor(frames)).log_softmax(2), lib.tensor(targets), il, tl)
            loss.backward()
            opt.step()
            losses[lib].append(loss.item())
    np.testing.assert_allclose(losses[B], losses[torch], rtol=1e-10)
    assert losses[B][-1] < losses[B][0]
    np.testing.assert_allclose(np.asarray(b_net.weight.detach()), t_net.weight.detach().numpy(),
                               rtol=1e-10, atol=1e-12)


def test_double_backward_is_refused_like_torch():
    for lib in (torch, B):
        x = lib.tensor(X, requires_grad=True)
        loss = LIB[lib].ctc_loss(x.log_softmax(2), lib.tensor(LABELS), (6, 6), (3, 3))
        (g,) = lib.autograd.grad(loss, x, create_graph=True)
        with pytest.raises(RuntimeError, match="not implemented"):
            g.pow(2).sum().backward()
