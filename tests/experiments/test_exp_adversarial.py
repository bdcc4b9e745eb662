"""The adversarial experiment, quick mode: FGSM breaks softmax regression at eps 0.25, PGD
hurts at least as much as FGSM, and adversarial training helps LeNet-5."""
from brique import experiments


def test_adversarial_quick(tmp_path):
    metrics = experiments.run("adversarial", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    assert metrics["softmax_fgsm_error_at_0.25"] >= 0.9
    accuracy = metrics["accuracy"]
    assert set(accuracy) == {"softmax regression", "MLP 784-256-10", "LeNet-5",
                             "LeNet-5, adversarially trained"}
    assert accuracy["LeNet-5"]["FGSM"][0] > 0.7  # eps 0: the clean accuracy
    for gains in metrics["adversarial_training_gain"].values():
        assert min(gains) > 0
    for name in ("accuracy.png", "examples.png", "report.md"):
        assert (tmp_path / "adversarial" / name).stat().st_size > 0
