"""The tagging experiment (quick): on packed variable-length sentences, a unidirectional GRU
stops at the left-to-right limit (chance before a closing word), a bidirectional one solves
the grammar."""
from brique import experiments


def test_tagging_quick(tmp_path):
    m = experiments.run("tagging", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    acc, cap = m["accuracy"], m["left_to_right_cap"]
    assert abs(acc["unidirectional"] - cap) < 0.03 and acc["bidirectional"] >= 0.99
    uni = m["accuracy_by_distance"]["unidirectional"]
    assert uni[0] > 0.99 and max(uni[1:]) < 0.45
    assert min(m["accuracy_by_distance"]["bidirectional"]) > 0.97
    assert (tmp_path / "tagging" / "tagging.png").stat().st_size > 0
