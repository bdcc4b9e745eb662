"""architectures (quick): at one budget every conv net beats the MLP on mnist-5k."""
from brique import experiments


def test_conv_nets_beat_the_mlp_at_equal_budget(tmp_path):
    metrics = experiments.run("architectures", quick=True, out=str(tmp_path))
    assert metrics["claim_held"]
    results = metrics["results"]
    assert list(results) == ["MLP", "LeNet-5", "AlexNet-style", "VGG-style", "NiN", "ResNet-8"]
    mlp = results["MLP"]["test_accuracy"]
    assert mlp > 0.8                                   # the MLP is a fair opponent
    assert all(r["test_accuracy"] > mlp for name, r in results.items() if name != "MLP")
    # the closest conv net is a few test images ahead; summation-order changes in the
    # kernels move that by a few tenths of a point, so the bound leaves room for them
    assert metrics["min_conv_margin"] > 0.005
    assert metrics["conv_with_fewer_params"] >= 3
    assert results["NiN"]["params"] < results["MLP"]["params"]
    assert (tmp_path / "architectures" / "accuracy.png").stat().st_size > 0
    assert "| net | parameters |" in (tmp_path / "architectures" / "report.md").read_text()
