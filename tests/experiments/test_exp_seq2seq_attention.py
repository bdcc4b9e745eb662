"""seq2seq-attention (quick): on short dates-in-sentences, 200 updates are enough for the
attention model to get most outputs exactly right and far more than the fixed-context model;
the length effect needs the full run's 15-150 character inputs."""
from brique import experiments


def test_quick_run_holds_its_claim(tmp_path):
    m = experiments.run("seq2seq-attention", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    assert m["attention_exact_match"] >= 0.5
    assert m["attention_exact_match"] > m["no_attention_exact_match"] + 0.3
    for name in ("accuracy_vs_length.png", "attention_maps.png", "report.md"):
        assert (tmp_path / "seq2seq-attention" / name).stat().st_size > 0
