"""The sparse-autoencoder experiment (quick): the L1 activity penalty lowers the mean code
activation and raises the fraction of near-zero code values, reconstructions stay reasonable."""
from brique import experiments


def test_sparse_autoencoder_quick(tmp_path):
    metrics = experiments.run("sparse-autoencoder", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    p, s = metrics["results"]["plain"], metrics["results"]["L1 penalty"]
    assert s["mean_activation"] < p["mean_activation"]
    assert s["near_zero"] > p["near_zero"]
    assert s["test_mse"] < 2 * p["test_mse"] and s["test_mse"] < metrics["mean_image_mse"]
    for name in ("filters.png", "reconstructions.png"):
        assert (tmp_path / "sparse-autoencoder" / name).stat().st_size > 0
