"""The cgan experiment (quick): a short run cannot reach the full claim's 80% agreement; it
shows that the conditional players train (finite, moving losses), that the discriminator is
not perfect at the end, and that one row per requested digit is drawn, in [-1, 1]."""
import math

from brique import experiments


def test_cgan_quick(tmp_path):
    metrics = experiments.run("cgan", quick=True, out=str(tmp_path))
    assert isinstance(metrics["claim_held"], bool)
    d, g = metrics["d_loss"], metrics["g_loss"]
    assert len(d) == len(g) == metrics["epochs"]
    assert all(math.isfinite(v) for v in d + g)
    assert d[-1] != d[0] and g[-1] != g[0]
    assert metrics["d_acc"][-1] < 1.0
    lo, hi = metrics["sample_range"]
    assert -1.0 <= lo <= hi <= 1.0
    assert metrics["sample_shape"] == [metrics["n_samples"], 1, 28, 28]
    assert len(metrics["agreement_per_digit"]) == 10
    assert 0.0 <= metrics["agreement"] <= 1.0
    for png in ("samples.png", "losses.png"):
        assert (tmp_path / "cgan" / png).stat().st_size > 0
