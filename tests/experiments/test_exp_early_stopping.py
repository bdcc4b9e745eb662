"""The early-stopping experiment (quick): the validation loss turns up, EarlyStopping stops
`patience` epochs later and restores the best weights."""
from brique import experiments


def test_early_stopping_quick(tmp_path):
    m = experiments.run("early-stopping", quick=True, out=str(tmp_path))
    assert m["claim_held"] and m["same_path"]
    assert m["best_epoch"] < m["stopped_after"] < m["epochs"]
    es, on = m["test"]["early_stopping"], m["test"]["trained_on"]
    assert es["loss"] < on["loss"] and es["accuracy"] >= on["accuracy"] - 0.02
    assert (tmp_path / "early-stopping" / "curves.png").stat().st_size > 0
