"""The safetensors format, both ways, with NumPy only: an 8-byte little-endian header length,
a JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian
bytes. No code, no pickle: the format Hugging Face models ship in.
"""
from __future__ import annotations

import json
import struct

import numpy as np

from .. import backend
from ..tensor import Tensor

_CODES = {"F64": "float64", "F32": "float32", "F16": "float16", "I64": "int64",
          "I32": "int32", "I16": "int16", "I8": "int8", "U64": "uint64", "U32": "uint32",
          "U16": "uint16", "U8": "uint8", "BOOL": "bool"}
_NAMES = {np.dtype(v): k for k, v in _CODES.items()}
_MAX_HEADER = 100_000_000  # the reference reader's limit: a larger one means a corrupt file


class SafetensorsError(ValueError):
    """Not a safetensors file, or a corrupt one."""


def dumps(tensors, metadata=None):
    """The bytes of a safetensors file holding `tensors`, a flat {name: Tensor or array}."""
    if not isinstance(tensors, dict):
        raise TypeError(f"safetensors: expected a dict of name -> tensor, got "
                        f"{type(tensors).__name__}")
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        value = tensors[name]
        if not isinstance(name, str):
            raise TypeError(f"safetensors: names must be strings, got {name!r}")
        if isinstance(value, Tensor):
            value = value._data
        if not backend.is_array(value):
            raise TypeError(f"safetensors: {name!r} is a {type(value).__name__}; the format "
                            "holds tensors only (a nested checkpoint needs brique's own format: "
                            "any suffix but .safetensors)")
        array = np.ascontiguousarray(backend.to_numpy(value))
        if array.dtype not in _NAMES:
            raise TypeError(f"safetensors: {name!r} has dtype {array.dtype}, which the format "
                            "does not hold")
        raw = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _NAMES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the reference writer aligns the data to 8 bytes
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def loads(data, source="<bytes>"):
    """(tensors, metadata) from the bytes of a safetensors file; tensors keep the file's order."""
    if len(data) < 8:
        raise SafetensorsError(f"safetensors: {source} is too short to be a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if n > min(_MAX_HEADER, len(data) - 8):
        raise SafetensorsError(f"safetensors: {source} has a header of {n} bytes, more than "
                               "the file holds: truncated or not a safetensors file")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"safetensors: {source} has an unreadable header ({e})") from None
    metadata = header.pop("__metadata__", None)
    body = memoryview(data)[8 + n:]
    tensors = {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        if info.get("dtype") not in _CODES:
            raise SafetensorsError(f"safetensors: {name!r} has dtype {info.get('dtype')}, which "
                                   "brique cannot hold (BF16 and FP8 are not supported)")
        begin, end = info["data_offsets"]
        dtype = np.dtype(_CODES[info["dtype"]]).newbyteorder("<")
        shape = tuple(info["shape"])
        if end > len(body) or end - begin != dtype.itemsize * int(np.prod(shape)):
            raise SafetensorsError(f"safetensors: {name!r} in {source}: byte range {begin}-{end} "
                                   f"does not fit shape {shape} of {info['dtype']} or the file")
        array = np.frombuffer(body[begin:end], dtype=dtype).reshape(shape)
        tensors[name] = Tensor._make(array.astype(dtype.newbyteorder("="), copy=True))
    return tensors, metadata


def is_safetensors(head):
    """Whether the first bytes look like a safetensors file (a header length, then '{')."""
    return len(head) >= 9 and head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] < _MAX_HEADER
