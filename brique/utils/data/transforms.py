"""Per-sample transforms (torchvision's names) on NumPy arrays or brique Tensors.

    transform = Compose([ToTensor(), RandomShift(2, generator=0), Normalize(0.1307, 0.3081)])

`ToTensor` turns an (H, W) or (H, W, C) image into a (C, H, W) float32 Tensor; the other
transforms work on the last two axes, (C, H, W) or (H, W), so put them after `ToTensor`, and
return what they were given (ndarray in, ndarray out; Tensor in, Tensor out).

Random transforms take `generator=`: a `brique.utils.data.Generator`, an int seed, or None
for brique's global random state (seeded by `brique.manual_seed`).

Each transform also has `batch(x)`, the same transform applied to a whole batch with a
leading N axis (each sample drawing its own randomness); the brique.datasets image sets use
it to transform a batch at once.
"""
from __future__ import annotations

import numpy as np

from ... import backend
from ...tensor import Tensor
from .sampler import as_generator


def _unwrap(x):
    """(array, was_tensor)."""
    if isinstance(x, Tensor):
        return x.detach()._data, True
    return np.asarray(x), False


def _rng(generator):
    return generator.rng if generator is not None else backend.rng()


def _spatial_check(name, arr, batch):
    need = 3 if batch else 2
    if arr.ndim < need:
        want = "(N, ..., H, W)" if batch else "(..., H, W)"
        raise ValueError(f"{name}: expected an image of shape {want}, got {tuple(arr.shape)}")


