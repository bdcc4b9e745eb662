"""Checkpoints: round trips, atomic writes, clear errors on bad files, never pickle."""
import os
import zipfile

import numpy as np
import pytest

import brique
import brique.nn as nn
from brique.train import CheckpointError, load, load_checkpoint, save, save_checkpoint


def test_round_trip_of_nested_state(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = brique.optim.Adam(model.parameters(), lr=1e-3)
    model(brique.randn(5, 3)).sum().backward()
    opt.step()
    state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
             "name": "x", "pair": (1, 2.5), "none": None, "array": np.arange(3)}
    save(state, tmp_path / "c.npz")
    back = load(tmp_path / "c.npz")
    assert back["epoch"] == 3 and back["name"] == "x" and back["pair"] == (1, 2.5)
    assert back["none"] is None and np.array_equal(back["array"], np.arange(3))
    for k, v in state["model"].items():
        assert np.array_equal(back["model"][k].numpy(), v.numpy())
    assert set(back["optimizer"]["state"]) == {0, 1, 2, 3}  # int keys survive
    opt2 = brique.optim.Adam(model.parameters(), lr=1e-3)
    opt2.load_state_dict(back["optimizer"])
    assert opt2.state_dict()["state"][0]["step"] == opt.state_dict()["state"][0]["step"]


def test_unsupported_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot store a object"):
        save({"x": object()}, tmp_path / "c.npz")
    assert not os.listdir(tmp_path)


def test_a_crash_mid_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    save({"w": brique.ones(3)}, path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save({"w": brique.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["c.npz"]  # no temporary file left behind


def test_truncated_checkpoint_fails_clearly(tmp_path):
    path = tmp_path / "c.npz"
    save({"w": brique.randn(100, 100)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated, corrupt or not a brique checkpoint"):
        load(path)


def test_corrupt_bytes_fail_clearly(tmp_path):
    path = tmp_path / "c.npz"
    save({"w": brique.randn(50)}, path)
    data = bytearray(path.read_bytes())
    data[200:210] = b"\xff" * 10  # inside the array's bytes: the zip CRC catches it
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError):
        load(path)
    (tmp_path / "junk.npz").write_bytes(b"not a zip at all")
    with pytest.raises(CheckpointError, match="not a brique checkpoint"):
        load(tmp_path / "junk.npz")


def test_pickled_npz_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, __tree__=np.frombuffer(b"{}", dtype=np.uint8),
             a0=np.array([{"payload": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="pickle"):
        load(path)


def test_plain_npz_is_not_a_checkpoint(tmp_path):
    np.savez(tmp_path / "plain.npz", w=np.ones(3))
    with pytest.raises(CheckpointError, match="not a brique checkpoint"):
        load(tmp_path / "plain.npz")


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="no such file"):
        load("/nonexistent/brique.npz")


def test_file_is_a_plain_zip_of_npy(tmp_path):
    save({"w": brique.ones(2)}, tmp_path / "c.npz")
    with zipfile.ZipFile(tmp_path / "c.npz") as z:
        assert sorted(z.namelist()) == ["__tree__.npy", "w.npy"]  # named by path


def test_save_and_load_checkpoint_restore_rng(tmp_path):
    model = nn.Linear(2, 2)
    brique.manual_seed(5)
    save_checkpoint(tmp_path / "c.npz", model, epoch=1)
    expected = brique.rand(3).tolist()
    brique.rand(10)
    other = nn.Linear(2, 2)
    ckpt = load_checkpoint(tmp_path / "c.npz", other)
    assert ckpt["epoch"] == 1 and brique.rand(3).tolist() == expected
    assert np.array_equal(other.weight.detach().numpy(), model.weight.detach().numpy())
