"""The lego experiment (quick): a small TPE search with brique.search over conv assemblies on
mnist-5k writes its trials table and figures and keeps the best trained model. The comparison
with LeNet-5 needs the full run's budget (one epoch on 300 images decides nothing), so the
quick mode checks the search itself, not that comparison."""
import pytest

from brique import experiments

pytest.importorskip("optuna")


def test_lego_quick(tmp_path):
    m = experiments.run("lego", quick=True, out=str(tmp_path))
    assert m["trials"] == 4 and 0 <= m["pruned"] < 4
    best = m["best_params"]
    assert 1 <= best["depth"] <= 3 and best["pool"] in ("every", "first")
    assert best["optimizer"] in ("sgd", "adam") and 1e-4 <= best["lr"] <= 0.3
    assert 0.3 < m["best_val_accuracy"] <= 1 and m["test_accuracy"]["search"] > 0.2
    folder = tmp_path / "lego"
    for name in ("trials.csv", "trials.md", "history.png", "parallel.png", "report.md"):
        assert (folder / name).stat().st_size > 0, name
    assert len((folder / "trials.csv").read_text().splitlines()) == 5
    assert "| trial | state |" in (folder / "report.md").read_text()
