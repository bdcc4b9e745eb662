"""The regularization experiment (quick): L1 zeroes the useless weights, L2 shrinks them all,
and L1's largest weights are the relevant inputs."""
from brique import experiments


def test_regularization_quick(tmp_path):
    m = experiments.run("regularization", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    l1, l2, plain = m["stats"]["L1"], m["stats"]["L2"], m["stats"]["none"]
    assert l1["useless_at_zero"] > 0.8 > 0.3 > l2["useless_at_zero"]
    assert l2["relevant_mean_abs"] < plain["relevant_mean_abs"]
    assert l1["top_k_precision"] == 1.0
    assert (tmp_path / "regularization" / "weights.png").stat().st_size > 0
