"""keras.utils.get_file: download once into Keras's cache (~/.keras/datasets, or
$KERAS_HOME/datasets), verify a hash, extract archives. The download itself is brique's
(brique.datasets.download.download_url: atomic, hashed while streaming); the npz reader
unpickles only NumPy arrays, for the datasets stored as object arrays."""
from __future__ import annotations

import os
import pickle
import tarfile
import urllib.error
import zipfile

import numpy as np

from ...datasets import download as _download


def keras_home(cache_dir=None):
    """`cache_dir`, else $KERAS_HOME, else ~/.keras (Keras's cache root)."""
    root = cache_dir or os.environ.get("KERAS_HOME") or os.path.join("~", ".keras")
    return os.path.abspath(os.path.expanduser(os.fspath(root)))


def _checksum(file_hash, hash_algorithm):
    """Keras's hash arguments as brique's 'algorithm:hex' spelling ('auto': sha256 for 64
    hex digits, md5 otherwise)."""
    if file_hash is None:
        return None
    algorithm = hash_algorithm.lower()
    if algorithm == "auto":
        algorithm = "sha256" if len(file_hash) == 64 else "md5"
    if algorithm not in ("sha256", "md5"):
        raise ValueError(f"get_file: hash_algorithm must be 'auto', 'sha256' or 'md5', got "
                         f"{hash_algorithm!r}")
    return f"{algorithm}:{file_hash.lower()}"


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """True when the file's hash is `file_hash`."""
    algorithm, expected = _checksum(file_hash, algorithm).split(":")
    return _download.file_hash(fpath, algorithm) == expected


def _extract(path, into, archive_format="auto"):
    formats = ["tar", "zip"] if archive_format == "auto" else \
        [archive_format] if isinstance(archive_format, str) else list(archive_format or [])
    for fmt in formats:
        if fmt == "tar" and tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                if hasattr(tarfile, "data_filter"):  # no paths outside `into`, no devices
                    archive.extractall(into, filter="data")
                else:
                    archive.extractall(into)
            return True
        if fmt == "zip" and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    target = os.path.abspath(os.path.join(into, name))
                    if not target.startswith(os.path.abspath(into) + os.sep):
                        raise ValueError(f"get_file: {path} holds {name!r}, outside the "
                                         "extraction folder; refusing to extract it")
                archive.extractall(into)
            return True
    return False


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """The local path of `origin`, downloaded into <cache_dir>/<cache_subdir>/<fname> unless
    already there with the right hash (a cached file whose hash differs is downloaded again).

    `file_hash` (sha256 or md5, or Keras 1's `md5_hash`) is checked on download: a mismatch
    raises ValueError and leaves nothing in the cache. `extract=True` extracts a tar or zip
    archive next to it (Keras 2: the archive's path is returned); `untar=True` returns the
    extracted folder <fname> of the archive <fname>.tar.gz."""
    if origin is None:
        raise ValueError("get_file: origin (the URL to download) is required")
    fname = fname or os.path.basename(origin.split("?")[0])
    if not fname:
        raise ValueError(f"get_file: cannot infer a file name from origin={origin!r}; pass "
                         "fname=")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    checksum = _checksum(file_hash, hash_algorithm)
    home = keras_home(cache_dir)
    datadir = os.path.join(home, cache_subdir) if not os.path.isabs(cache_subdir) \
        else cache_subdir
    os.makedirs(datadir, exist_ok=True)
    untar_path = os.path.join(datadir, fname)
    fpath = untar_path + ".tar.gz" if untar else untar_path
    download = force_download or not os.path.exists(fpath)
    if not download and checksum is not None and not validate_file(fpath, file_hash,
                                                                   hash_algorithm):
        download = True  # a stale or corrupt cached copy: fetch it again, as Keras does
    if download:
        try:
            _download.download_url(origin, fpath, checksum, progress=True)
        except RuntimeError as e:  # brique's verification failure
            raise ValueError(f"get_file: incomplete or corrupted file: {e}") from None
        except (urllib.error.URLError, OSError) as e:
            raise type(e)(f"get_file: failed to download {origin} to {fpath}: {e}") from None
    if untar:
        if not os.path.exists(untar_path):
            _extract(fpath, datadir, "tar")
        return untar_path
    if extract and not _extract(fpath, datadir, archive_format):
        raise ValueError(f"get_file: {fpath} is not a {archive_format} archive; cannot extract "
                         "it")
    return fpath


# -------------------------------------------------------------- restricted npz reading
_NUMPY_GLOBALS = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray",
                                                                "_reconstruct"),
                  ("numpy", "ndarray"), ("numpy", "dtype"),
                  ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays and plain Python values, nothing that could run code."""

    def find_class(self, module, name):
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name} from a dataset "
                                     "file (only NumPy arrays are allowed)")


def load_pickle(path, encoding="bytes"):
    with open(path, "rb") as f:
        return RestrictedUnpickler(f, encoding=encoding).load()


def _read_member(f):
    version = np.lib.format.read_magic(f)
    shape, fortran, dtype = (np.lib.format.read_array_header_1_0(f) if version == (1, 0)
                             else np.lib.format.read_array_header_2_0(f))
    if dtype.hasobject:  # ragged sequences (imdb, reuters) are pickled object arrays
        array = RestrictedUnpickler(f, encoding="latin1").load()
        return np.asarray(array, dtype=object).reshape(shape)
    data = np.frombuffer(f.read(), dtype=dtype, count=int(np.prod(shape, dtype=np.int64)))
    return data.reshape(shape, order="F" if fortran else "C").copy()


def load_npz(path):
    """{name: array} of an .npz file, object arrays read with RestrictedUnpickler."""
    with zipfile.ZipFile(path) as archive:
        out = {}
        for name in archive.namelist():
            with archive.open(name) as f:
                out[name[:-4] if name.endswith(".npy") else name] = _read_member(f)
    return out
