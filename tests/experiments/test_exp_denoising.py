"""The denoising experiment (quick): the denoised test digits are much closer to the clean
ones than the noisy inputs are."""
from brique import experiments


def test_denoising_quick(tmp_path):
    metrics = experiments.run("denoising", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    err = metrics["test_mse"]
    assert err["denoised"] < 0.5 * err["noisy"]
    assert err["denoised"] < err["mean image"]
    assert metrics["train_loss"][-1] < metrics["train_loss"][0]
    assert (tmp_path / "denoising" / "denoising.png").stat().st_size > 0
