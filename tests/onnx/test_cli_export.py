"""`brique export CHECKPOINT out.onnx` for models `brique train` makes."""
import numpy as np
import pytest

import brique
from brique import cli, recipes
from brique.train.checkpoint import save_checkpoint

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


@pytest.mark.parametrize("name", ["mlp", "lenet5"])
def test_export_a_trained_checkpoint(name, tmp_path, capsys):
    brique.manual_seed(0)
    config = {"model": name, "dataset": "mnist-5k", "input_shape": [1, 28, 28],
              "num_classes": 10, "normalize": [0.13, 0.31], "recipe": "default"}
    model = recipes.build_model(name, config["input_shape"], config["num_classes"])
    save_checkpoint(tmp_path / "ckpt.npz", model, config=config)
    assert cli.main(["export", str(tmp_path / "ckpt.npz"), str(tmp_path / "m.onnx")]) == 0
    assert "logits (batch, 10)" in capsys.readouterr().out
    images = np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    logits = session.run(None, {"image": images})[0]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    for image, p in zip(images, probs):
        np.testing.assert_allclose(p, recipes.predict_probabilities(model, config, image),
                                   atol=1e-5)


def test_export_of_a_missing_checkpoint_is_one_line(tmp_path, capsys):
    assert cli.main(["export", str(tmp_path / "nope.npz"), str(tmp_path / "m.onnx")]) == 2
    assert "error" in capsys.readouterr().err
