"""Keras's random image augmentation layers: RandomFlip, RandomRotation, RandomZoom,
RandomTranslation, RandomContrast, RandomBrightness, RandomCrop.

They act only in training (inside `fit`, or called directly: a new layer is in training
mode, as Keras's `training=True` default for these layers) and are the identity at
inference (`predict`, `evaluate`, `layer(x, training=False)`); RandomCrop at inference
center-crops to the aspect ratio and resizes, as Keras. Each layer draws from its own NumPy
generator seeded by `seed` (or, without a seed, by brique's RNG, so `brique.manual_seed`
repeats a run). Geometric transforms follow Keras 3's `affine_transform`: an output pixel
(x, y) reads the input at ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y
+ 1, pixel centres at integers, each neighbour index moved inside by `fill_mode`; the image
gets gradients through the gather.
"""
from __future__ import annotations

import math

import numpy as np

from ... import creation
from .image_preprocessing import ImageLayer, aspect_crop, resize
from .preprocessing import like

FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _mirror(i, size):
    s = size - 1
    return np.abs((i + s) % (2 * s) - s) if s > 0 else np.zeros_like(i)


def _fix(i, size, fill_mode):
    """Integer source indices moved inside [0, size) by Keras's fill modes."""
    if fill_mode == "wrap":
        return i % size
    if fill_mode == "reflect":  # (d c b a | a b c d | d c b a)
        return (_mirror(2 * i + 1, 2 * size + 1) - 1) // 2
    return np.clip(i, 0, size - 1)


def affine_transform(x, transforms, interpolation="bilinear", fill_mode="constant",
                     fill_value=0.0):
    """(N, H, W, C) images through (N, 8) Keras transforms [a0 a1 a2 b0 b1 b2 c0 c1].

    Shape: (N, H, W, C) -> (N, H, W, C)."""
    n, h, w, c = x.shape
    # float32, in Keras's order of terms, so that 'nearest' rounds half-way points the same
    t = np.asarray(transforms, np.float32).reshape(n, 8, 1, 1)
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                         indexing="ij")
    k = t[:, 6] * xs + t[:, 7] * ys + 1
    src = [(ys * t[:, 4] + xs * t[:, 3] + t[:, 5]) / k, (ys * t[:, 1] + xs * t[:, 0] + t[:, 2])
           / k]  # (row, column) coordinates, (N, H, W) each
    taps = []
    for coord, size in zip(src, (h, w)):
        if interpolation == "nearest":
            idx = np.rint(coord).astype(np.int64)
            taps.append([(idx, np.ones_like(coord))])
        else:
            low = np.floor(coord)
            frac = coord - low
            low = low.astype(np.int64)
            taps.append([(low, 1 - frac), (low + 1, frac)])
    flat = x.reshape(n * h * w, c)
    base = np.arange(n).reshape(n, 1, 1) * (h * w)
    out = 0
    for r, wr in taps[0]:
        for col, wc in taps[1]:
            weight = wr * wc
            index = base + _fix(r, h, fill_mode) * w + _fix(col, w, fill_mode)
            value = flat[index.reshape(-1)].reshape(n, h, w, c)
            if fill_mode == "constant":
                inside = ((r >= 0) & (r < h) & (col >= 0) & (col < w))[..., None]
                value = value * like(inside.astype(x.dtype), x) + \
                    like(((~inside) * fill_value).astype(x.dtype), x)
            out = out + value * like(weight[..., None].astype(x.dtype), x)
    return out


def _factor_pair(layer, factor, what, low=-1.0, high=1.0):
    """Keras's factor: a number f is (-f, f), a pair (lower, upper) is sorted; both in
    [low, high]."""
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        pair = (-abs(factor), abs(factor))
    elif isinstance(factor, (tuple, list)) and len(factor) == 2:
        pair = tuple(sorted(float(f) for f in factor))
    else:
        raise ValueError(f"{layer}: {what} must be a number or a pair of numbers, got "
                         f"{factor!r}")
    if pair[0] < low or pair[1] > high:
        raise ValueError(f"{layer}: {what} must lie in [{low}, {high}], got {factor!r}")
    return pair


class _Random(ImageLayer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed, self._generator = seed, None

    @property
    def rng(self):
        if self._generator is None:
            seed = self.seed if self.seed is not None else \
                int(creation.randint(0, 2 ** 31 - 1, (1,)).item())
            self._generator = np.random.default_rng(seed)
        return self._generator

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}

    def transform(self, x, training):
        return self.augment(x) if training else x


class _Affine(_Random):
    """A random affine map per image, sampled with `interpolation` and `fill_mode`."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if fill_mode not in FILL_MODES:
            raise ValueError(f"{self.name}: fill_mode must be one of {list(FILL_MODES)}, got "
                             f"{fill_mode!r}")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"{self.name}: interpolation must be 'nearest' or 'bilinear', "
                             f"got {interpolation!r}")
        self.fill_mode, self.interpolation, self.fill_value = \
            fill_mode, interpolation, fill_value

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "fill_value": self.fill_value}

    def augment(self, x):
        return affine_transform(x, self.transforms(*x.shape[:3]), self.interpolation,
                                self.fill_mode, self.fill_value)


class RandomRotation(_Affine):
    """Rotates each image by a random angle in [lower, upper] * 360 degrees (factor f means
    (-f, f)), counter-clockwise for positive angles, about its centre."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format=data_format,
                         **kwargs)
        self.factor = _factor_pair(self.name, factor, "factor")

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}

    @staticmethod
    def rotation(angles_deg, h, w):
        a = np.asarray(angles_deg, np.float64) * math.pi / 180
        cos, sin = np.cos(a), np.sin(a)
        cx, cy = (w - 1) / 2, (h - 1) / 2
        zero = np.zeros_like(a)
        return np.stack([cos, -sin, cx - cx * cos + cy * sin,
                         sin, cos, cy - cx * sin - cy * cos, zero, zero], axis=1)

    def transforms(self, n, h, w):
        return self.rotation(self.rng.uniform(self.factor[0] * 360, self.factor[1] * 360, n),
                             h, w)


