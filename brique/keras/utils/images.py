"""Image helpers of keras.utils (and keras.preprocessing.image): array_to_img,
img_to_array, load_img, save_img, on PIL (Pillow), channels-last arrays."""
from __future__ import annotations

import io
import os

import numpy as np

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming")


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("keras.utils image functions need Pillow: pip install pillow") \
            from None
    return Image


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a float32 (H, W, C) array (channels_first: (C, H, W))."""
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3:
        raise ValueError(f"img_to_array: expected an image of rank 2 or 3, got shape {x.shape}")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """An (H, W, C) array (C = 1, 3 or 4) as a PIL image; `scale` maps its range to 0-255."""
    Image = _pil()
    x = np.asarray(x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected an image array of rank 3, got shape "
                         f"{x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        top = x.max()
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    modes = {1: "L", 3: "RGB", 4: "RGBA"}
    if channels not in modes:
        raise ValueError(f"array_to_img: unsupported number of channels {channels}; expected "
                         "1, 3 or 4")
    pixels = x.astype("uint8")
    return Image.fromarray(pixels[:, :, 0] if channels == 1 else pixels, modes[channels])


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False, grayscale=False):
    """A PIL image from a path (or bytes / file object), converted to `color_mode`
    ('grayscale', 'rgb', 'rgba') and resized to `target_size` (height, width)."""
    Image = _pil()
    if grayscale:
        color_mode = "grayscale"
    modes = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
    if color_mode not in modes:
        raise ValueError(f"load_img: color_mode must be 'grayscale', 'rgb' or 'rgba', got "
                         f"{color_mode!r}")
    if isinstance(path, (bytes, bytearray)):
        path = io.BytesIO(path)
    elif isinstance(path, (str, os.PathLike)):
        path = os.fspath(path)
    img = Image.open(path)
    img.load()
    if img.mode != modes[color_mode]:
        img = img.convert(modes[color_mode])
    if target_size is not None:
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"load_img: interpolation must be one of {_INTERPOLATIONS}, got "
                             f"{interpolation!r}")
        height, width = target_size
        if keep_aspect_ratio:  # crop the centre to the target's aspect ratio first
            w, h = img.size
            crop_w, crop_h = min(w, int(h * width / height)), min(h, int(w * height / width))
            left, top = (w - crop_w) // 2, (h - crop_h) // 2
            img = img.crop((left, top, left + crop_w, top + crop_h))
        if img.size != (width, height):
            img = img.resize((width, height), getattr(Image, interpolation.upper()))
    return img


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and (file_format == "jpeg" or str(path).lower().endswith(
            (".jpg", ".jpeg"))):
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)
