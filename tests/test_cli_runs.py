"""The command line under mistakes and interruptions: runs are never lost or silently replaced,
a resumed run equals an uninterrupted one bit for bit, every mistake is one line and status 2."""
import gzip
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from brique import recipes
from brique.cli import main
from brique.train import Callback
from brique.train.checkpoint import load

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "datasets"))
from test_download import idx_bytes, md5, serve  # noqa: E402


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def train_args(tmp_path, *extra):
    return ("train", "mlp", "--epochs", "2", "--out", str(tmp_path), "--name", "r", "--quiet",
            *extra)


class StopAtEpoch(Callback):
    """Ctrl-C at the start of epoch `n` (the checkpoint of epoch n is written by then)."""

    def __init__(self, n):
        self.n = n

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.n:
            raise KeyboardInterrupt


def test_interrupt_then_resume_is_bit_identical(tmp_path, capsys, monkeypatch):
    assert run(capsys, *train_args(tmp_path / "straight"))[0] == 0
    straight = load(tmp_path / "straight" / "r" / "checkpoint.npz")

    real_train = recipes.train
    monkeypatch.setattr(recipes, "train",
                        lambda *a, **k: real_train(*a, **k, callbacks=[StopAtEpoch(1)]))
    code, _, err = run(capsys, *train_args(tmp_path / "cut"))
    assert code == 130
    assert "keeps epoch 1" in err and "--resume" in err and "Traceback" not in err
    ckpt = tmp_path / "cut" / "r" / "checkpoint.npz"
    assert load(ckpt)["epoch"] == 1
    monkeypatch.setattr(recipes, "train", real_train)

    code, out, _ = run(capsys, *train_args(tmp_path / "cut", "--resume"))
    assert code == 0 and "test accuracy" in out
    resumed = load(ckpt)
    assert resumed["epoch"] == 2
    for name, value in straight["model"].items():
        assert np.array_equal(value.numpy(), resumed["model"][name].numpy()), name
    rows = (tmp_path / "cut" / "r" / "history.csv").read_text().strip().splitlines()
    assert len(rows) == 3  # header + one row per epoch, across the interruption


def test_an_existing_run_is_not_replaced_silently(tmp_path, capsys):
    args = ("train", "mlp", "--dataset", "moons", "--epochs", "1", "--out", str(tmp_path),
            "--quiet")
    assert run(capsys, *args)[0] == 0
    code, _, err = run(capsys, *args)
    assert code == 2 and "--resume" in err and "--overwrite" in err
    assert run(capsys, *args, "--overwrite")[0] == 0
    code, _, err = run(capsys, *args, "--resume")
    assert code == 2 and "already has 1 epochs" in err
    path = tmp_path / "mlp-moons" / "checkpoint.npz"
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o044 == 0o044  # readable by group and others
    code, out, _ = run(capsys, "eval", str(tmp_path / "mlp-moons"))  # a run folder
    assert code == 0 and "accuracy" in out
    code, _, err = run(capsys, "predict", str(tmp_path / "mlp-moons"), str(path))
    assert code == 2 and "predict reads images" in err


@pytest.mark.parametrize("argv,message", [
    (["train", "--device", "cuda"], "no usable CUDA GPU"),
    (["train", "--device", "tpu"], "--device must be cpu or cuda"),
    (["experiment", "run", "nope"], "unknown experiment 'nope'"),
    (["datasets", "download", "nope"], "unknown dataset 'nope'"),
    (["datasets", "download", "mnist-5k"], "nothing to download"),
    (["train", "--resume", "--overwrite"], "exclude each other"),
    (["eval", "."], "without a checkpoint.npz"),
])
def test_mistakes_are_one_line(capsys, argv, message, tmp_path):
    if argv[:1] == ["train"]:
        argv = argv + ["--out", str(tmp_path)]
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_predict_on_bad_files(tmp_path, capsys):
    assert run(capsys, *train_args(tmp_path, "--epochs", "1"))[0] == 0
    ckpt = str(tmp_path / "r")
    (tmp_path / "notes.txt").write_text("not an image")
    for image, message in ((tmp_path / "missing.png", "no such image file"),
                           (tmp_path / "notes.txt", "cannot read")):
        code, _, err = run(capsys, "predict", ckpt, str(image))
        assert code == 2 and message in err and "Traceback" not in err


def test_transparent_png_is_seen_on_white(tmp_path):
    from PIL import Image
    digit = np.zeros((28, 28), np.uint8)
    digit[6:22, 12:16] = 255  # a "1" stroke
    opaque = Image.fromarray(255 - digit)  # black on white
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[..., 3] = digit  # black strokes, transparent elsewhere
    opaque.save(tmp_path / "opaque.png")
    Image.fromarray(rgba, "RGBA").save(tmp_path / "clear.png")
    a = recipes.read_image(str(tmp_path / "opaque.png"), [1, 28, 28])
    b = recipes.read_image(str(tmp_path / "clear.png"), [1, 28, 28])
    np.testing.assert_allclose(a, b, atol=1 / 255)
    assert b[0, 10, 13] > 0.9 and b[0, 2, 2] < 0.1  # white-on-black like MNIST


def test_missing_extra_names_the_pip_install(tmp_path, capsys, monkeypatch):
    assert run(capsys, *train_args(tmp_path, "--epochs", "1"))[0] == 0
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if the extra were not installed
    for name in [m for m in sys.modules if m.startswith("brique.onnx")]:
        monkeypatch.delitem(sys.modules, name)
    code, _, err = run(capsys, "export", str(tmp_path / "r"), str(tmp_path / "m.onnx"))
    assert code == 2 and "pip install 'brique[onnx]'" in err


def test_datasets_download_fetches_into_the_cache(tmp_path, capsys, monkeypatch):
    from brique.datasets import MNIST
    rng = np.random.default_rng(0)
    files = {}
    for part, n in (("train", 6), ("t10k", 4)):
        files[f"{part}-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(
            rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)))
        files[f"{part}-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(
            rng.integers(0, 10, n).astype(np.uint8)))
    monkeypatch.setattr(MNIST, "resources", {k: md5(v) for k, v in files.items()})
    monkeypatch.setenv("BRIQUE_DATA", str(tmp_path))
    serve(monkeypatch, files)
    code, out, _ = run(capsys, "datasets", "download", "mnist")
    assert code == 0 and "downloaded into" in out
    assert sorted(os.listdir(tmp_path / MNIST.subdir)) == sorted(files)
    serve(monkeypatch, {})  # offline now: the cache serves it
    code, out, _ = run(capsys, "datasets", "download", "mnist")
    assert code == 0 and "already in" in out


def test_version_and_python_m_brique():
    from brique import __version__
    out = subprocess.run([sys.executable, "-m", "brique", "--version"], capture_output=True,
                         text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.returncode == 0 and out.stdout.strip() == f"brique {__version__}"
