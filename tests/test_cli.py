"""The `brique` command: train/eval/predict/datasets, and one-line errors with status 2."""
import os

import numpy as np
import pytest

from brique import datasets
from brique.cli import main


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_train_eval_predict_round_trip(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "mlp", "--epochs", "1", "--out", str(tmp_path),
                       "--name", "r", "--quiet")
    assert code == 0 and "test accuracy" in out
    acc = float(out.split("test accuracy: ")[1].split()[0])
    assert acc > 0.85  # one epoch of an MLP on mnist-5k
    run_dir = tmp_path / "r"
    assert sorted(os.listdir(run_dir)) == ["checkpoint.npz", "curves.png", "history.csv"]
    code, out, _ = run(capsys, "eval", str(run_dir / "checkpoint.npz"))
    assert code == 0 and f"accuracy {acc:.4f}" in out

    from PIL import Image

    from brique import recipes
    model, config = recipes.load_model(run_dir / "checkpoint.npz")
    images, labels = datasets.mnist_5k()
    i = next(i for i in range(4990, 5000)  # a test image the model gets right
             if np.argmax(recipes.predict_probabilities(model, config, images[i][None] / 255))
             == labels[i])
    Image.fromarray(255 - images[i]).save(tmp_path / "digit.png")  # black on white, as drawn
    code, out, _ = run(capsys, "predict", str(run_dir / "checkpoint.npz"),
                       str(tmp_path / "digit.png"))
    assert code == 0 and out.startswith(f"class: {labels[i]}")
    probs = [float(line.split(":")[1]) for line in out.splitlines()[1:]]
    assert len(probs) == 10 and abs(sum(probs) - 1) < 1e-3


def test_train_on_a_generated_set(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "mlp", "--dataset", "moons", "--epochs", "3",
                       "--optimizer", "adam", "--out", str(tmp_path), "--quiet")
    assert code == 0 and (tmp_path / "mlp-moons" / "checkpoint.npz").exists()


@pytest.mark.parametrize("argv,message", [
    (["train", "resnet999"], "unknown model 'resnet999'"),
    (["train", "--epochs", "-2"], "--epochs: must be positive"),
    (["train", "--dataset", "nope"], "unknown dataset 'nope'"),
    (["train", "lenet5", "--dataset", "moons"], "lenet5 needs images"),
    (["train", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    (["eval", "/no/such/checkpoint.npz"], "no such checkpoint or run folder"),
    (["predict", "/no/such/checkpoint.npz", "x.png"], "no such checkpoint or run folder"),
    ([], "the following arguments are required"),
])
def test_bad_arguments_give_one_line_and_status_2(capsys, argv, message, tmp_path):
    code, _, err = run(capsys, *argv, *(["--out", str(tmp_path)] if argv[:1] == ["train"]
                                        else []))
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_not_a_checkpoint(capsys, tmp_path):
    np.savez(tmp_path / "x.npz", a=np.ones(2))
    code, _, err = run(capsys, "eval", str(tmp_path / "x.npz"))
    assert code == 2 and "not a brique checkpoint" in err


def test_datasets_lists_offline_sets(capsys):
    code, out, _ = run(capsys, "datasets")
    assert code == 0
    lines = {line.split()[0]: line.split()[1] for line in out.splitlines()}
    assert lines["mnist-5k"] == "offline" and lines["xor"] == "offline"
    assert set(lines) >= {"mnist", "fashion-mnist", "cifar10", "digits", "circle", "spirals"}


def test_help_everywhere(capsys):
    for argv in (["--help"], ["train", "--help"], ["eval", "--help"], ["predict", "--help"],
                 ["datasets", "--help"]):
        code, out, _ = run(capsys, *argv)
        assert code == 0 and "usage: brique" in out
