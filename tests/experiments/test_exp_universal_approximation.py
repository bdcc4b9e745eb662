"""The universal-approximation experiment (quick): one hidden layer, error falling with width."""
from brique import experiments


def test_universal_approximation_quick(tmp_path):
    m = experiments.run("universal-approximation", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    sine, step = m["mse"]["sine"], m["mse"]["step"]
    assert sine[-1] < sine[0] / 100 and step[-1] < step[0] / 3
    assert all(m["falling"].values())
    assert (tmp_path / "universal-approximation" / "fits.png").stat().st_size > 0
