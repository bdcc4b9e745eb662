"""nn.utils.prune against torch.nn.utils.prune on the same weights: masks (ties included, through
repeated and global pruning), names and state_dict keys, the forward pre-hook, gradients to
`_orig`, remove(), loading a torch-pruned state_dict, and the errors for bad amounts and dims."""
import re

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as tprune

import brique as B
import brique.nn.utils.prune as bprune
from brique.nn.utils._topk_order import topk_indices

LIBS = ((torch, tprune), (B, bprune))


def build(lib, seed=0, ints=False):
    """The same small model in both libraries: torch draws the weights, brique loads them."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Conv1d(2, 4, 3),
                                torch.nn.BatchNorm1d(4))
    with torch.no_grad():
        if ints:  # many ties in |w|
            for p in model.parameters():
                p.copy_(torch.randint(-2, 3, p.shape).float())
        model[0].bias.zero_()  # an all-zero bias: every entry ties
    if lib is torch:
        return model
    mine = B.nn.Sequential(B.nn.Linear(6, 8), B.nn.ReLU(), B.nn.Conv1d(2, 4, 3),
                           B.nn.BatchNorm1d(4))
    mine.load_state_dict({k: B.tensor(v.numpy()) for k, v in model.state_dict().items()})
    return mine


def assert_same_state(tm, bm):
    ts, bs = tm.state_dict(), bm.state_dict()
    assert list(bs) == list(ts)
    for k in ts:
        np.testing.assert_array_equal(np.asarray(bs[k]), ts[k].numpy(), err_msg=k)


def prune_many(pr, m):
    pr.l1_unstructured(m[0], "weight", amount=0.3)
    pr.l1_unstructured(m[0], "weight", amount=7)            # among the entries still unpruned
    pr.l1_unstructured(m[0], "bias", amount=3)              # all ties
    pr.ln_structured(m[2], "weight", amount=0.5, n=2, dim=0)
    pr.ln_structured(m[2], "weight", amount=1, n=1, dim=1)  # channels left by the first
    pr.l1_unstructured(m[2], "weight", amount=0.25)
    pr.identity(m[3], "weight")
    pr.global_unstructured([(m[0], "weight"), (m[2], "weight"), (m[0], "bias"), (m[3], "bias")],
                           pruning_method=pr.L1Unstructured, amount=0.2)


@pytest.mark.parametrize("ints", [False, True], ids=["floats", "integer_ties"])
def test_masks_match_torch_through_repeated_and_global_pruning(ints):
    for seed in range(8):
        tm, bm = build(torch, seed, ints), build(B, seed, ints)
        for lib, pr in LIBS:
            prune_many(pr, tm if lib is torch else bm)
        assert_same_state(tm, bm)
        (hook,) = bm[2]._forward_pre_hooks.values()
        assert isinstance(hook, bprune.PruningContainer) and len(hook) == 4  # 3 + global
        assert [type(m).__name__ for m in hook] == ["LnStructured", "LnStructured",
                                                    "L1Unstructured", "CustomFromMask"]


@pytest.mark.parametrize("n", [1, 2, 3.5, float("inf"), float("-inf"), "fro", "nuc"])
def test_ln_structured_norms_and_dims(n):
    torch.manual_seed(1)
    w = torch.randint(-3, 4, (5, 4, 3)).float()  # integer weights: channel norms tie
    for dim in (0, 1, -1) if n != "nuc" else (0,):
        t_lin, b_lin = torch.nn.Module(), B.nn.Module()
        t_lin.weight = torch.nn.Parameter(w.clone())
        b_lin.weight = B.nn.Parameter(B.tensor(w.numpy()))
        tprune.ln_structured(t_lin, "weight", amount=2, n=n, dim=dim)
        bprune.ln_structured(b_lin, "weight", amount=2, n=n, dim=dim)
        np.testing.assert_array_equal(np.asarray(b_lin.weight_mask), t_lin.weight_mask.numpy())


def test_importance_scores_and_custom_mask():
    tm, bm = build(torch, 3), build(B, 3)
    scores = np.random.default_rng(0).standard_normal((8, 6)).astype(np.float32)
    tprune.l1_unstructured(tm[0], "weight", 10, importance_scores=torch.tensor(scores))
    bprune.l1_unstructured(bm[0], "weight", 10, importance_scores=B.tensor(scores))
    mask = (np.arange(4 * 2 * 3).reshape(4, 2, 3) % 3 != 0).astype(np.float32)
    tprune.custom_from_mask(tm[2], "weight", torch.tensor(mask))
    bprune.custom_from_mask(bm[2], "weight", B.tensor(mask))
    gscores = {(tm[2], "weight"): torch.tensor(-np.abs(np.arange(24.0)).reshape(4, 2, 3))}
    tprune.global_unstructured([(tm[0], "weight"), (tm[2], "weight")], tprune.L1Unstructured,
                               importance_scores=gscores, amount=9)
    bprune.global_unstructured([(bm[0], "weight"), (bm[2], "weight")], bprune.L1Unstructured,
                               importance_scores={(bm[2], "weight"): B.tensor(
                                   -np.abs(np.arange(24.0)).reshape(4, 2, 3))}, amount=9)
    assert_same_state(tm, bm)


def test_topk_tie_order_matches_torch():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 300))
        k, largest = int(rng.integers(0, n + 1)), bool(rng.integers(2))
        x = rng.integers(0, int(rng.integers(1, 5)), n).astype(np.float64)
        x[rng.random(n) < 0.05] = np.nan
        want = sorted(torch.topk(torch.tensor(x), k, largest=largest).indices.tolist())
        assert topk_indices(x, k, largest) == want, (n, k, largest)


def test_names_hook_gradients_and_remove():
    tm, bm = build(torch, 4), build(B, 4)
    for lib, pr in LIBS:
        m = tm if lib is torch else bm
        pr.l1_unstructured(m[0], "weight", amount=0.5)
    lin = bm[0]
    assert isinstance(lin.weight_orig, B.nn.Parameter) and not isinstance(lin.weight,
                                                                         B.nn.Parameter)
    assert [n for n, _ in lin.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in lin.named_buffers()] == ["weight_mask"]
    assert bprune.is_pruned(bm) and not bprune.is_pruned(build(B))
    x = np.random.default_rng(0).standard_normal((3, 6)).astype(np.float32)
    (tm[0](torch.tensor(x)) ** 2).sum().backward()
    (lin(B.tensor(x)) ** 2).sum().backward()
    np.testing.assert_allclose(np.asarray(lin.weight_orig.grad), tm[0].weight_orig.grad.numpy(),
                               rtol=1e-5, atol=1e-6)
    assert (np.asarray(lin.weight_orig.grad)[np.asarray(lin.weight_mask) == 0] == 0).all()
    with B.no_grad():  # the pre-hook recomputes weight from the changed _orig
        lin.weight_orig.add_(1.0)
    lin(B.tensor(x))
    np.testing.assert_array_equal(np.asarray(lin.weight.detach()),
                                  (np.asarray(lin.weight_orig.detach())
                                   * np.asarray(lin.weight_mask)))
    orig = lin.weight_orig
    bprune.remove(lin, "weight")
    assert lin.weight is orig and isinstance(lin.weight, B.nn.Parameter)
    assert list(lin.state_dict()) == ["bias", "weight"] and not bprune.is_pruned(lin)
    assert not hasattr(lin, "weight_orig") and not hasattr(lin, "weight_mask")
    assert (np.asarray(lin.weight.detach()) == 0).sum() == 24


def test_load_torch_pruned_state_dict_and_train_like_torch():
    tm, bm = build(torch, 5), build(B, 6)  # different weights until the load
    for lib, pr in LIBS:
        m = tm if lib is torch else bm
        pr.random_unstructured(m[0], "weight", amount=0.4)
        pr.ln_structured(m[2], "weight", amount=1, n=2, dim=0)
    bm.load_state_dict({k: B.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    topt = torch.optim.SGD(tm.parameters(), lr=0.1)
    bopt = B.optim.SGD(bm.parameters(), lr=0.1)
    x = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    for _ in range(3):  # the mask survives optimizer steps: pruned weights stay 0
        for lib, m, opt in ((torch, tm, topt), (B, bm, bopt)):
            opt.zero_grad()
            h = m[1](m[0](lib.tensor(x)))
            m[3](m[2](h.reshape(4, 2, 4))).pow(2).mean().backward()
            opt.step()
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(np.asarray(bm.state_dict()[k]), v.numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=k)
    np.testing.assert_allclose(np.asarray(bm[0].weight.detach()),
                               tm[0].weight.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_random_pruning_counts():
    m = B.nn.Linear(10, 10)
    bprune.random_unstructured(m, "weight", amount=0.3)
    bprune.random_unstructured(m, "weight", amount=20)  # 20 more among the 70 left
    assert int((m.weight_mask == 0).sum()) == 50
    conv = B.nn.Conv2d(3, 6, 3)
    bprune.random_structured(conv, "weight", amount=0.5, dim=0)
    dead = (np.asarray(conv.weight_mask).reshape(6, -1) == 0).all(1)
    assert dead.sum() == 3 and (np.asarray(conv.weight_mask).reshape(6, -1)[~dead] == 1).all()
    bprune.random_structured(conv, "weight", amount=1, dim=0)  # one more live channel
    assert (np.asarray(conv.weight_mask).reshape(6, -1) == 0).all(1).sum() == 4
    assert float((m.weight_orig * m.weight_mask - m.weight).abs().sum()) == 0


def test_method_objects():
    t = B.tensor([[0.5, -2.0, 0.1], [3.0, -0.2, 1.0]])
    pruned = bprune.L1Unstructured(amount=2).prune(t)
    np.testing.assert_array_equal(np.asarray(pruned), [[0.5, -2.0, 0], [3.0, 0, 1.0]])
    assert bprune.L1Unstructured(0.0).compute_mask(t, B.ones_like(t)).sum().item() == 6
    with pytest.raises(TypeError):
        bprune.BasePruningMethod()  # abstract, as in PyTorch
    m = B.nn.Linear(3, 2)
    method = bprune.L1Unstructured.apply(m, "weight", amount=1)
    assert method._tensor_name == "weight" and list(m._forward_pre_hooks.values()) == [method]


def errors(fn):
    """(exception type, message) from both libraries; the message up to the module's repr,
    without the library's name and its way of printing shapes (torch.Size([2]) and (2,))."""
    out = []
    for lib, pr in LIBS:
        with pytest.raises(Exception) as info:
            fn(lib, pr)
        msg = str(info.value).split(" of module")[0]
        msg = re.sub(r"torch\.Size|[\[\](),]", "", msg)
        out.append((type(info.value), msg.replace("torch.", "").replace("brique.", "")))
    return out


