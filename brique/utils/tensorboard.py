"""`brique.utils.tensorboard.SummaryWriter`, PyTorch's torch.utils.tensorboard writer: scalars,
histograms, images, text and the model's graph in TensorBoard's event files (written by
`_events.py`, no TensorFlow needed), read by `tensorboard --logdir runs`.

Records go to the file as they are added (buffered by the OS; `flush()` and `close()` push
them out), one file per writer, named as TensorFlow names them so TensorBoard finds it.
"""
from __future__ import annotations

import os
import socket
import struct
import time
import zlib
from datetime import datetime

import numpy as np

from . import _events as E


def _numpy(x):
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "numpy"):
        x = x.numpy()
    return np.asarray(x)


def _scalar(value, what):
    a = _numpy(value)
    if a.size != 1:
        raise ValueError(f"{what}: expected a scalar value, got an array of shape {a.shape}")
    return float(a.reshape(()))


def _png(pixels):
    """PNG bytes of an (H, W, C) uint8 array, C in 1 (grey), 3 (RGB), 4 (RGBA)."""
    h, w, c = pixels.shape
    color = {1: 0, 3: 2, 4: 6}[c]
    rows = b"".join(b"\x00" + pixels[r].tobytes() for r in range(h))  # filter 0 per row

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _hwc(img, dataformats):
    """An image in `dataformats` (CHW, HWC, HW, or with N: a grid) as (H, W, C) uint8."""
    a = _numpy(img)
    fmt = dataformats.upper()
    if a.ndim != len(fmt) or sorted(fmt) != sorted(set(fmt)) or set(fmt) - set("NCHW"):
        raise ValueError(f"add_image: an image of shape {a.shape} does not match "
                         f"dataformats {dataformats!r}")
    for axis in "NC":
        if axis not in fmt:
            a, fmt = a[..., None], fmt + axis
    a = a.transpose([fmt.index(k) for k in "NHWC"])
    n, h, w, c = a.shape
    if c not in (1, 3, 4):
        raise ValueError(f"add_image: expected 1, 3 or 4 channels, got {c}")
    cols = int(np.ceil(np.sqrt(n)))  # a batch is laid out as a grid, as make_grid does
    rows = -(-n // cols)
    grid = np.zeros((rows * h, cols * w, c), dtype=a.dtype)
    for i in range(n):
        r, q = divmod(i, cols)
        grid[r * h:(r + 1) * h, q * w:(q + 1) * w] = a[i]
    if grid.dtype != np.uint8:  # floats in [0, 1], as PyTorch takes them
        grid = (np.clip(grid.astype(np.float64), 0, 1) * 255 + 0.5).astype(np.uint8)
    return grid


def _tf_bucket_limits():
    """TensorFlow's default histogram buckets: +-1e-12 * 1.1^k up to 1e20, and 0."""
    pos = [1e-12]
    while pos[-1] < 1e20:
        pos.append(pos[-1] * 1.1)
    return [-p for p in reversed(pos)] + [0.0] + pos


class SummaryWriter:
    """Writes event files under `log_dir` (default runs/<date>_<host><comment>)."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10,
                 flush_secs=120, filename_suffix=""):
        if log_dir is None:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        os.makedirs(self.log_dir, exist_ok=True)
        name = (f"events.out.tfevents.{time.time():.0f}.{socket.gethostname()}."
                f"{os.getpid()}.{id(self) % 1000}{filename_suffix}")
        self._file = open(os.path.join(self.log_dir, name), "wb")
        self._children = {}
        self._write(E.event(time.time(), file_version="brain.Event:2"))

    def get_logdir(self):
        return self.log_dir

    def _write(self, payload):
        if self._file is None:
            raise RuntimeError(f"SummaryWriter: the writer for {self.log_dir} is closed")
        self._file.write(E.record(payload))

    def _summary(self, value, step, walltime):
        self._write(E.event(time.time() if walltime is None else walltime,
                            None if step is None else int(step), summary=E.summary(value)))

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        self._summary(E.scalar_value(tag, _scalar(scalar_value, "add_scalar")), global_step,
                      walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Each scalar in a run of its own, log_dir/<main_tag>_<key>, all under `main_tag`
        (so TensorBoard draws them in one chart)."""
        for key, value in tag_scalar_dict.items():
            path = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{key}")
            if path not in self._children:
                self._children[path] = SummaryWriter(path)
            self._children[path].add_scalar(main_tag, value, global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        a = _numpy(values).astype(np.float64).reshape(-1)
        if a.size == 0:
            raise ValueError(f"add_histogram: the values for {tag!r} are empty")
        if not np.isfinite(a).all():
            raise ValueError(f"add_histogram: the values for {tag!r} contain NaN or inf")
        if isinstance(bins, str) and bins == "tensorflow":
            edges = np.array(_tf_bucket_limits())
            counts = np.bincount(np.searchsorted(edges, a), minlength=edges.size)[:edges.size]
            used = np.nonzero(counts)[0]
            keep = slice(max(used[0] - 1, 0), used[-1] + 1)  # trimmed as TensorFlow does
            limits, counts = edges[keep], counts[keep]
        else:
            counts, edges = np.histogram(a, bins=bins)
            limits = edges[1:]
        self._summary(E.histogram_value(tag, a.min(), a.max(), a.size, a.sum(), (a * a).sum(),
                                        limits, counts), global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        pixels = _hwc(img_tensor, dataformats)
        self._summary(E.image_value(tag, pixels.shape[0], pixels.shape[1], pixels.shape[2],
                                    _png(pixels)), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        self.add_image(tag, img_tensor, global_step, walltime, dataformats)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._summary(E.text_value(tag, str(text_string)), global_step, walltime)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """The model's graph as recorded by autograd on one forward of `input_to_model`:
        a node per op, named by its op and position, with the parameters by their names."""
        from ._graph import trace_graph
        self._write(E.event(time.time(), graph_def=E.graph_def(trace_graph(model,
                                                                          input_to_model))))

    def flush(self):
        if self._file is not None:
            self._file.flush()
        for child in self._children.values():
            child.flush()

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None
        for child in self._children.values():
            child.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
