"""attention-gating: the course's Keras softmax-gate listing looks at the one feature that
carries the label."""
import numpy as np

from brique import experiments
from brique.experiments.attention_gating import LABEL_FEATURE, make_data


def test_quick_run_holds_its_claim(tmp_path):
    m = experiments.run("attention-gating", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    attention = np.array(m["attention"])
    assert attention.argmax() == LABEL_FEATURE and abs(attention.sum() - 1) < 1e-4
    assert m["attention_ratio"] >= 5 and m["test_accuracy"] >= 0.99
    assert (tmp_path / "attention-gating" / "attention.png").stat().st_size > 0


def test_data_copies_the_label_into_feature_one():
    x, y = make_data(100, 0)
    assert x.shape == (100, 32) and np.array_equal(x[:, LABEL_FEATURE], y[:, 0])
