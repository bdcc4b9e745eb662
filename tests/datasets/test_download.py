"""Download, verification, caching and offline messages, with no network: file:// URLs and a
monkeypatched opener serve bytes the tests made."""
import gzip
import hashlib
import io
import os
import struct
import tarfile
import urllib.error

import numpy as np
import pytest

from brique import datasets
from brique.datasets import download as dl
from brique.datasets.vision import CIFAR10, MNIST, FashionMNIST


def idx_bytes(array, code=0x08):
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    return header + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


class FakeResponse(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


def serve(monkeypatch, files):
    """Replace the opener: URLs ending in a known name get its bytes, others fail."""
    requested = []

    def opener(url, timeout=None):
        requested.append(url)
        name = url.rsplit("/", 1)[-1]
        if name not in files:
            raise urllib.error.URLError("no network in tests")
        return FakeResponse(files[name])
    monkeypatch.setattr(dl, "_urlopen", opener)
    return requested


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def md5(data):
    return "md5:" + hashlib.md5(data).hexdigest()


def test_data_root_order(monkeypatch, tmp_path):
    monkeypatch.setenv("BRIQUE_DATA", str(tmp_path / "env"))
    assert dl.data_root() == str(tmp_path / "env")
    assert dl.data_root(tmp_path / "arg") == str(tmp_path / "arg")
    monkeypatch.delenv("BRIQUE_DATA")
    assert dl.data_root().endswith(os.path.join(".cache", "brique"))


def test_download_file_url_verifies_and_writes_atomically(tmp_path):
    payload = os.urandom(3 * dl.CHUNK + 17)
    src = tmp_path / "src.bin"
    src.write_bytes(payload)
    target = tmp_path / "cache" / "out.bin"
    dl.download_url(src.as_uri(), target, checksum=sha256(payload), progress=False)
    assert target.read_bytes() == payload
    assert os.listdir(target.parent) == ["out.bin"]  # no temporary file left


def test_checksum_mismatch_leaves_nothing(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"tampered bytes")
    target = tmp_path / "cache" / "out.bin"
    with pytest.raises(RuntimeError, match="failed verification"):
        dl.download_url(src.as_uri(), target, checksum=sha256(b"original bytes"))
    assert os.listdir(target.parent) == []


def test_progress_bar_is_shown(tmp_path, monkeypatch, capsys):
    pytest.importorskip("tqdm")
    payload = b"x" * (2 * dl.CHUNK)
    serve(monkeypatch, {"big.bin": payload})
    dl.download_url("https://example.invalid/big.bin", tmp_path / "big.bin", progress=True)
    err = capsys.readouterr().err
    assert "big.bin" in err and "%" in err


def _mnist_files(n=6, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    return images, labels, {
        "train-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
        "train-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels)),
    }


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_mnist_downloads_into_cache_then_reads_offline(cls, tmp_path, monkeypatch):
    images, labels, files = _mnist_files()
    monkeypatch.setattr(cls, "resources", {**cls.resources,
                                           **{k: md5(v) for k, v in files.items()}})
    requested = serve(monkeypatch, files)
    ds = cls(root=tmp_path, train=True, download=True, progress=False)
    assert len(requested) == 2 and requested[0].startswith(cls.mirrors[0])
    assert sorted(os.listdir(tmp_path / cls.subdir)) == sorted(files)
    np.testing.assert_array_equal(ds.images, images)
    img, label = ds[3]
    assert img.dtype == np.uint8 and img.shape == (28, 28) and label == labels[3]
    # Second time: read from the cache, no request.
    serve(monkeypatch, {})
    again = cls(root=tmp_path, train=True, download=False)
    np.testing.assert_array_equal(again.labels, labels)


def test_mnist_reads_user_folder_and_raw_files(tmp_path, monkeypatch):
    images, labels, files = _mnist_files(seed=1)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(gzip.decompress(
        files["train-images-idx3-ubyte.gz"]))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(gzip.decompress(
        files["train-labels-idx1-ubyte.gz"]))
    monkeypatch.setenv("BRIQUE_DATA", str(tmp_path))
    serve(monkeypatch, {})
    ds = datasets.load("mnist", train=True)  # files directly in $BRIQUE_DATA
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32 and y == labels[0]


def test_corrupt_cached_file_is_reported(tmp_path, monkeypatch):
    _, _, files = _mnist_files()
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)  # not the real MNIST: its MD5 does not match
    with pytest.raises(datasets.DatasetUnavailableError, match="corrupt or not the expected"):
        MNIST(root=tmp_path, download=False)


def test_offline_message_says_what_to_do(tmp_path, monkeypatch):
    serve(monkeypatch, {})
    with pytest.raises(datasets.DatasetUnavailableError) as info:
        MNIST(root=tmp_path, train=False, download=True, progress=False)
    message = str(info.value)
    for needed in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                   "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
                   str(tmp_path / "mnist"), "BRIQUE_DATA", "offline"):
        assert needed in message
    assert not any(p.suffix == ".part" for p in (tmp_path / "mnist").iterdir())
    with pytest.raises(datasets.DatasetUnavailableError, match="download=True"):
        datasets.load("fashion-mnist", root=tmp_path)


def _cifar_archive(path, n_train=3, n_test=2):
    rng = np.random.default_rng(0)
    members = {f"data_batch_{i}.bin": n_train for i in range(1, 6)}
    members["test_batch.bin"] = n_test
    contents = {}
    with tarfile.open(path, "w:gz") as tar:
        for name, n in members.items():
            data = rng.integers(0, 256, (n, 3073)).astype(np.uint8)
            data[:, 0] %= 10
            contents[name] = data
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = data.nbytes
            tar.addfile(info, io.BytesIO(data.tobytes()))
    return contents


def test_cifar10_download_and_read(tmp_path, monkeypatch):
    archive = tmp_path / "made.tar.gz"
    contents = _cifar_archive(archive)
    data = archive.read_bytes()
    monkeypatch.setattr(CIFAR10, "resources", {CIFAR10.archive: md5(data)})
    serve(monkeypatch, {CIFAR10.archive: data})
    train = CIFAR10(root=tmp_path / "cache", train=True, download=True, progress=False)
    test = CIFAR10(root=tmp_path / "cache", train=False, download=False)
    assert len(train) == 15 and len(test) == 2
    img, label = test[1]
    assert img.shape == (32, 32, 3) and label == contents["test_batch.bin"][1, 0]
    np.testing.assert_array_equal(img[:, :, 2].reshape(-1), contents["test_batch.bin"][1, 2049:])


def test_cifar10_reads_extracted_folder(tmp_path):
    archive = tmp_path / "made.tar.gz"
    _cifar_archive(archive)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "cifar10", filter="data")
    ds = datasets.load("cifar10", train=False, root=tmp_path)
    x, _ = ds[0]
    assert len(ds) == 2 and x.shape == (3, 32, 32) and x.dtype == np.float32
