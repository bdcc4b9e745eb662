"""brique.save / brique.load: nested dicts of tensors in a .npz file, never pickle.

The file is a zip of .npy arrays (each with a CRC) plus one JSON entry, `__tree__`, that
describes the nesting and holds the plain values (numbers, strings, lists). Writing is atomic:
a temporary file in the same folder, flushed and fsynced, then renamed over the target, so a
crash mid-write leaves the previous checkpoint intact.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile

import numpy as np

from .. import backend
from ..tensor import Tensor

TREE_KEY = "__tree__"
FORMAT = "brique-checkpoint-1"


class CheckpointError(RuntimeError):
    """A file that is not a brique checkpoint, or is truncated or corrupt."""


def _flatten(obj, arrays):
    if isinstance(obj, Tensor):
        key = f"a{len(arrays)}"
        arrays[key] = backend.to_numpy(obj._data)
        return {"__tensor__": key}
    if backend.is_array(obj):
        key = f"a{len(arrays)}"
        arrays[key] = backend.to_numpy(obj)
        return {"__array__": key}
    if isinstance(obj, dict):
        # Keys may be ints (optimizer state is keyed by parameter index): keep their type.
        return {"__dict__": [[k, _flatten(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"__list__" if isinstance(obj, list) else "__tuple__":
                [_flatten(v, arrays) for v in obj]}
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
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


def save(obj, path):
    """Save a tensor or a nested dict/list of tensors, arrays and plain values to `path`."""
    arrays = {}
    tree = json.dumps({"format": FORMAT, "tree": _flatten(obj, arrays)})
    arrays[TREE_KEY] = np.frombuffer(tree.encode("utf-8"), dtype=np.uint8)

    def write(f):
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        f.write(buffer.getvalue())
    atomic_write(path, write)


def load(path, map_location=None):
    """Load what `save` wrote. Refuses pickled objects; a truncated or corrupt file raises
    CheckpointError saying so. map_location='cuda' puts tensors on the GPU."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"brique.load: no such file: {path}")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:1] == b"\x80":  # pickle protocol 2+ (what torch.save writes)
        raise CheckpointError(f"brique.load: {path} is a pickle file; brique never loads "
                              "pickles (they can run code)")
    if magic != b"PK\x03\x04":
        raise CheckpointError(f"brique.load: {path} is not a brique checkpoint (not a .npz "
                              "zip file)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if TREE_KEY not in npz.files:
                raise CheckpointError(f"brique.load: {path} is a .npz file but not a brique "
                                      f"checkpoint (no {TREE_KEY} entry)")
            meta = json.loads(npz[TREE_KEY].tobytes().decode("utf-8"))
            arrays = {k: npz[k] for k in npz.files if k != TREE_KEY}
    except CheckpointError:
        raise
    except ValueError as e:
        if "pickle" in str(e):
            raise CheckpointError(f"brique.load: {path} holds a pickled object; brique never "
                                  "loads pickles (they can run code)") from None
        raise CheckpointError(f"brique.load: {path} is corrupt: {e}") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, UnicodeDecodeError,
            json.JSONDecodeError) as e:
        raise CheckpointError(f"brique.load: {path} is truncated, corrupt or not a brique "
                              f"checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"brique.load: {path} is not a brique checkpoint "
                              f"(format {meta.get('format') if isinstance(meta, dict) else '?'})")
    if map_location is not None:
        dev = backend.as_device(map_location)
        arrays = {k: backend.to_device(v, dev) for k, v in arrays.items()}
    return _unflatten(meta["tree"], arrays)


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
