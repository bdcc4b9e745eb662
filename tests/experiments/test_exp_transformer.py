"""transformer (quick): a small Transformer encoder-decoder trains on dates in short
sentences (its loss falls from log(64) ~ 4.2) and is ahead of the fixed-context GRU at the
same budget; the heads are drawn. The comparison on 15-150 character inputs needs the full
run."""
from brique import experiments


def test_quick_run_holds_its_claim(tmp_path):
    m = experiments.run("transformer", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    assert m["transformer_loss"] < 1.5 and m["transformer_exact"] > m["gru_fixed_exact"]
    assert m["transformer_params"] > m["gru_attention_params"] / 4
    assert (tmp_path / "transformer" / "heads.png").stat().st_size > 0
