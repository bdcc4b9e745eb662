"""brique.save / brique.load, as PyTorch code calls them, without ever running code from a file.

brique's own format (any suffix but .safetensors) is a zip of .npy arrays (each with a CRC),
named by their path in the saved object (`fc.weight`, `optimizer/state/0/exp_avg`) so that
`numpy.load` users see them, plus one JSON entry, `__tree__`, that describes the nesting and
holds the plain values (numbers, strings, lists). Writing to a path is atomic: a temporary file
in the same folder, flushed and fsynced, then renamed over the target, so a crash mid-write
leaves the previous checkpoint intact.

`load` also reads PyTorch's `.pt`/`.pth` zip files (torch_format.py: a restricted unpickler,
torch not needed) and `.safetensors` files (safetensors.py), whatever their names.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile

import numpy as np

from .. import backend
from ..datasets.download import default_mode
from ..tensor import Tensor
from . import safetensors, torch_format

TREE_KEY = "__tree__"
FORMAT = "brique-checkpoint-1"


class CheckpointError(RuntimeError):
    """A file that is not a brique checkpoint, or is truncated or corrupt."""


def _entry(arrays, path):
    """A unique .npz entry name for the array at `path` (the keys leading to it)."""
    base = "/".join(str(k) for k in path) or "tensor"
    name, n = base, 1
    while name in arrays or name == TREE_KEY:
        name, n = f"{base}#{n}", n + 1
    return name


def _flatten(obj, arrays, path=()):
    if isinstance(obj, Tensor):
        key = _entry(arrays, path)
        arrays[key] = backend.to_numpy(obj._data)
        return {"__tensor__": key}
    if backend.is_array(obj):
        key = _entry(arrays, path)
        arrays[key] = backend.to_numpy(obj)
        return {"__array__": key}
    if isinstance(obj, dict):
        # Keys may be ints (optimizer state is keyed by parameter index): keep their type.
        return {"__dict__": [[k, _flatten(v, arrays, path + (k,))] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"__list__" if isinstance(obj, list) else "__tuple__":
                [_flatten(v, arrays, path + (i,)) for i, v in enumerate(obj)]}
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if hasattr(obj, "state_dict") and hasattr(obj, "parameters"):
        raise TypeError(f"brique.save: cannot store a whole model ({type(obj).__name__}): a "
                        "checkpoint holds no code. Save model.state_dict() and rebuild the "
                        "model in code before model.load_state_dict(brique.load(f))")
    raise TypeError(f"brique.save: cannot store a {type(obj).__name__}; checkpoints hold "
                    "tensors, arrays, numbers, strings, None, and dicts/lists/tuples of them")


def _unflatten(node, arrays):
    if isinstance(node, dict):
        if "__tensor__" in node:
            return Tensor._make(arrays[node["__tensor__"]])
        if "__array__" in node:
            return arrays[node["__array__"]]
        if "__dict__" in node:
            return {k: _unflatten(v, arrays) for k, v in node["__dict__"]}
        if "__list__" in node:
            return [_unflatten(v, arrays) for v in node["__list__"]]
        if "__tuple__" in node:
            return tuple(_unflatten(v, arrays) for v in node["__tuple__"])
        raise CheckpointError(f"unknown node {sorted(node)} in checkpoint tree")
    return node


def atomic_write(path, write):
    """Call write(file) on a temporary file beside `path`, fsync it, then rename it over path.
    On any error the temporary file is removed and `path` is untouched."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        os.chmod(tmp, default_mode())  # mkstemp makes 0600; a checkpoint is an ordinary file
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def _is_path(f):
    return isinstance(f, (str, bytes, os.PathLike))


