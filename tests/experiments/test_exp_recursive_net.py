"""recursive-net (quick): a tree network trained on depths 1-3 stays above the LSTM over
tokens on deeper trees, well above chance."""
from brique import experiments


def test_quick_run_holds_its_claim(tmp_path):
    m = experiments.run("recursive-net", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    tree, lstm = m["tree_accuracy_by_depth"], m["lstm_accuracy_by_depth"]
    assert all(t >= 0.5 and t > l for t, l in zip(tree[3:], lstm[3:]))
    assert (tmp_path / "recursive-net" / "accuracy_by_depth.png").stat().st_size > 0
