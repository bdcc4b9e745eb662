"""segmentation (quick): the small U-Net already segments held-out shapes after 2 epochs."""
import numpy as np

import brique
from brique.experiments.segmentation import iou, make_shapes


def test_generated_shapes_are_seeded_and_masks_binary():
    a, ma = make_shapes(5, 32, np.random.default_rng(1))
    b, mb = make_shapes(5, 32, np.random.default_rng(1))
    assert a.shape == ma.shape == (5, 1, 32, 32) and a.dtype == np.float32
    assert np.array_equal(a, b) and np.array_equal(ma, mb)
    assert set(np.unique(ma)) <= {0.0, 1.0} and 0.02 < ma.mean() < 0.6
    assert a[ma > 0].mean() > a[ma == 0].mean() + 0.3   # shapes are brighter on average


def test_iou():
    p = np.array([1, 1, 0, 0], bool)
    assert iou(p, p) == 1.0 and iou(p, ~p) == 0.0
    assert iou(p, np.array([1, 0, 1, 0], bool)) == 1 / 3


def test_segmentation_quick(tmp_path):
    metrics = brique.experiments.run("segmentation", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    assert metrics["test_iou"] > 0.5 and metrics["pixel_accuracy"] > 0.9
    assert metrics["test_iou"] > metrics["threshold_iou"]   # context beats one threshold
    assert metrics["train_loss"][-1] < metrics["train_loss"][0]
    assert (tmp_path / "segmentation" / "masks.png").exists()
