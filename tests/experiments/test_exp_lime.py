"""The LIME experiment, quick mode: LIME's top patches matter more to LeNet-5 than random
ones, and LIME finds the planted features of a tabular problem."""
from brique import experiments


def test_lime_quick(tmp_path):
    metrics = experiments.run("lime", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    top, random = metrics["digits_after_deleting_top"], metrics["digits_after_deleting_random"]
    assert sum(top) < sum(random)
    assert metrics["tabular_relevant_ratio"] > 3
    assert metrics["tabular_top_feature_relevant"] >= 0.9
    weights = metrics["tabular_mean_abs_weight"]
    assert sorted(range(10), key=lambda i: -weights[i])[:3] in ([0, 3, 6], [0, 6, 3], [3, 0, 6],
                                                                [3, 6, 0], [6, 0, 3], [6, 3, 0])
    for name in ("digits.png", "tabular.png", "report.md"):
        assert (tmp_path / "lime" / name).stat().st_size > 0
