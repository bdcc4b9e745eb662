"""The filters experiment (quick): hand-set filters through conv2d, LCN and pooling."""
from brique import experiments


def test_filters_quick(tmp_path):
    m = experiments.run("filters", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    assert m["conv_error"] < 1e-4 and m["identity_error"] < 1e-6
    assert m["bar_vertical"] > 3 and m["bar_horizontal"] > 3
    assert m["lcn_contrast_change"] < 0.01 < m["conv_contrast_change"]
    assert m["shift_pooled"] < m["shift_lcn"]
    assert (tmp_path / "filters" / "filters.png").stat().st_size > 0
