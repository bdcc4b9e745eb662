"""feature-engineering: phi(x) = (x1^2, x2^2) makes the unit circle linearly separable."""
import brique
from brique import experiments
from brique.experiments.feature_engineering import (accuracy, draw, logistic_regression, phi,
                                                     train)


def test_quick_run_holds_its_claim(tmp_path):
    metrics = experiments.run("feature-engineering", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    assert metrics["raw_n300_test_accuracy"] < 0.70 and metrics["raw_n30_test_accuracy"] < 0.70
    assert metrics["phi_n30_test_accuracy"] > 0.95
    # Few points: the engineered feature beats the learned one; many points: the MLP learns it.
    assert metrics["phi_n30_test_accuracy"] > metrics["mlp_n30_test_accuracy"] + 0.05
    assert metrics["mlp_n300_test_accuracy"] > 0.95
    a, b = metrics["phi_n30_boundary"]
    assert 0.8 < a < 1.2 and 0.8 < b < 1.2
    folder = tmp_path / "feature-engineering"
    assert (folder / "decision_boundaries.png").stat().st_size > 0


def test_phi_maps_the_circle_to_a_line():
    x = brique.tensor([[0.6, 0.8], [-1.0, 0.0]])
    assert (phi(x).sum(1) - 1).abs().max().item() < 1e-6


def test_logistic_regression_on_phi_fits_its_training_points():
    brique.manual_seed(0)
    x, y = draw(50, seed=3)
    model = logistic_regression()
    train(model, phi, x, y, steps=400, lr=0.1)
    assert accuracy(model, phi, x, y) >= 0.96