class RandomZoom(_Affine):
    """Zooms each image by a random factor: height_factor (lower, upper) zooms out by 1 +
    a value in that range (negative values zoom in); width_factor likewise, or the same zoom
    as the height when None."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format=data_format,
                         **kwargs)
        self.height_factor = _factor_pair(self.name, height_factor, "height_factor")
        self.width_factor = None if width_factor is None else \
            _factor_pair(self.name, width_factor, "width_factor")
        if min(self.height_factor + (self.width_factor or (0,))) <= -1:
            raise ValueError(f"{self.name}: zoom factors must be > -1, got "
                             f"{height_factor!r}, {width_factor!r}")

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}

    def transforms(self, n, h, w):
        zy = 1 + self.rng.uniform(*self.height_factor, n)
        zx = zy if self.width_factor is None else 1 + self.rng.uniform(*self.width_factor, n)
        zero = np.zeros(n)
        return np.stack([zx, zero, (w - 1) / 2 * (1 - zx), zero, zy, (h - 1) / 2 * (1 - zy),
                         zero, zero], axis=1)


class RandomTranslation(_Affine):
    """Shifts each image by random fractions of its height and width (factor f means
    (-f, f); positive moves down / right)."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format=data_format,
                         **kwargs)
        self.height_factor = _factor_pair(self.name, height_factor, "height_factor")
        self.width_factor = _factor_pair(self.name, width_factor, "width_factor")

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}

    def transforms(self, n, h, w):
        dy = self.rng.uniform(*self.height_factor, n) * h
        dx = self.rng.uniform(*self.width_factor, n) * w
        one, zero = np.ones(n), np.zeros(n)
        return np.stack([one, zero, -dx, zero, one, -dy, zero, zero], axis=1)


class RandomFlip(_Random):
    """Flips each image with probability 1/2: mode 'horizontal' (left-right), 'vertical'
    or 'horizontal_and_vertical' (both, with one draw per image, as Keras 3)."""

    MODES = {"horizontal": (2,), "vertical": (1,), "horizontal_and_vertical": (1, 2)}

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in self.MODES:
            raise ValueError(f"{self.name}: mode must be one of {list(self.MODES)}, got "
                             f"{mode!r}")
        self.mode = mode

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}

    def augment(self, x):
        flip = (self.rng.uniform(size=x.shape[0]) <= 0.5).reshape(-1, 1, 1, 1)
        keep = like(flip.astype(x.dtype), x)
        return x.flip(self.MODES[self.mode]) * keep + x * (1 - keep)


class RandomContrast(_Random):
    """Scales each image's deviation from its per-channel mean by a random factor in
    [1 - lower, 1 + upper] (factor f means lower = upper = f, in [0, 1]), then clips to
    value_range."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        pair = (factor, factor) if isinstance(factor, (int, float)) else factor
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2
                and all(0 <= f <= 1 for f in pair)):
            raise ValueError(f"{self.name}: factor must be a number or a pair of numbers in "
                             f"[0, 1], got {factor!r}")
        self.factor, self.value_range = tuple(pair), tuple(value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": self.value_range}

    def augment(self, x):
        f = self.rng.uniform(1 - self.factor[0], 1 + self.factor[1], (x.shape[0], 1, 1, 1))
        mean = x.mean(dim=(1, 2), keepdim=True)
        out = (x - mean) * like(f.astype(x.dtype), x) + mean
        return out.clamp(*self.value_range)


class RandomBrightness(_Random):
    """Adds to each image a random delta in factor (lower, upper) times the width of
    value_range (factor f means (-f, f), in [-1, 1]), then clips to value_range."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _factor_pair(self.name, factor, "factor")
        if not (isinstance(value_range, (tuple, list)) and len(value_range) == 2):
            raise ValueError(f"{self.name}: value_range must be a pair (low, high), got "
                             f"{value_range!r}")
        self.value_range = tuple(sorted(value_range))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": self.value_range}

    def augment(self, x):
        low, high = self.value_range
        delta = self.rng.uniform(*self.factor, (x.shape[0], 1, 1, 1)) * (high - low)
        return (x + like(delta.astype(x.dtype), x)).clamp(low, high)


class RandomCrop(_Random):
    """In training, a random (height, width) window (one offset for the batch) of images
    larger than that; otherwise, and at inference, the centred window of the target aspect
    ratio resized to (height, width)."""

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        for what, v in (("height", height), ("width", width)):
            if not (isinstance(v, (int, np.integer)) and v > 0):
                raise ValueError(f"{self.name}: {what} must be a positive int, got {v!r}")
        self.height, self.width = int(height), int(width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}

    def compute_output_shape(self, input_shape):
        self._hw(input_shape)
        return self._with_hw(input_shape, self.height, self.width)

    def transform(self, x, training):
        h, w = x.shape[1:3]
        if training and h > self.height and w > self.width:
            top = int(self.rng.integers(0, h - self.height + 1))
            left = int(self.rng.integers(0, w - self.width + 1))
            return x[:, top:top + self.height, left:left + self.width]
        top, left, ch, cw = aspect_crop(h, w, self.height, self.width)
        return resize(x[:, top:top + ch, left:left + cw], (self.height, self.width))
