"""transformer (quick): a small Transformer encoder-decoder trains on dates in short
sentences (its loss falls from log(64) ~ 4.2), the GRU with attention is ahead at the same
budget, and the heads are drawn. Reaching a useful accuracy needs the full run."""
from brique import experiments


def test_quick_run_holds_its_claim(tmp_path):
    m = experiments.run("transformer", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    assert m["transformer_loss"] < 1.5 and m["gru_attention_exact"] >= m["transformer_exact"]
    assert m["transformer_params"] > m["gru_attention_params"] / 4
    assert (tmp_path / "transformer" / "heads.png").stat().st_size > 0
