"""The same code on a CUDA GPU (CuPy): every registered op, forward and backward, agrees with
the CPU, and a model trains there. Skipped where there is no GPU (as in CI)."""
import numpy as np
import pytest

import brique
import brique.nn as nn

pytestmark = pytest.mark.skipif(not brique.cuda.is_available(),
                                reason="needs CuPy and a CUDA GPU")


def _cases():
    import pathlib
    import sys
    sys.path.insert(0, str(pathlib.Path(__file__).parent / "ops"))
    import cases  # the op registry (tests/ops/cases.py)
    return cases.all_cases()


CASES = _cases() if brique.cuda.is_available() else []


def _run(case, arrays, device):
    xs = [brique.tensor(a, device=device, requires_grad=case.grad and a.dtype.kind == "f")
          for a in arrays]
    out = case.fn(*xs, **case.kwargs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    outs = [o for o in outs if isinstance(o, brique.Tensor)]
    grads = []
    diff = [o for o in outs if o.requires_grad]
    if diff:
        rng = np.random.default_rng(0)
        gs = [brique.tensor(rng.standard_normal(o.shape), dtype=o.dtype, device=device)
              for o in diff]
        brique.autograd.backward(diff, gs)
        grads = [x.grad for x in xs if x.requires_grad]
    return ([o.detach().cpu().numpy() for o in outs],
            [None if g is None else g.cpu().numpy() for g in grads])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op_on_gpu_matches_cpu(case):
    arrays = case.draw(np.float64)
    try:
        cpu_out, cpu_grads = _run(case, arrays, "cpu")
    except Exception as e:  # a case that does not run on the CPU either is another test's job
        pytest.skip(f"does not run on CPU: {e}")
    try:
        gpu_out, gpu_grads = _run(case, arrays, "cuda")
    except (RuntimeError, TypeError) as e:
        if "same device" not in str(e) and "Implicit conversion to a NumPy" not in str(e):
            raise
        pytest.skip("the case builds CPU tensors of its own (brique.zeros without device=)")
    for a, b in zip(cpu_out, gpu_out):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)
    for a, b in zip(cpu_grads, gpu_grads):
        if a is not None:
            np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)


def test_lenet_trains_the_same_on_gpu():
    from brique.models import LeNet5
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 32)
    weights = {}
    for device in ("cpu", "cuda"):
        brique.manual_seed(0)
        model = LeNet5().to(device)
        opt = brique.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        xb, yb = brique.tensor(x, device=device), brique.tensor(y, device=device)
        for _ in range(5):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        weights[device] = {k: v.cpu().numpy() for k, v in model.state_dict().items()}
        assert model.features[0].weight.device.type == device
    for k in weights["cpu"]:
        np.testing.assert_allclose(weights["cuda"][k], weights["cpu"][k], rtol=1e-3, atol=1e-5)


def test_fit_and_checkpoint_on_gpu(tmp_path):
    from brique.train import fit, load_checkpoint, save_checkpoint
    from brique.utils.data import DataLoader, TensorDataset
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    data = DataLoader(TensorDataset(brique.tensor(x), brique.tensor(y)), batch_size=32,
                      shuffle=True)
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 2))
    opt = brique.optim.Adam(model.parameters(), lr=0.02)
    h = fit(model, data, data, epochs=15, optimizer=opt, loss="cross_entropy",
            metrics=["accuracy"], device="cuda", verbose=0)
    assert h.history["val_accuracy"][-1] > 0.9
    save_checkpoint(tmp_path / "c.npz", model, opt, epoch=15)
    other = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 2))
    load_checkpoint(tmp_path / "c.npz", other)
    np.testing.assert_array_equal(other[0].weight.detach().numpy(),
                                  model[0].weight.detach().cpu().numpy())


def test_mixing_devices_is_a_clear_error():
    a, b = brique.ones(2), brique.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match="same device.*cpu and cuda:0"):
        a + b


def test_clip_grad_norm_without_grads_stays_on_the_device():
    w = brique.zeros(3, device="cuda", requires_grad=True)
    norm = brique.nn.utils.clip_grad_norm_([w], 1.0)
    assert norm.device.type == "cuda" and norm.item() == 0.0
