"""capacity: training error falls with the polynomial order, test error is U-shaped."""
import numpy as np

import brique
from brique import experiments
from brique.experiments.capacity import fit_polynomial, legendre_features, mse


def test_quick_run_holds_its_claim(tmp_path):
    metrics = experiments.run("capacity", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    train, test = np.array(metrics["train_mse_median"]), np.array(metrics["test_mse_median"])
    assert metrics["train_monotone_fraction"] == 1.0 and np.all(np.diff(train) <= 0)
    best = metrics["best_order"]
    assert 2 < best < 12 and test.min() < 3 * metrics["noise_variance"]
    assert metrics["test_ratio_underfit"] > 10 and metrics["test_ratio_overfit"] > 10
    assert metrics["max_normal_equation_residual"] < 1e-6
    assert (tmp_path / "capacity" / "error_vs_order.png").stat().st_size > 0


def test_legendre_features_are_the_legendre_polynomials():
    x = np.linspace(-1, 1, 7)
    phi = legendre_features(brique.tensor(x), 3).numpy()
    expected = np.stack([np.ones_like(x), x, (3 * x ** 2 - 1) / 2, (5 * x ** 3 - 3 * x) / 2], 1)
    assert np.allclose(phi, expected)


def test_a_polynomial_of_the_right_order_is_recovered_exactly():
    x = np.linspace(-1, 1, 12)
    y = 1 - 2 * x + 0.5 * x ** 3
    coef, residual = fit_polynomial(brique.tensor(x), brique.tensor(y), 3)
    assert mse(coef, brique.tensor(x), brique.tensor(y)) < 1e-20 and residual < 1e-8
