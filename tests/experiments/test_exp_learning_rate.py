"""The learning-rate experiment (quick): the four regimes of gradient descent on a quadratic,
and 1/lambda_max (power iteration on Hessian-vector products) near the best swept SGD rate."""
import brique
from brique import experiments


def test_learning_rate_quick(tmp_path):
    metrics = experiments.run("learning-rate", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    q = metrics["quadratic"]
    start = q["slow"]["losses"][0]
    assert q["slow"]["sign_changes"] == 0 and q["slow"]["final_loss"] < start
    assert q["optimal"]["top_after_1"] < 1e-9
    assert q["oscillating"]["sign_changes"] > 0 and q["oscillating"]["final_loss"] < start
    assert q["diverging"]["final_loss"] > start
    # the loss after a few epochs is a minimum near 1/lambda_max
    assert metrics["lambda_max"] > 0
    assert 0.25 <= metrics["best_lr_times_lambda_max"] <= 4
    finals = metrics["sweep_final_loss"]
    assert min(finals) < 0.5 * finals[0] and min(finals) < 0.5 * finals[-1]
    for name in ("report.md", "quadratic.png", "sweep.png"):
        assert (tmp_path / "learning-rate" / name).stat().st_size > 0


def test_hessian_vector_product_matches_a_known_hessian():
    from brique.experiments.learning_rate import hessian_vector_product, top_eigenvalue
    a = brique.tensor([[3.0, 1.0], [1.0, 2.0]])
    w = brique.tensor([0.5, -1.0], requires_grad=True)
    loss_fn = lambda: 0.5 * (w @ (a @ w)) + (w ** 3).sum() / 6  # Hessian A + diag(w)
    (hv,) = hessian_vector_product(loss_fn, [w], [brique.tensor([1.0, 0.0])])
    assert brique.allclose(hv, brique.tensor([3.5, 1.0]))
    lam, _ = top_eigenvalue(loss_fn, [w], 50, seed=0)
    # eigenvalues of [[3.5, 1], [1, 1]]: (4.5 +- sqrt(2.5^2 + 4)) / 2
    assert abs(lam - (4.5 + (2.5 ** 2 + 4) ** 0.5) / 2) < 1e-4
