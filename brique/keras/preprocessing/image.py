"""Keras 2's `keras.preprocessing.image`: ImageDataGenerator (random rotations, shifts,
shears, zooms and flips, rescaling and standardization) and its `.flow(x, y)` iterator, a
Sequence that model.fit takes; load_img / img_to_array / array_to_img.

Images are channels-last (N, H, W, C). The affine warp is Keras's (the same matrices, about
the image centre, bilinear interpolation: interpolation_order=1), computed with NumPy instead
of scipy.ndimage; fill_mode 'nearest', 'constant' (cval), 'reflect' or 'wrap'.
"""
from __future__ import annotations

import math

import numpy as np

from ..utils.data import PyDataset
from ..utils.images import array_to_img, img_to_array, load_img, save_img  # noqa: F401

FILL_MODES = ("nearest", "constant", "reflect", "wrap")


def _source_index(i, n, mode):
    """Where an integer pixel index outside [0, n) reads from, per fill mode."""
    if mode == "reflect":  # d c b a | a b c d | d c b a
        i = np.mod(i, 2 * n)
        return np.where(i >= n, 2 * n - 1 - i, i)
    if mode == "wrap":
        return np.mod(i, n)
    return np.clip(i, 0, n - 1)


def _warp(channel_first, matrix, offset, fill_mode, cval):
    """out[o] = input[matrix @ o + offset] for each (row, col) o, bilinear, per channel
    (what scipy.ndimage.affine_transform computes with order=1)."""
    _, h, w = channel_first.shape
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    src = np.tensordot(matrix, np.stack([rows, cols]), axes=1) + offset[:, None, None]
    r0, c0 = np.floor(src[0]).astype(np.int64), np.floor(src[1]).astype(np.int64)
    fr, fc = src[0] - r0, src[1] - c0
    out = 0.0
    for dr, wr in ((0, 1 - fr), (1, fr)):
        for dc, wc in ((0, 1 - fc), (1, fc)):
            rr, cc = _source_index(r0 + dr, h, fill_mode), _source_index(c0 + dc, w, fill_mode)
            out = out + channel_first[:, rr, cc] * (wr * wc)
    if fill_mode == "constant":  # no interpolation beyond the edges, as scipy's 'constant'
        eps = 1e-9
        outside = (src[0] < -eps) | (src[0] > h - 1 + eps) | (src[1] < -eps) | \
            (src[1] > w - 1 + eps)
        out = np.where(outside[None], cval, out)
    return out


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=0,
                           col_axis=1, channel_axis=2, fill_mode="nearest", cval=0.0, order=1):
    """Rotate by theta degrees, shift by (tx, ty), shear by `shear` degrees and zoom by
    (zx, zy) one image, about its centre, as Keras composes them."""
    if fill_mode not in FILL_MODES:
        raise ValueError(f"apply_affine_transform: fill_mode must be one of {FILL_MODES}, got "
                         f"{fill_mode!r}")
    if order != 1:
        raise ValueError(f"apply_affine_transform: only interpolation order 1 (bilinear) is "
                         f"supported, got {order}")
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"apply_affine_transform: expected one image (H, W, C), got shape "
                         f"{x.shape}")
    parts = []
    if theta:
        t = np.deg2rad(theta)
        parts.append([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    if tx or ty:
        parts.append([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    if shear:
        s = np.deg2rad(shear)
        parts.append([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
    if zx != 1 or zy != 1:
        parts.append([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    if not parts:
        return x
    m = np.linalg.multi_dot([np.eye(3)] + [np.asarray(p, dtype=np.float64) for p in parts])
    h, w = x.shape[row_axis], x.shape[col_axis]
    o_r, o_c = h / 2 - 0.5, w / 2 - 0.5
    m = np.array([[1, 0, o_r], [0, 1, o_c], [0, 0, 1]]) @ m @ \
        np.array([[1, 0, -o_r], [0, 1, -o_c], [0, 0, 1]])
    if col_axis > row_axis:  # Keras builds the matrix in (x, y) order: swap to (row, col)
        m = m[[1, 0, 2]][:, [1, 0, 2]]
    channels = np.moveaxis(x, channel_axis, 0).astype(np.float64)
    out = _warp(channels, m[:2, :2], m[:2, 2], fill_mode, cval)
    return np.moveaxis(out, 0, channel_axis).astype(x.dtype)


def _range(value, name):
    if isinstance(value, (int, float)):
        return [1 - value, 1 + value] if name == "zoom_range" else value
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return [float(value[0]), float(value[1])]
    raise ValueError(f"ImageDataGenerator: {name} must be a float or a pair of floats, got "
                     f"{value!r}")


class ImageDataGenerator:
    """Random augmentations and standardization of image batches; `.flow(x, y)` yields
    them. Order per image, as in Keras: random transform, then preprocessing_function,
    rescale, samplewise then featurewise centering / scaling."""

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0, width_shift_range=0.0,
                 height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0,
                 horizontal_flip=False, vertical_flip=False, rescale=None,
                 preprocessing_function=None, data_format=None, validation_split=0.0,
                 interpolation_order=1, dtype=None):
        if zca_whitening:
            raise ValueError("ImageDataGenerator: zca_whitening is not supported by brique")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"ImageDataGenerator: only data_format='channels_last' is "
                             f"supported, got {data_format!r}")
        if fill_mode not in FILL_MODES:
            raise ValueError(f"ImageDataGenerator: fill_mode must be one of {FILL_MODES}, "
                             f"got {fill_mode!r}")
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"ImageDataGenerator: validation_split must be in [0, 1), got "
                             f"{validation_split}")
        if brightness_range is not None:
            brightness_range = _range(brightness_range, "brightness_range")
        self.featurewise_center, self.samplewise_center = featurewise_center, samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.rotation_range, self.shear_range = rotation_range, shear_range
        self.width_shift_range, self.height_shift_range = width_shift_range, height_shift_range
        self.zoom_range = _range(zoom_range, "zoom_range")
        self.brightness_range, self.channel_shift_range = brightness_range, channel_shift_range
        self.fill_mode, self.cval, self.interpolation_order = fill_mode, cval, \
            interpolation_order
        self.horizontal_flip, self.vertical_flip = horizontal_flip, vertical_flip
        self.rescale, self.preprocessing_function = rescale, preprocessing_function
        self.dtype = dtype or "float32"
        self._validation_split = validation_split
        self.mean = self.std = None

    def _shift(self, spec, size, rng):
        if not spec:
            return 0
        if isinstance(spec, (list, tuple, np.ndarray)) or (isinstance(spec, int) and spec > 1):
            pool = spec if not isinstance(spec, int) else np.arange(spec)
            value = rng.choice(pool) * rng.choice([-1, 1])  # whole pixels, either way
        else:
            value = rng.uniform(-spec, spec)
        return value * size if np.max(spec) < 1 else value

    def get_random_transform(self, img_shape, seed=None):
        """The parameters of one random transform (a dict for apply_transform)."""
        rng = np.random.RandomState(seed) if seed is not None else np.random
        theta = rng.uniform(-self.rotation_range, self.rotation_range) \
            if self.rotation_range else 0
        tx = self._shift(self.height_shift_range, img_shape[0], rng)
        ty = self._shift(self.width_shift_range, img_shape[1], rng)
        shear = rng.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        zx, zy = (1, 1) if self.zoom_range == [1, 1] else rng.uniform(*self.zoom_range, 2)
        params = {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                  "flip_horizontal": bool(self.horizontal_flip and rng.random_sample() < 0.5),
                  "flip_vertical": bool(self.vertical_flip and rng.random_sample() < 0.5),
                  "channel_shift_intensity": None, "brightness": None}
        if self.channel_shift_range:
            params["channel_shift_intensity"] = rng.uniform(-self.channel_shift_range,
                                                            self.channel_shift_range)
        if self.brightness_range is not None:
            params["brightness"] = rng.uniform(*self.brightness_range)
        return params

    def apply_transform(self, x, transform_parameters):
        """One image (H, W, C) transformed by the given parameters."""
        p = transform_parameters
        x = apply_affine_transform(x, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0),
                                   p.get("shear", 0), p.get("zx", 1), p.get("zy", 1),
                                   fill_mode=self.fill_mode, cval=self.cval,
                                   order=self.interpolation_order)
        if p.get("channel_shift_intensity") is not None:
            low, high = x.min(), x.max()
            x = np.clip(x + p["channel_shift_intensity"], low, high)
        if p.get("flip_horizontal"):
            x = x[:, ::-1]
        if p.get("flip_vertical"):
            x = x[::-1]
        if p.get("brightness") is not None:  # Keras goes through PIL's enhancer too
            from PIL import ImageEnhance
            img = ImageEnhance.Brightness(array_to_img(x, scale=False)).enhance(p["brightness"])
            x = img_to_array(img, dtype=x.dtype)
        return np.ascontiguousarray(x)

    def random_transform(self, x, seed=None):
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def standardize(self, x):
        """preprocessing_function, rescale, then centering and scaling, in Keras's order."""
        if self.preprocessing_function is not None:
            x = self.preprocessing_function(x)
        if self.rescale:
            x = x * self.rescale
        if self.samplewise_center:
            x = x - np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x = x / (np.std(x, keepdims=True) + 1e-6)
        if self.featurewise_center or self.featurewise_std_normalization:
            if self.mean is None:
                raise ValueError("ImageDataGenerator: featurewise centering or normalization "
                                 "needs the statistics of the data: call .fit(x_train) first")
            if self.featurewise_center:
                x = x - self.mean
            if self.featurewise_std_normalization:
                x = x / (self.std + 1e-6)
        return x

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Per-channel mean and std of x (N, H, W, C) for the featurewise options."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.fit: expected images (N, H, W, C), got shape "
                             f"{x.shape}")
        if augment:
            rng = np.random.RandomState(seed)
            x = np.concatenate([np.stack([self.random_transform(img, rng.randint(2**31))
                                          for img in x]) for _ in range(rounds)])
        self.mean = x.mean(axis=(0, 1, 2)).reshape(1, 1, -1)
        self.std = x.std(axis=(0, 1, 2)).reshape(1, 1, -1)

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix="", save_format="png", ignore_class_split=False,
             subset=None):
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle,
                                  sample_weight=sample_weight, seed=seed, subset=subset)


class NumpyArrayIterator(PyDataset):
    """Augmented batches of (x, y[, sample_weight]) from arrays: indexable (a Sequence for
    model.fit, reshuffled by on_epoch_end) and an endless iterator (`next(it)`)."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False,
                 sample_weight=None, seed=None, subset=None, dtype=None):
        super().__init__()
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.flow: x must be images (N, H, W, C), got "
                             f"shape {x.shape}")
        parts = [x] + [np.asarray(a) for a in (y, sample_weight) if a is not None]
        if any(len(a) != len(x) for a in parts):
            raise ValueError(f"ImageDataGenerator.flow: x, y and sample_weight must have the "
                             f"same length, got {[len(a) for a in parts]}")
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f"flow: subset must be 'training' or 'validation', got "
                                 f"{subset!r}")
            cut = int(len(x) * image_data_generator._validation_split)
            part = slice(None, cut) if subset == "validation" else slice(cut, None)
            parts = [a[part] for a in parts]
        self.x = parts[0]
        self.y = None if y is None else parts[1]
        self.sample_weight = None if sample_weight is None else parts[-1]
        self.generator, self.batch_size, self.shuffle = image_data_generator, batch_size, shuffle
        self.seed, self.dtype = seed, dtype or image_data_generator.dtype
        self.n, self.epoch, self.batch_index = len(self.x), 0, 0
        self._order()

    def _order(self):
        rng = np.random.RandomState(None if self.seed is None else self.seed + self.epoch)
        self.index_array = rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, idx):
        if not 0 <= idx < len(self):
            raise IndexError(f"NumpyArrayIterator: batch {idx} of {len(self)}")
        index = self.index_array[idx * self.batch_size:(idx + 1) * self.batch_size]
        rng = np.random.RandomState(None if self.seed is None else
                                    self.seed + self.epoch * len(self) + idx)
        batch = np.stack([self.generator.standardize(self.generator.random_transform(
            self.x[j].astype(self.dtype), rng.randint(2**31))) for j in index]
        ).astype(self.dtype)
        out = [batch] + [a[index] for a in (self.y, self.sample_weight) if a is not None]
        return out[0] if len(out) == 1 else tuple(out)

    def on_epoch_end(self):
        self.epoch += 1
        self._order()

    def __next__(self):
        if self.batch_index >= len(self):
            self.batch_index = 0
            self.on_epoch_end()
        self.batch_index += 1
        return self[self.batch_index - 1]

    def __iter__(self):
        return self
