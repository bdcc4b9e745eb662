"""The dropout experiment (quick): a large MLP on few images overfits; Dropout(0.5) shrinks
the train/test gap without lowering the test accuracy."""
from brique import experiments


def test_dropout_quick(tmp_path):
    metrics = experiments.run("dropout", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    plain, drop = metrics["summary"]["no dropout"], metrics["summary"]["dropout 0.5"]
    assert plain["train_acc"] > 0.98 and plain["gap"] > 0.05
    assert drop["gap"] < plain["gap"] and drop["test_acc"] >= plain["test_acc"]
    assert drop["loss_gap"] < plain["loss_gap"]
    curves = metrics["curves"]["no dropout"]
    assert len(curves["test_acc"]) == metrics["epochs"] == len(curves["train_acc"])
    assert (tmp_path / "dropout" / "curves.png").stat().st_size > 0
