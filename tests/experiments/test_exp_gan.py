"""The gan experiment (quick): a short run cannot reach the full claim's thresholds (9 of 10
classes, confidence 0.8); it shows that both players train (finite, moving losses), that
the discriminator is not perfect at the end, and that samples are well-formed."""
import math

from brique import experiments


def test_gan_quick(tmp_path):
    metrics = experiments.run("gan", quick=True, out=str(tmp_path))
    assert isinstance(metrics["claim_held"], bool)
    for label in ("GAN (MLP)", "DCGAN"):
        s = metrics["summary"][label]
        for key in ("d_loss_first", "d_loss_last", "g_loss_first", "g_loss_last"):
            assert math.isfinite(s[key]), (label, key)
        assert s["d_loss_last"] != s["d_loss_first"] and s["g_loss_last"] != s["g_loss_first"]
        assert s["d_acc_last"] < 1.0, label
        assert -1.0 <= s["sample_min"] <= s["sample_max"] <= 1.0
        assert s["sample_shape"] == [metrics["n_eval"], 1, 28, 28]
        assert sum(s["class_counts"]) == metrics["n_eval"]
        assert len(metrics["curves"][label]["d_loss"]) == metrics["epochs"]
    for png in ("samples.png", "losses.png", "interpolation.png"):
        assert (tmp_path / "gan" / png).stat().st_size > 0
