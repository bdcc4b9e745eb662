"""depth (quick): deeper plain nets train worse, deeper ResNets better; BN speeds training."""
from brique import experiments


def test_plain_nets_degrade_with_depth_residual_nets_do_not(tmp_path):
    metrics = experiments.run("depth", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    plain, res = metrics["plain_loss"], metrics["residual_loss"]
    assert len(plain) == len(res) == len(metrics["depths"]) == 3
    assert metrics["depths"] == sorted(metrics["depths"])
    assert plain[-1] > min(plain[:-1])                 # the deepest plain net is worse
    assert res[-1] < min(res[:-1])                    # the deepest residual net is best
    assert metrics["deepest_plain_minus_residual"] > 0.2
    assert min(metrics["bn_epoch1_gain"].values()) > 0
    assert (tmp_path / "depth" / "training_loss.png").stat().st_size > 0
