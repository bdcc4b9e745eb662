"""The gradient-descent experiment (quick): batch vs minibatch vs stochastic descent."""
from brique import experiments


def test_gradient_descent_quick(tmp_path):
    m = experiments.run("gradient-descent", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    b, mb, s = (m["stats"][k] for k in ("batch", "minibatch (32)", "stochastic (1)"))
    assert s["loss_after_1_epoch"] < b["loss_after_1_epoch"]
    assert mb["loss_after_1_epoch"] < b["loss_after_1_epoch"]
    assert s["path_tortuosity"] > mb["path_tortuosity"] > b["path_tortuosity"]
    assert b["loss_rises"] < s["loss_rises"]
    assert (tmp_path / "gradient-descent" / "descent.png").stat().st_size > 0
