"""3-D padding layers over F.pad (video, medical volumes): an int pads every side, a tuple
lists (left, right, top, bottom, front, back) as F.pad does.
Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D + front + back, H + top + bottom,
W + left + right)."""
from __future__ import annotations

from .padding import _layer

ZeroPad3d = _layer("ZeroPad3d", 3, "constant", "Pads the last three dims with zeros.")
ConstantPad3d = _layer("ConstantPad3d", 3, "constant", "Pads the last three dims with `value`.",
                       True)
ReflectionPad3d = _layer("ReflectionPad3d", 3, "reflect",
                         "Pads the last three dims with their mirror image (edge not repeated).")
ReplicationPad3d = _layer("ReplicationPad3d", 3, "replicate",
                          "Repeats the edges of the last three dims.")
CircularPad3d = _layer("CircularPad3d", 3, "circular", "Wraps the last three dims around.")

for _cls in (ZeroPad3d, ConstantPad3d, ReflectionPad3d, ReplicationPad3d, CircularPad3d):
    _cls.__module__ = __name__
