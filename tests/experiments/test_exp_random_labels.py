"""The random-labels experiment (quick): an MLP memorises random labels, more slowly than real
ones, and tests at chance."""
from brique import experiments


def test_random_labels_quick(tmp_path):
    m = experiments.run("random-labels", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    clean, noise = m["summary"]["0% random"], m["summary"]["100% random"]
    assert clean["train_accuracy"] >= 0.99 and noise["train_accuracy"] >= 0.99
    assert clean["epochs_to_fit"] < noise["epochs_to_fit"]
    assert clean["test_accuracy"] > 0.75 and abs(noise["test_accuracy"] - 0.1) < 0.05
    assert (tmp_path / "random-labels" / "curves.png").stat().st_size > 0
