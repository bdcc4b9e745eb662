"""TensorBoard's event files, written without TensorFlow or protobuf: the few protocol-buffer
messages SummaryWriter needs, encoded by hand, in TFRecord framing.

An event file is a sequence of records: the payload's length (uint64, little endian), the
masked CRC-32C of those 8 bytes, the payload, the masked CRC-32C of the payload. Each payload
is a serialized `Event` (tensorflow/core/util/event.proto): wall_time = 1 (double), step = 2
(int64), file_version = 3 (string), graph_def = 4 (bytes), summary = 5 (Summary). The field
numbers used below are those of event.proto, summary.proto, tensor.proto and graph.proto.
"""
from __future__ import annotations

import struct

# ----------------------------------------------------------------- CRC-32C (Castagnoli)


def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(payload):
    """One TFRecord around `payload`."""
    length = struct.pack("<Q", len(payload))
    return (length + struct.pack("<I", _masked(length)) + payload
            + struct.pack("<I", _masked(payload)))


# ----------------------------------------------------------------- protobuf wire format


def _varint(n):
    out = bytearray()
    n &= (1 << 64) - 1  # negative int64s as two's complement, as protobuf does
    while True:
        bits, n = n & 0x7F, n >> 7
        out.append(bits | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _key(field, wire):
    return _varint(field << 3 | wire)


def varint_field(field, n):
    return _key(field, 0) + _varint(int(n))


def double_field(field, x):
    return _key(field, 1) + struct.pack("<d", float(x))


def float_field(field, x):
    return _key(field, 5) + struct.pack("<f", float(x))


def bytes_field(field, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _key(field, 2) + _varint(len(data)) + data


def packed_doubles(field, values):
    return bytes_field(field, b"".join(struct.pack("<d", float(v)) for v in values))


# ----------------------------------------------------------------- messages


def event(wall_time, step=None, summary=None, file_version=None, graph_def=None):
    out = double_field(1, wall_time)
    if step is not None:
        out += varint_field(2, step)
    if file_version is not None:
        out += bytes_field(3, file_version)
    if graph_def is not None:
        out += bytes_field(4, graph_def)
    if summary is not None:
        out += bytes_field(5, summary)
    return out


def summary(*values):
    """A Summary of encoded Summary.Value messages."""
    return b"".join(bytes_field(1, v) for v in values)


def scalar_value(tag, value):
    return bytes_field(1, tag) + float_field(2, value)


def histogram_value(tag, lo, hi, num, total, total_squares, limits, counts):
    histo = (double_field(1, lo) + double_field(2, hi) + double_field(3, num)
             + double_field(4, total) + double_field(5, total_squares)
             + packed_doubles(6, limits) + packed_doubles(7, counts))
    return bytes_field(1, tag) + bytes_field(5, histo)


def image_value(tag, height, width, channels, png):
    image = (varint_field(1, height) + varint_field(2, width) + varint_field(3, channels)
             + bytes_field(4, png))
    return bytes_field(1, tag) + bytes_field(4, image)


def text_value(tag, text):
    """The text plugin's form: a string tensor of one element, tagged '<tag>/text_summary'."""
    plugin = bytes_field(1, bytes_field(1, "text"))  # SummaryMetadata.plugin_data.plugin_name
    shape = bytes_field(2, varint_field(1, 1))  # TensorShapeProto.dim[0].size = 1
    tensor = varint_field(1, 7) + bytes_field(2, shape) + bytes_field(8, text)  # DT_STRING
    return bytes_field(1, f"{tag}/text_summary") + bytes_field(9, plugin) + bytes_field(8, tensor)


def graph_def(nodes):
    """A GraphDef of (name, op, [input names]) nodes."""
    out = b""
    for name, op, inputs in nodes:
        node = bytes_field(1, name) + bytes_field(2, op)
        for i in inputs:
            node += bytes_field(3, i)
        out += bytes_field(1, node)
    return out + bytes_field(4, varint_field(1, 22))  # versions.producer
