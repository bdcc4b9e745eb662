"""The rnn-memory experiment (quick): the vanilla RNN recalls at lag 5 but not at lag 40, where
LSTM and GRU do; its gradient to the first step vanishes; clipping saves an exploding RNN."""
import math

from brique import experiments


def test_rnn_memory_quick(tmp_path):
    m = experiments.run("rnn-memory", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    acc = m["accuracy"]
    assert acc["rnn"][0] >= 0.95 and acc["rnn"][-1] <= 0.5
    assert acc["lstm"][-1] >= 0.9 and acc["gru"][-1] >= 0.9
    ratio = m["grad_ratio_first_last"]
    assert ratio["rnn"] < 1e-2 < ratio["lstm"] and ratio["gru"] > 1e-2
    final = m["explode_final_loss"]
    assert not math.isfinite(final["no clipping"])
    assert final["clip norm 1"] < m["explode_first_loss"] / 4
    assert (tmp_path / "rnn-memory" / "memory.png").stat().st_size > 0
