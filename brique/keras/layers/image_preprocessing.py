"""Keras's deterministic image layers, as Keras 3 computes them: Resizing, CenterCrop, and
the ImageLayer base of the random ones (image_augmentation.py).

Images are channels-last (N, H, W, C), (H, W, C) unbatched, or channels_first with
data_format; integer images (uint8) come out as float32, as in Keras. Resizing is
TensorFlow's (half-pixel centres, no antialiasing), which is F.interpolate's
align_corners=False.
"""
from __future__ import annotations

import numpy as np

from ...nn import functional as F
from ..engine import Layer, to_first, to_last


class ImageLayer(Layer):
    """A layer on (N, H, W, C) images (or (H, W, C), or channels_first): `transform(x,
    training)` gets float32 (N, H, W, C) Tensors."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"{self.name}: data_format must be 'channels_last' or "
                             f"'channels_first', got {data_format!r}")
        self.data_format = data_format or "channels_last"

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}

    def _hw(self, shape):
        if len(shape) not in (3, 4):
            raise ValueError(f"{self.name}: expected images of rank 4 (batch, height, width, "
                             f"channels) or 3, got shape {tuple(shape)}")
        return tuple(shape[-2:]) if self.data_format == "channels_first" else \
            tuple(shape[-3:-1])

    def _with_hw(self, shape, h, w):
        shape = list(shape)
        at = len(shape) - (2 if self.data_format == "channels_first" else 3)
        shape[at:at + 2] = [h, w]
        return tuple(shape)

    def forward(self, x, training=True):  # Keras's default: a direct call augments
        if 0 in self._hw(x.shape):
            raise ValueError(f"{self.name}: images of height and width at least 1 expected, got "
                             f"shape {tuple(x.shape)}")
        x = x if x.is_floating_point() else x.float()
        single = x.ndim == 3
        x = x.unsqueeze(0) if single else x
        first = self.data_format == "channels_first"
        y = self.transform(to_last(x) if first else x,
                           self.training if training is None else bool(training))
        y = to_first(y) if first else y
        return y[0] if single else y


def aspect_crop(h, w, th, tw):
    """(top, left, height, width) of the largest centred window of aspect th:tw (Keras's
    crop_to_aspect_ratio)."""
    ch = max(min(h, int(w * th / tw)), 1)
    cw = max(min(w, int(h * tw / th)), 1)
    return int((h - ch) / 2), int((w - cw) / 2), ch, cw


_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}


def resize(x, size, interpolation="bilinear"):
    """(N, H, W, C) images resized to size (h, w) with half-pixel centres and no
    antialiasing (TensorFlow's resize, Keras's default), through F.interpolate."""
    if tuple(x.shape[1:3]) == tuple(size):
        return x
    mode = _MODES[interpolation]
    y = F.interpolate(to_first(x), size=tuple(size), mode=mode,
                      align_corners=False if mode != "nearest-exact" else None)
    return to_last(y)


class Resizing(ImageLayer):
    """Images resized to (height, width): interpolation 'bilinear' (default), 'nearest' or
    'bicubic'; crop_to_aspect_ratio first crops the largest centred window of the target
    aspect ratio, pad_to_aspect_ratio pads with fill_value to it instead."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        for what, v in (("height", height), ("width", width)):
            if not (isinstance(v, (int, np.integer)) and v > 0):
                raise ValueError(f"{self.name}: {what} must be a positive int, got {v!r}")
        if interpolation not in _MODES:
            raise ValueError(f"{self.name}: interpolation must be one of {list(_MODES)}, got "
                             f"{interpolation!r}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(f"{self.name}: only one of crop_to_aspect_ratio and "
                             "pad_to_aspect_ratio can be True")
        if fill_mode != "constant":
            raise ValueError(f"{self.name}: fill_mode must be 'constant', got {fill_mode!r}")
        self.height, self.width, self.interpolation = int(height), int(width), interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio, self.fill_mode, self.fill_value = \
            pad_to_aspect_ratio, fill_mode, fill_value

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                "fill_mode": self.fill_mode, "fill_value": self.fill_value}

    def compute_output_shape(self, input_shape):
        self._hw(input_shape)
        return self._with_hw(input_shape, self.height, self.width)

    def transform(self, x, training):
        h, w = x.shape[1:3]
        if self.crop_to_aspect_ratio:
            top, left, ch, cw = aspect_crop(h, w, self.height, self.width)
            x = x[:, top:top + ch, left:left + cw]
        elif self.pad_to_aspect_ratio:
            # Keras pads the same number of rows (columns) on both sides
            top = int((max(h, int(w * self.height / self.width)) - h) / 2)
            left = int((max(w, int(h * self.width / self.height)) - w) / 2)
            x = F.pad(x, [0, 0, left, left, top, top], value=float(self.fill_value))
        return resize(x, (self.height, self.width), self.interpolation)


class CenterCrop(ImageLayer):
    """The centred (height, width) window of each image; an image smaller than that is
    resized to it after cropping to its aspect ratio (Keras's smart_resize)."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}

    def compute_output_shape(self, input_shape):
        self._hw(input_shape)
        return self._with_hw(input_shape, self.height, self.width)

    def transform(self, x, training):
        h, w = x.shape[1:3]
        if h >= self.height and w >= self.width:
            top, left = (h - self.height) // 2, (w - self.width) // 2
            return x[:, top:top + self.height, left:left + self.width]
        top, left, ch, cw = aspect_crop(h, w, self.height, self.width)
        return resize(x[:, top:top + ch, left:left + cw], (self.height, self.width))