@pytest.mark.parametrize("fn", [
    lambda L, P: P.l1_unstructured(L.nn.Linear(3, 2), "weight", amount=-1),
    lambda L, P: P.l1_unstructured(L.nn.Linear(3, 2), "weight", amount=1.5),
    lambda L, P: P.l1_unstructured(L.nn.Linear(3, 2), "weight", amount="half"),
    lambda L, P: P.l1_unstructured(L.nn.Linear(3, 2), "weight", amount=7),
    lambda L, P: P.ln_structured(L.nn.Linear(3, 2), "bias", amount=1, n=2, dim=0),
    lambda L, P: P.ln_structured(L.nn.Linear(3, 2), "weight", amount=1, n=2, dim=2),
    lambda L, P: P.random_structured(L.nn.Linear(3, 2), "weight", amount=3, dim=0),
    lambda L, P: P.remove(L.nn.Linear(3, 2), "weight"),
    lambda L, P: P.global_unstructured(3, P.L1Unstructured, amount=1),
    lambda L, P: P.global_unstructured([(L.nn.Linear(3, 2), "weight")], P.L1Unstructured,
                                       importance_scores=[1], amount=1),
    lambda L, P: P.global_unstructured([(L.nn.Linear(3, 2), "weight")], P.RandomStructured,
                                       amount=1),
    lambda L, P: P.l1_unstructured(L.nn.Linear(3, 2), "weight", 1,
                                   importance_scores=L.ones(3, 2)),
], ids=["negative", "over_one", "type", "too_many", "structured_1d", "bad_dim",
        "too_many_channels", "remove_unpruned", "not_iterable", "scores_not_dict",
        "global_structured", "scores_shape"])
def test_errors_match_torch(fn):
    (t_type, t_msg), (b_type, b_msg) = errors(fn)
    assert b_type is t_type
    assert b_msg == t_msg


def test_failed_pruning_leaves_the_parameter():
    for lib, pr in LIBS:
        m = lib.nn.Linear(3, 2)
        with pytest.raises(ValueError):
            pr.l1_unstructured(m, "weight", amount=100)
        assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
        assert "weight_orig" not in m._parameters and not pr.is_pruned(m)


def test_container_refuses_another_tensor():
    a, b = bprune.L1Unstructured(1), bprune.L1Unstructured(1)
    a._tensor_name, b._tensor_name = "weight", "bias"
    container = bprune.PruningContainer(a)
    with pytest.raises(ValueError, match="Can only add pruning methods"):
        container.add_pruning_method(b)
    with pytest.raises(TypeError, match="is not a BasePruningMethod"):
        container.add_pruning_method("l1")
