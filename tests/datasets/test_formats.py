"""IDX and CIFAR-10 binary readers, on files the tests write."""
import gzip
import struct

import numpy as np
import pytest

from brique.datasets import read_cifar_bin, read_idx
from brique.datasets.formats import read_cifar_tar


def idx_bytes(array, code):
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("dtype,code", [(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B),
                                        (np.int32, 0x0C), (np.float32, 0x0D),
                                        (np.float64, 0x0E)])
def test_read_idx_all_dtypes_raw_and_gz(tmp_path, dtype, code):
    array = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = tmp_path / "x-idx3-ubyte"
    raw.write_bytes(idx_bytes(array, code))
    gz = tmp_path / "x-idx3-ubyte.gz"
    gz.write_bytes(gzip.compress(idx_bytes(array, code)))
    for source in (raw, gz, str(gz), raw.read_bytes()):
        out = read_idx(source)
        assert out.dtype == np.dtype(dtype) and out.dtype.isnative and out.shape == (2, 3, 4)
        np.testing.assert_array_equal(out, array)
    assert read_idx(raw).flags.writeable


def test_read_idx_labels_1d(tmp_path):
    labels = np.array([5, 0, 4, 1, 9], np.uint8)
    path = tmp_path / "labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(labels, 0x08)))
    np.testing.assert_array_equal(read_idx(path), labels)


def test_read_idx_corrupt_files(tmp_path):
    good = idx_bytes(np.zeros((3, 2, 2), np.uint8), 0x08)
    cases = {
        "truncated": (good[:-1], "corrupt IDX file"),
        "magic": (b"\x01\x02" + good[2:], "not an IDX file"),
        "dtype": (good[:2] + b"\x07" + good[3:], "unknown IDX dtype code 0x07"),
        "header": (good[:6], "truncated IDX header"),
        "gzip": (gzip.compress(good)[:-8], "corrupt gzip"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / f"{name}-idx3-ubyte"
        path.write_bytes(content)
        with pytest.raises(ValueError, match=message) as info:
            read_idx(path)
        assert str(path) in str(info.value)


def cifar_records(n, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    rows = [np.concatenate([[lab], img.transpose(2, 0, 1).reshape(-1)])
            for img, lab in zip(images, labels)]
    return np.stack(rows).astype(np.uint8).tobytes(), images, labels


def test_read_cifar_bin(tmp_path):
    data, images, labels = cifar_records(4)
    path = tmp_path / "data_batch_1.bin"
    path.write_bytes(data)
    out_images, out_labels = read_cifar_bin(path)
    assert out_images.shape == (4, 32, 32, 3) and out_images.dtype == np.uint8
    assert out_labels.dtype == np.int64
    np.testing.assert_array_equal(out_images, images)
    np.testing.assert_array_equal(out_labels, labels)
    # The red plane of image 0 is the 1024 bytes after its label byte.
    np.testing.assert_array_equal(out_images[0, :, :, 0].reshape(-1),
                                  np.frombuffer(data[1:1025], np.uint8))


def test_read_cifar_bin_corrupt(tmp_path):
    data, _, _ = cifar_records(2)
    path = tmp_path / "bad.bin"
    path.write_bytes(data[:-10])
    with pytest.raises(ValueError, match="whole number of 3073-byte records"):
        read_cifar_bin(path)


def test_read_cifar_tar_missing_member(tmp_path):
    import io
    import tarfile
    data, _, _ = cifar_records(2)
    path = tmp_path / "cifar-10-binary.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("cifar-10-batches-bin/test_batch.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    images, labels = read_cifar_tar(path, ["test_batch.bin"])
    assert images.shape == (2, 32, 32, 3)
    with pytest.raises(ValueError, match="data_batch_1.bin"):
        read_cifar_tar(path, ["data_batch_1.bin"])
