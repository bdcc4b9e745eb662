"""The autoencoder experiment (quick): every autoencoder's training loss falls and its test
reconstructions beat the mean image; PCA errors fall with more components."""
from brique import experiments


def test_autoencoder_quick(tmp_path):
    metrics = experiments.run("autoencoder", quick=True, out=str(tmp_path))
    assert metrics["claim_held"] and metrics["losses_fall"]
    err = metrics["test_mse"]
    for k in ("dense", "deep", "conv", "listing", "PCA-32"):
        assert err[k] < err["mean image"], k
    assert metrics["test_mse_2d"] < err["mean image"]
    assert err["PCA-128"] < err["PCA-32"]
    for name in ("reconstructions.png", "codes_2d.png"):
        assert (tmp_path / "autoencoder" / name).stat().st_size > 0
