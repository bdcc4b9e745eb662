"""The init experiment (quick): small weights collapse tanh activations, Xavier keeps them;
with ReLU, Xavier fades and He keeps them."""
import brique
from brique import experiments


def test_init_quick(tmp_path):
    metrics = experiments.run("init", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    r = metrics["std_ratio_last_first"]
    assert r["tanh, N(0, 0.01)"] < 1e-3
    assert r["tanh, Xavier normal"] > 0.3 and r["tanh, Xavier uniform"] > 0.3
    assert r["ReLU, Xavier normal"] < 0.15 < 0.5 < r["ReLU, He normal"] < 2
    stds = metrics["activation_std"]["tanh, N(0, 0.01)"]
    assert len(stds) == metrics["depth"] and all(b < a for a, b in zip(stds, stds[1:]))
    grads = metrics["grad_norm"]
    assert max(grads["tanh, N(0, 0.01)"]) < 1e-3 * min(grads["tanh, Xavier normal"])
    for name in ("report.md", "histograms.png", "per_layer.png"):
        assert (tmp_path / "init" / name).stat().st_size > 0