class Compose:
    """Apply transforms one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def batch(self, x):
        for t in self.transforms:
            x = t.batch(x)
        return x

    @property
    def batchable(self):
        return all(getattr(t, "batchable", hasattr(t, "batch")) for t in self.transforms)

    def __repr__(self):
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class Lambda:
    """Wrap a function as a transform (per sample only: no batch form)."""
    batchable = False

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)


class ToTensor:
    """(H, W) or (H, W, C) image -> (C, H, W) float32 Tensor. uint8 values are divided by 255
    (to [0, 1]); other dtypes are kept as values, unless `max_value` is given (brique's
    addition: `ToTensor(max_value=16)` for the 0-16 digits). Tensors are read the same way.

    Shape:
        (H, W) -> (1, H, W); (H, W, C) -> (C, H, W); batch: (N, H, W[, C]) -> (N, C, H, W).
    """

    def __init__(self, max_value=None):
        self.max_value = max_value

    def _convert(self, arr, batch):
        lead = 1 if batch else 0
        if arr.ndim == 2 + lead:
            arr = arr[:, None] if batch else arr[None]
        elif arr.ndim == 3 + lead:
            arr = np.moveaxis(arr, -1, lead)
        else:
            n = "N, " if batch else ""
            raise ValueError(f"ToTensor: expected an image of shape ({n}H, W) or ({n}H, W, C), "
                             f"got {tuple(arr.shape)}")
        scale = self.max_value if self.max_value is not None else (
            255.0 if arr.dtype == np.uint8 else None)
        out = arr.astype(np.float32)
        if scale is not None:
            out *= np.float32(1.0 / scale)
        return Tensor._make(np.ascontiguousarray(out))

    def __call__(self, x):
        return self._convert(backend.to_numpy(_unwrap(x)[0]), batch=False)

    def batch(self, x):
        return self._convert(backend.to_numpy(_unwrap(x)[0]), batch=True)

    def __repr__(self):
        return "ToTensor()" if self.max_value is None else f"ToTensor(max_value={self.max_value})"


class Normalize:
    """(x - mean) / std per channel (dim -3 of a (C, H, W) image).

    Shape:
        (C, H, W) -> (C, H, W); batch: (N, C, H, W).
    """

    def __init__(self, mean, std, inplace=False):
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1)
        if (self.std == 0).any():
            raise ValueError(f"Normalize: std must be non-zero, got {std}")
        self.inplace = inplace

    def __call__(self, x):
        arr, was_tensor = _unwrap(x)
        if arr.ndim < 3 and (self.mean.size > 1 or self.std.size > 1):
            raise ValueError(f"Normalize: per-channel mean/std need a (C, H, W) image, got shape "
                             f"{tuple(arr.shape)}")
        xp = backend.get_array_module(arr)
        if arr.ndim >= 3:
            mean, std = xp.asarray(self.mean[:, None, None]), xp.asarray(self.std[:, None, None])
        else:
            mean, std = self.mean[0], self.std[0]
        if self.inplace and arr.dtype.kind == "f":
            arr -= mean
            arr /= std
            out = arr
        else:
            out = ((arr - mean) / std).astype(arr.dtype if arr.dtype.kind == "f" else np.float32)
        return Tensor._make(out) if was_tensor else out

    batch = __call__  # the (-1, 1, 1) layout broadcasts over a leading N axis as well

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class _Random:
    def __init__(self, generator=None):
        self.generator = as_generator(generator)

    def __call__(self, x):
        arr, was_tensor = _unwrap(x)
        out = self._apply(backend.to_numpy(arr)[None], _rng(self.generator))[0]
        return Tensor._make(backend.to_device(out, backend.device_of(arr))) if was_tensor else out

    def batch(self, x):
        arr, was_tensor = _unwrap(x)
        out = self._apply(backend.to_numpy(arr), _rng(self.generator))
        return Tensor._make(backend.to_device(out, backend.device_of(arr))) if was_tensor else out


class RandomShift(_Random):
    """Shift the image by up to `max_shift` pixels in each direction (integers, drawn
    uniformly), filling the uncovered border with zeros.

    Shape:
        (..., H, W) -> same.
    """

    def __init__(self, max_shift, generator=None):
        super().__init__(generator)
        if max_shift < 0:
            raise ValueError(f"RandomShift: max_shift must be >= 0, got {max_shift}")
        self.max_shift = int(max_shift)

    def _apply(self, arr, rng):
        _spatial_check("RandomShift", arr, batch=True)
        h, w = arr.shape[-2:]
        shifts = rng.integers(-self.max_shift, self.max_shift + 1, size=(arr.shape[0], 2))
        out = np.zeros_like(arr)
        for i, (dy, dx) in enumerate(shifts.tolist()):
            dst_y, src_y = slice(max(dy, 0), h + min(dy, 0)), slice(max(-dy, 0), h - max(dy, 0))
            dst_x, src_x = slice(max(dx, 0), w + min(dx, 0)), slice(max(-dx, 0), w - max(dx, 0))
            out[i, ..., dst_y, dst_x] = arr[i, ..., src_y, src_x]
        return out

    def __repr__(self):
        return f"RandomShift(max_shift={self.max_shift})"


class RandomCrop(_Random):
    """Pad with `padding` zeros on every side, then crop a random `size` window
    (the CIFAR recipe: `RandomCrop(32, padding=4)`).

    Shape:
        (..., H, W) -> (..., size[0], size[1]).
    """

    def __init__(self, size, padding=None, generator=None):
        super().__init__(generator)
        self.size = (int(size), int(size)) if np.isscalar(size) else tuple(int(s) for s in size)
        self.padding = int(padding or 0)

    def _apply(self, arr, rng):
        _spatial_check("RandomCrop", arr, batch=True)
        p = self.padding
        if p:
            arr = np.pad(arr, [(0, 0)] * (arr.ndim - 2) + [(p, p), (p, p)])
        h, w = arr.shape[-2:]
        th, tw = self.size
        if th > h or tw > w:
            raise ValueError(f"RandomCrop: crop size {self.size} is larger than the (padded) "
                             f"image {(h, w)}")
        ys = rng.integers(0, h - th + 1, size=arr.shape[0])
        xs = rng.integers(0, w - tw + 1, size=arr.shape[0])
        return np.stack([arr[i, ..., y:y + th, x:x + tw]
                         for i, (y, x) in enumerate(zip(ys.tolist(), xs.tolist()))])

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip(_Random):
    """Mirror left-right (the last axis) with probability p.

    Shape:
        (..., H, W) -> same.
    """

    def __init__(self, p=0.5, generator=None):
        super().__init__(generator)
        self.p = float(p)

    def _apply(self, arr, rng):
        _spatial_check("RandomHorizontalFlip", arr, batch=True)
        flip = rng.random(arr.shape[0]) < self.p
        out = arr.copy()
        out[flip] = arr[flip][..., ::-1]
        return out

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class GaussianNoise:
    """x + std * N(0, 1), then clipped to `clip` = (low, high) if given (`clip=True` means
    (0, 1)): the corruption of a denoising autoencoder. Works on one sample or a whole batch
    (noise is drawn per element), on the tensor's device.

    Shape:
        any -> same.
    """

    def __init__(self, std, clip=None, generator=None):
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be >= 0, got {std}")
        self.std = float(std)
        self.clip = (0.0, 1.0) if clip is True else (tuple(clip) if clip else None)
        self.generator = as_generator(generator)

    def __call__(self, x):
        arr, was_tensor = _unwrap(x)
        dtype = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)
        noise = _rng(self.generator).standard_normal(arr.shape).astype(dtype)
        noise = backend.to_device(noise, backend.device_of(arr))
        out = arr.astype(dtype, copy=False) + self.std * noise
        if self.clip is not None:
            out = backend.get_array_module(out).clip(out, *self.clip)
        return Tensor._make(out) if was_tensor else out

    batch = __call__

    def __repr__(self):
        return f"GaussianNoise(std={self.std}, clip={self.clip})"
