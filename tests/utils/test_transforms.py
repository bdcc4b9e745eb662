"""Transforms on NumPy arrays and brique Tensors, per sample and per batch."""
import numpy as np
import pytest

import brique
from brique.utils.data import transforms as T


def test_to_tensor_shapes_and_scale():
    hw = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = T.ToTensor()(hw)
    assert isinstance(out, brique.Tensor) and out.shape == (1, 3, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy()[0], hw / 255.0, rtol=1e-6)
    hwc = np.random.default_rng(0).integers(0, 256, (5, 6, 3)).astype(np.uint8)
    chw = T.ToTensor()(hwc).numpy()
    assert chw.shape == (3, 5, 6)
    np.testing.assert_allclose(chw, hwc.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert T.ToTensor(max_value=16)(np.full((2, 2), 16, np.uint8)).numpy().max() == 1.0
    batch = T.ToTensor().batch(np.stack([hwc, hwc]))
    assert batch.shape == (2, 3, 5, 6)
    with pytest.raises(ValueError, match="ToTensor"):
        T.ToTensor()(np.zeros(4))


def test_to_tensor_matches_torchvision_convention():
    torch = pytest.importorskip("torch")
    hwc = np.random.default_rng(1).integers(0, 256, (4, 5, 3)).astype(np.uint8)
    expected = torch.from_numpy(hwc).permute(2, 0, 1).float().div(255).numpy()
    np.testing.assert_allclose(T.ToTensor()(hwc).numpy(), expected, rtol=1e-6)


def test_normalize_numpy_and_tensor():
    x = np.ones((2, 3, 3), np.float32)
    out = T.Normalize([0.5, 1.0], [0.5, 2.0])(x)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out[0], 1.0)
    np.testing.assert_allclose(out[1], 0.0)
    t = T.Normalize(0.5, 0.25)(brique.ones(1, 2, 2))
    assert isinstance(t, brique.Tensor) and np.allclose(t.numpy(), 2.0)
    nb = T.Normalize([0.5, 1.0], [0.5, 2.0]).batch(np.ones((4, 2, 3, 3), np.float32))
    np.testing.assert_allclose(nb[:, 1], 0.0)


def test_random_shift_zero_fill_and_seed():
    img = np.arange(1, 26, dtype=np.float32).reshape(1, 5, 5)
    a = T.RandomShift(2, generator=0)(img)
    b = T.RandomShift(2, generator=0)(img)
    np.testing.assert_array_equal(a, b)
    assert a.shape == img.shape
    # The content is img shifted by some (dy, dx) in [-2, 2]^2 with zeros elsewhere.
    matches = []
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            ref = np.zeros_like(img)
            ref[:, max(dy, 0):5 + min(dy, 0), max(dx, 0):5 + min(dx, 0)] = \
                img[:, max(-dy, 0):5 - max(dy, 0), max(-dx, 0):5 - max(dx, 0)]
            matches.append(np.array_equal(ref, a))
    assert sum(matches) == 1
    outs = {T.RandomShift(1, generator=s)(img).tobytes() for s in range(30)}
    assert len(outs) > 3
    assert T.RandomShift(0)(img).tolist() == img.tolist()


def test_random_crop_with_padding():
    img = np.ones((3, 8, 8), np.float32)
    out = T.RandomCrop(8, padding=2, generator=3)(img)
    assert out.shape == (3, 8, 8) and out.min() in (0.0, 1.0)
    assert T.RandomCrop((4, 6), generator=0)(img).shape == (3, 4, 6)
    assert T.RandomCrop(5, generator=0).batch(np.ones((7, 1, 8, 8))).shape == (7, 1, 5, 5)
    with pytest.raises(ValueError, match="larger"):
        T.RandomCrop(9)(img)


def test_random_horizontal_flip():
    img = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(img), img[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0)(img), img)
    batch = T.RandomHorizontalFlip(0.5, generator=0).batch(np.repeat(img[None], 200, 0))
    flipped = (batch[:, 0, 0, 0] == 2).mean()
    assert 0.35 < flipped < 0.65
    t = T.RandomHorizontalFlip(1.0)(brique.tensor(img))
    assert isinstance(t, brique.Tensor) and t.tolist() == img[..., ::-1].tolist()


def test_gaussian_noise_clip_and_seed():
    x = np.full((1000,), 0.5, np.float32)
    a = T.GaussianNoise(0.2, clip=True, generator=0)(x)
    assert a.dtype == np.float32 and 0.0 <= a.min() and a.max() <= 1.0
    assert abs(a.std() - 0.2) < 0.03
    np.testing.assert_array_equal(a, T.GaussianNoise(0.2, clip=(0, 1), generator=0)(x))
    t = T.GaussianNoise(0.1)(brique.zeros(4, 1, 2, 2))
    assert isinstance(t, brique.Tensor) and t.shape == (4, 1, 2, 2)


def test_compose_and_batch_form():
    tf = T.Compose([T.ToTensor(), T.Normalize(0.5, 0.5)])
    img = np.full((4, 4), 255, np.uint8)
    assert np.allclose(tf(img).numpy(), 1.0) and tf.batchable
    assert tf.batch(np.stack([img] * 3)).shape == (3, 1, 4, 4)
    assert not T.Compose([T.Lambda(lambda x: x)]).batchable
