"""Readers for the on-disk formats of the classic image sets: IDX (MNIST, Fashion-MNIST) and
the CIFAR-10 binary records. Both read from a path (gzip-compressed or raw) or from bytes."""
from __future__ import annotations

import gzip
import os
import tarfile

import numpy as np

# IDX: 2 zero bytes, a dtype code, the number of dims, then each dim as a big-endian uint32,
# then the values, big-endian, in C order.
IDX_DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
CIFAR_RECORD = 1 + 3 * 32 * 32  # label byte, then 1024 red, 1024 green, 1024 blue bytes


def _read_bytes(source, what):
    """bytes, or the (gunzipped if need be) content of a file."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), "<bytes>"
    else:
        name = os.fspath(source)
        with open(name, "rb") as f:
            data = f.read()
    if data[:2] == b"\x1f\x8b":  # the gzip magic, whatever the file is called
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{name}: corrupt gzip-compressed {what} file ({exc})") from None
    return data, name


def read_idx(source):
    """Read an IDX file (path to a .gz or raw file, or bytes) into a native-endian array.

    Raises ValueError naming the file when the header is not IDX or the data is truncated.
    """
    data, name = _read_bytes(source, "IDX")
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{name}: not an IDX file (magic bytes {data[:4].hex() or 'missing'}; "
                         f"expected 0000 followed by a dtype code and the number of dims)")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise ValueError(f"{name}: unknown IDX dtype code 0x{code:02x}; expected one of "
                         f"{', '.join(f'0x{c:02x}' for c in IDX_DTYPES)}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name}: truncated IDX header ({len(data)} bytes for {ndim} dims)")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(f"{name}: corrupt IDX file: dims {dims} of {dtype.name} need {expected} "
                         f"data bytes, found {len(data) - header}")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))  # a writable, native-endian copy


def read_cifar_bin(source):
    """Read CIFAR-10 binary records (path or bytes): (images (N, 32, 32, 3) uint8 in HWC
    order, labels (N,) int64)."""
    data, name = _read_bytes(source, "CIFAR binary")
    if len(data) == 0 or len(data) % CIFAR_RECORD:
        raise ValueError(f"{name}: corrupt CIFAR-10 binary file: {len(data)} bytes is not a "
                         f"whole number of {CIFAR_RECORD}-byte records")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, CIFAR_RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise ValueError(f"{name}: corrupt CIFAR-10 binary file: label {labels.max()} > 9")
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def read_cifar_tar(path, members):
    """Read the named `.bin` members of cifar-10-binary.tar.gz without extracting anything
    to disk. Returns (images, labels) concatenated in the order of `members`."""
    wanted = {m: None for m in members}
    with tarfile.open(path, "r:gz") as tar:
        for info in tar:
            base = os.path.basename(info.name)
            if info.isfile() and base in wanted:
                wanted[base] = tar.extractfile(info).read()
    absent = [m for m, v in wanted.items() if v is None]
    if absent:
        raise ValueError(f"{path}: archive lacks {', '.join(absent)}; is it the CIFAR-10 "
                         f"binary version (cifar-10-binary.tar.gz)?")
    parts = [read_cifar_bin(wanted[m]) for m in members]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
