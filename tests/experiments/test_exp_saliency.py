"""The saliency experiment, quick mode: maps lose their resemblance to the trained model's once
its layers are re-initialised, and integrated gradients are complete."""
from brique import experiments


def test_saliency_quick(tmp_path):
    metrics = experiments.run("saliency", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    assert metrics["test_accuracy"] > 0.6
    errors = metrics["completeness_error"]  # steps -> max relative error
    assert errors["200"] < 0.01 and errors["200"] < errors["10"]
    corr = metrics["rank_correlation"]
    assert set(corr) == {"gradient", "SmoothGrad", "integrated gradients"}
    for measures in corr.values():
        for name in ("signed", "|map| on the digit"):
            values = measures[name]
            assert len(values) == 6 and values[0] == 1.0 and values[-1] < 0.5
    for name in ("maps.png", "cascade.png", "report.md"):
        assert (tmp_path / "saliency" / name).stat().st_size > 0
