"""perceptron: the perceptron rule learns AND/OR, never XOR; an MLP learns XOR."""
import brique
from brique import experiments
from brique.experiments.perceptron import train_perceptron


def test_quick_run_holds_its_claim(tmp_path):
    metrics = experiments.run("perceptron", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    for gate in ("and", "or"):
        assert 1 <= metrics[f"{gate}_first_error_free_epoch"] <= 20
        assert metrics[f"{gate}_last_epoch_errors"] == 0 and metrics[f"{gate}_correct"] == 4
    assert metrics["xor_first_error_free_epoch"] == -1 and metrics["xor_min_errors"] >= 1
    assert metrics["xor_correct"] < 4
    assert metrics["mlp_xor_correct"] == 4 and metrics["mlp_xor_final_loss"] < 0.1
    assert (tmp_path / "perceptron" / "decision_boundaries.png").stat().st_size > 0


def test_perceptron_rule_stops_updating_once_separable_data_is_learned():
    brique.manual_seed(1)
    x = brique.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = brique.tensor([0.0, 0.0, 0.0, 1.0])
    w, b, errors = train_perceptron(x, y, epochs=40, lr=0.1, seed=1)
    first = errors.index(0)
    assert all(e == 0 for e in errors[first:])
