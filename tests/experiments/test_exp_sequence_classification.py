"""The sequence-classification experiment (quick, on scikit-learn's 8x8 digits read row by
row): GRU, LSTM and a 1-D conv net learn the digits from the rows; orderless pooling of the
rows stays clearly below."""
from brique import experiments


def test_sequence_classification_quick(tmp_path):
    m = experiments.run("sequence-classification", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    acc = m["accuracy"]
    assert min(acc["GRU"], acc["LSTM"], acc["1-D conv"]) >= 0.85
    assert acc["orderless pooling"] < min(acc["GRU"], acc["LSTM"]) - 0.02
    assert len(m["curves"]["GRU"]) == m["epochs"]
    assert (tmp_path / "sequence-classification" / "accuracy.png").stat().st_size > 0
