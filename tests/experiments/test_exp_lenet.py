"""The LeNet-5 experiment, quick mode: one epoch on mnist-5k already classifies most test
digits; the report has the parameter count, the filters and the feature maps."""
from brique import experiments


def test_lenet_quick(tmp_path):
    metrics = experiments.run("lenet", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    assert metrics["parameters"] == 61706
    assert metrics["test_accuracy"] >= 0.85
    assert abs(metrics["test_error"] + metrics["test_accuracy"] - 1) < 1e-9
    assert metrics["epochs"] == 1 and len(metrics["test_accuracy_per_epoch"]) == 1
    digit = metrics["feature_map_digit"]
    assert digit["label"] == 7 and digit["predicted"] == digit["label"]
    folder = tmp_path / "lenet"
    for name in ("curves.png", "filters.png", "feature_maps.png", "report.md"):
        assert (folder / name).stat().st_size > 0
    assert "61,706" in (folder / "report.md").read_text()
