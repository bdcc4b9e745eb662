"""memory-network (quick): on generated task 1 (single supporting fact) a 3-hop MemN2N
answers most questions and beats the LSTM that reads the whole story."""
from brique import experiments


def test_quick_run_holds_its_claim(tmp_path):
    m = experiments.run("memory-network", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    assert m["task1_memn2n_error"] < 0.05 < m["task1_lstm_error"]
    assert (tmp_path / "memory-network" / "attention_hops.png").stat().st_size > 0
