"""Padding layers: `nn.ZeroPad2d(1)`, `nn.ReflectionPad2d((1, 1, 2, 0))`, ... over F.pad.
An int pads every side; a tuple lists (left, right[, top, bottom]) as F.pad does."""
from __future__ import annotations

from .. import functional as F
from .module import Module


class _PadNd(Module):
    _dims = 2  # how many trailing dims the layer pads
    _mode = "constant"

    def __init__(self, padding, value=0.0):
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self._dims)
        padding = tuple(padding)
        if len(padding) != 2 * self._dims:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of "
                             f"{2 * self._dims} ints, got {padding}")
        self.padding, self.value = padding, value

    def forward(self, x):
        if self._mode == "constant":
            return F.pad(x, self.padding, "constant", self.value)
        return F.pad(x, self.padding, self._mode)

    def extra_repr(self):
        if type(self).__name__.startswith("Constant"):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


def _layer(name, dims, mode, doc, has_value=False):
    attrs = {"_dims": dims, "_mode": mode, "__doc__": doc}
    if not has_value:  # only ConstantPad takes a value
        attrs["__init__"] = lambda self, padding: _PadNd.__init__(self, padding)
    return type(name, (_PadNd,), attrs)


ZeroPad1d = _layer("ZeroPad1d", 1, "constant", "Pads the last dim with zeros.")
ZeroPad2d = _layer("ZeroPad2d", 2, "constant", "Pads the last two dims with zeros.")
ConstantPad1d = _layer("ConstantPad1d", 1, "constant", "Pads the last dim with `value`.", True)
ConstantPad2d = _layer("ConstantPad2d", 2, "constant", "Pads the last two dims with `value`.",
                       True)
ReflectionPad1d = _layer("ReflectionPad1d", 1, "reflect",
                         "Pads the last dim with its mirror image (edge not repeated).")
ReflectionPad2d = _layer("ReflectionPad2d", 2, "reflect",
                         "Pads the last two dims with their mirror image (edge not repeated).")
ReplicationPad1d = _layer("ReplicationPad1d", 1, "replicate", "Repeats the edge of the last dim.")
ReplicationPad2d = _layer("ReplicationPad2d", 2, "replicate",
                          "Repeats the edges of the last two dims.")
CircularPad1d = _layer("CircularPad1d", 1, "circular", "Wraps the last dim around.")
CircularPad2d = _layer("CircularPad2d", 2, "circular", "Wraps the last two dims around.")
