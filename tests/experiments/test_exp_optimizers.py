"""The optimizers experiment, quick mode: momentum, Nesterov and Adam beat plain SGD on the
ill-conditioned quadratic, and every momentum/adaptive method trains the MLP faster."""
import math

from brique import experiments


def test_optimizers_quick(tmp_path):
    metrics = experiments.run("optimizers", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    sgd = metrics["quadratic_final_sgd"]
    for name in ("momentum", "nesterov", "adam"):
        assert metrics[f"quadratic_final_{name}"] < sgd / 10
        assert metrics[f"quadratic_final_{name}"] < metrics["quadratic_final_sgd_best_lr"]
    for name in ("momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam"):
        assert metrics[f"mlp_train_loss_{name}"] < metrics["mlp_train_loss_sgd"]
        assert metrics[f"mlp_test_accuracy_{name}"] > 0.75
    # Momentum follows Rosenbrock's valley far better than plain SGD at the same lr.
    assert metrics["rosenbrock_final_momentum"] < metrics["rosenbrock_final_sgd"] / 100
    assert all(math.isfinite(metrics[f"rosenbrock_final_{n}"]) for n in ("sgd", "adam"))
    for name in ("mlp_curves.png", "trajectories.png", "values.png", "report.md"):
        assert (tmp_path / "optimizers" / name).stat().st_size > 0