def _encode(obj):
    """brique's own format, as bytes."""
    arrays = {}
    tree = json.dumps({"format": FORMAT, "tree": _flatten(obj, arrays)})
    arrays[TREE_KEY] = np.frombuffer(tree.encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Save a tensor, or any nesting of dicts/lists/tuples of tensors, arrays, numbers and
    strings, to `f`: a path or a binary file object. A path ending in `.safetensors` gets that
    format (a flat {name: tensor} only); anything else gets brique's own. The pickle arguments
    are accepted for compatibility and ignored: brique writes no pickle."""
    if _is_path(f) and os.fsdecode(f).endswith(".safetensors"):
        data = safetensors.dumps(obj)
    else:
        data = _encode(obj)
    if _is_path(f):
        atomic_write(f, lambda file: file.write(data))
    else:
        f.write(data)


def _read(f):
    if _is_path(f):
        path = os.fspath(f)
        if not os.path.exists(path):
            raise FileNotFoundError(f"brique.load: no such file: {path}")
        with open(path, "rb") as file:
            return file.read(), path
    return f.read(), getattr(f, "name", "the file object")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Load what `save` wrote, a PyTorch `.pt`/`.pth` zip (state_dicts, optimizer state,
    nested containers of tensors; torch not needed) or a `.safetensors` file, from a path or a
    binary file object. Whatever `weights_only` says, nothing in the file is run: a whole
    pickled model or any other object is refused (see `brique.serialization.safe_globals`).
    map_location='cuda' (or a device) puts the tensors there; other forms load on the CPU."""
    data, source = _read(f)
    if data[:4] == b"PK\x03\x04":
        obj = _load_zip(data, source)
    elif safetensors.is_safetensors(data[:9]):
        obj = safetensors.loads(data, source)[0]
    elif data[:1] == b"\x80":  # pickle protocol 2+: torch's pre-1.6 format, or a raw pickle
        raise CheckpointError(f"brique.load: {source} is a bare pickle file (PyTorch's legacy "
                              "format or pickle.dump); brique never loads pickles outside a "
                              "PyTorch zip. Re-save it with a current torch.save")
    else:
        raise CheckpointError(f"brique.load: {source} is not a brique checkpoint, a PyTorch "
                              "zip or a safetensors file")
    if isinstance(map_location, (str, backend.device)):
        obj = _to_device(obj, backend.as_device(map_location))
    return obj


def _load_zip(data, source):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if TREE_KEY + ".npy" not in names and torch_format.is_torch_zip(names):
                return torch_format.load_torch_zip(archive, source)
        return _load_npz(data, source)
    except (CheckpointError, torch_format.UnsafeCheckpointError):
        raise
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, UnicodeDecodeError,
            json.JSONDecodeError) as e:
        raise CheckpointError(f"brique.load: {source} is truncated, corrupt or not a brique "
                              f"checkpoint ({type(e).__name__}: {e})") from None


def _load_npz(data, source):
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            if TREE_KEY not in npz.files:
                raise CheckpointError(f"brique.load: {source} is a .npz file but not a brique "
                                      f"checkpoint (no {TREE_KEY} entry)")
            meta = json.loads(npz[TREE_KEY].tobytes().decode("utf-8"))
            arrays = {k: npz[k] for k in npz.files if k != TREE_KEY}
    except ValueError as e:
        if "pickle" in str(e):
            raise CheckpointError(f"brique.load: {source} holds a pickled object; brique never "
                                  "loads pickles (they can run code)") from None
        raise CheckpointError(f"brique.load: {source} is corrupt: {e}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"brique.load: {source} is not a brique checkpoint "
                              f"(format {meta.get('format') if isinstance(meta, dict) else '?'})")
    return _unflatten(meta["tree"], arrays)


def _to_device(obj, dev):
    if isinstance(obj, Tensor):
        return obj.to(dev)
    if isinstance(obj, dict):
        return type(obj)((k, _to_device(v, dev)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(v, dev) for v in obj)
    return obj


def save_checkpoint(path, model, optimizer=None, epoch=None, **extra):
    """Everything needed to resume training exactly: weights, optimizer state, epoch count
    and the random state (data order, dropout, augmentation)."""
    state = {"model": model.state_dict(), "epoch": epoch, "rng": backend.get_rng_state()}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    state.update(extra)
    save(state, path)


def load_checkpoint(path, model, optimizer=None, restore_rng=True):
    """Restore what save_checkpoint wrote into `model` (and `optimizer`); returns the dict."""
    ckpt = load(path)
    if not isinstance(ckpt, dict) or "model" not in ckpt:
        raise CheckpointError(f"load_checkpoint: {path} holds no model state")
    model.load_state_dict(ckpt["model"])
    if optimizer is not None and "optimizer" in ckpt:
        optimizer.load_state_dict(ckpt["optimizer"])
    if restore_rng and ckpt.get("rng") is not None:
        backend.set_rng_state(ckpt["rng"])
    return ckpt
