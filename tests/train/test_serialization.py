"""save/load as PyTorch code uses them: torch's .pt zips read without torch and without running
code, safetensors both ways, file objects, brique's .npz entries named by parameter path."""
import io
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import brique
import brique.nn as nn
from brique.serialization import UnsafeCheckpointError, safe_globals

torch = pytest.importorskip("torch")


class Config:
    """A plain class a user may admit with safe_globals."""

    def __init__(self, n):
        self.n = n


def _torch_net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                               torch.nn.Linear(3 * 4 * 4, 5))


def test_torch_checkpoint_loads_without_torch(tmp_path):
    net = _torch_net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(2, 1, 6, 6)
    net(x).sum().backward()
    opt.step()
    torch.save({"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
                "extra": [torch.arange(6).reshape(2, 3).t(), (torch.ones(2, dtype=torch.bool),
                                                               "note")]},
               tmp_path / "ckpt.pth")
    np.save(tmp_path / "x.npy", x.numpy())
    with torch.no_grad():
        np.save(tmp_path / "want.npy", net(x).numpy())
    program = textwrap.dedent(f"""
        import sys
        sys.modules["torch"] = None  # torch is absent: any import of it fails
        import numpy as np
        import brique, brique.nn as nn
        ck = brique.load({str(tmp_path / "ckpt.pth")!r})
        net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(48, 5))
        net.load_state_dict(ck["model"])
        out = net(brique.tensor(np.load({str(tmp_path / "x.npy")!r}))).detach().numpy()
        np.testing.assert_allclose(out, np.load({str(tmp_path / "want.npy")!r}), atol=1e-5)
        state = ck["optimizer"]["state"]
        assert sorted(state) == [0, 1, 2, 3] and float(state[0]["step"]) == 1.0
        assert ck["optimizer"]["param_groups"][0]["lr"] == 1e-3 and ck["epoch"] == 3
        assert ck["extra"][0].tolist() == [[0, 3], [1, 4], [2, 5]]
        assert ck["extra"][1][0].dtype == np.bool_ and ck["extra"][1][1] == "note"
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            cwd=os.getcwd())
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr


class _Evil:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def _pt_zip(path, payload):
    """A file laid out like torch.save's zip whose data.pkl is `payload`."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")


@pytest.mark.parametrize("weights_only", [True, False])
def test_a_malicious_pickle_is_refused_and_never_run(tmp_path, weights_only):
    marker = tmp_path / "pwned"
    _pt_zip(tmp_path / "evil.pt", pickle.dumps({"w": _Evil(f"touch {marker}")}, protocol=2))
    with pytest.raises(UnsafeCheckpointError, match=r"posix\.system|os\.system|nt\.system"):
        brique.load(tmp_path / "evil.pt", weights_only=weights_only)
    assert not marker.exists()
    # eval smuggled as the 'storage type' of a persistent id is refused too
    payload = (b"\x80\x02cbuiltins\neval\nX\x0b\x00\x00\x00print('hi')\x85R.")
    _pt_zip(tmp_path / "evil2.pt", payload)
    with pytest.raises(UnsafeCheckpointError, match="builtins.eval"):
        brique.load(tmp_path / "evil2.pt")


def test_a_tensor_pointing_outside_its_storage_is_refused(tmp_path):
    torch.save({"w": torch.arange(4.0)}, tmp_path / "ok.pt")
    with zipfile.ZipFile(tmp_path / "ok.pt") as z:
        entries = {n: z.read(n) for n in z.namelist()}
    name = next(n for n in entries if n.endswith("data.pkl"))
    # stride 1 -> 1000: the view would read far past the 4 stored floats
    entries[name] = entries[name].replace(b"K\x01\x85", b"M\xe8\x03\x85", 1)
    with zipfile.ZipFile(tmp_path / "bad.pt", "w") as z:
        for n, data in entries.items():
            z.writestr(n, data)
    with pytest.raises(pickle.UnpicklingError, match="does not fit its storage"):
        brique.load(tmp_path / "bad.pt")


def test_a_whole_pickled_model_is_refused_with_a_way_out(tmp_path):
    torch.save(_torch_net(), tmp_path / "whole.pt")
    with pytest.raises(UnsafeCheckpointError, match=r"whole pickled model.*state_dict\(\)"):
        brique.load(tmp_path / "whole.pt")
    with pytest.raises(TypeError, match=r"whole model \(Linear\).*state_dict\(\)"):
        brique.save(nn.Linear(2, 2), tmp_path / "m.pt")


def test_safe_globals_admits_the_listed_classes_only_inside_the_block(tmp_path):
    torch.save({"cfg": Config(7), "w": torch.ones(2)}, tmp_path / "cfg.pt")
    with pytest.raises(UnsafeCheckpointError, match="Config"):
        brique.load(tmp_path / "cfg.pt")
    with safe_globals([Config]):
        ck = brique.load(tmp_path / "cfg.pt")
    assert isinstance(ck["cfg"], Config) and ck["cfg"].n == 7
    with pytest.raises(UnsafeCheckpointError):
        brique.load(tmp_path / "cfg.pt")


def test_torch_dtypes_views_and_parameters(tmp_path):
    base = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    obj = {"view": base[1:, ::2], "half": torch.tensor([1.5], dtype=torch.float16),
           "bf16": torch.tensor([1.5, -2.0], dtype=torch.bfloat16),
           "i8": torch.tensor([-3], dtype=torch.int8), "p": torch.nn.Parameter(torch.ones(2)),
           "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3)}
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    got = brique.load(buffer)
    assert got["view"].tolist() == [[4.0, 6.0], [8.0, 10.0]] and got["view"].dtype == np.float64
    assert got["half"].dtype == np.float16 and got["i8"].tolist() == [-3]
    assert got["bf16"].dtype == np.float32 and got["bf16"].tolist() == [1.5, -2.0]
    assert isinstance(got["p"], nn.Parameter) and got["p"].requires_grad
    assert got["scalar"].item() == 2.5 and got["empty"].shape == (0, 3)


def test_safetensors_both_ways(tmp_path):
    load_file = pytest.importorskip("safetensors.numpy").load_file
    save_file = pytest.importorskip("safetensors.torch").save_file
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    brique.save(model.state_dict(), tmp_path / "m.safetensors")
    theirs = load_file(str(tmp_path / "m.safetensors"))
    assert sorted(theirs) == sorted(model.state_dict())
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(theirs[k], v.numpy())
    tensors = {"a": torch.randn(2, 3), "b": torch.arange(5), "c": torch.tensor([True, False])}
    save_file(tensors, str(tmp_path / "t.safetensors"), metadata={"format": "pt"})
    got = brique.load(tmp_path / "t.safetensors")
    for k, v in tensors.items():
        np.testing.assert_array_equal(got[k].numpy(), v.numpy())
    with pytest.raises(TypeError, match="tensors only"):
        brique.save({"nested": {"a": brique.ones(1)}}, tmp_path / "bad.safetensors")


def test_file_objects_and_nested_containers_round_trip():
    obj = {"a": [brique.ones(2), (np.arange(3), 4, "s")], 5: {"x": 2.5, "n": None}}
    buffer = io.BytesIO()
    brique.save(obj, buffer)
    buffer.seek(0)
    got = brique.load(buffer, map_location="cpu", weights_only=False)
    assert got["a"][0].tolist() == [1.0, 1.0] and got["a"][1][0].tolist() == [0, 1, 2]
    assert got["a"][1][1:] == (4, "s") and got[5] == {"x": 2.5, "n": None}


def test_npz_entries_are_named_by_parameter_path(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    brique.save({"model": model.state_dict(), "step": 4}, tmp_path / "ck.pt")  # any suffix
    with np.load(tmp_path / "ck.pt") as npz:
        assert sorted(npz.files) == ["__tree__", "model/0.bias", "model/0.weight",
                                     "model/2.bias", "model/2.weight"]
        np.testing.assert_array_equal(npz["model/0.weight"], model[0].weight.detach().numpy())


def test_a_bare_pickle_is_refused(tmp_path):
    (tmp_path / "old.pt").write_bytes(pickle.dumps({"w": 1}, protocol=2))
    with pytest.raises(brique.train.CheckpointError, match="bare pickle"):
        brique.load(tmp_path / "old.pt")
