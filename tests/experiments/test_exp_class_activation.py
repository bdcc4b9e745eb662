"""The class-activation experiment, quick mode: CAMs peak on the ink, Grad-CAM equals CAM, and
the convolutional LeNet-5 is the sliding-window classifier and reads digits on a larger image."""
from brique import experiments


def test_class_activation_quick(tmp_path):
    metrics = experiments.run("class-activation", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    assert metrics["cam_localised"] >= 0.7
    assert metrics["grad_cam_vs_cam"] < 1e-4 and metrics["sliding_vs_crops"] < 1e-4
    assert metrics["sliding_read_accuracy"] >= 0.7
    for name in ("cam.png", "sliding_window.png", "report.md"):
        assert (tmp_path / "class-activation" / name).stat().st_size > 0
