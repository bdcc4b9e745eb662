"""transfer (quick): features from digits 0-4 help most when digits 5-9 are few."""
import numpy as np

import brique
from brique.experiments.transfer import SmallConvNet, digit_split, transfer


def test_digit_split_relabels_the_chosen_digits():
    x, y = digit_split(False, [5, 6, 7, 8, 9])
    assert x.shape == (500, 1, 28, 28) and x.dtype == np.float32
    assert sorted(np.unique(y)) == [0, 1, 2, 3, 4] and np.bincount(y).tolist() == [100] * 5


def test_frozen_features_stay_put_and_reuse_copies_weights():
    brique.manual_seed(0)
    source = SmallConvNet(5)
    frozen, groups = transfer("frozen", source, 1e-3)
    assert all(not p.requires_grad for p in frozen.features.parameters())
    assert sum(len(g["params"]) for g in groups) == len(list(frozen.head.parameters()))
    assert np.array_equal(frozen.features[0].weight.detach().numpy(),
                          source.features[0].weight.detach().numpy())
    tuned, groups = transfer("fine-tune", source, 1e-3)
    assert all(p.requires_grad for p in tuned.parameters())
    assert [g["lr"] for g in groups] == [1e-3, 1e-4]


def test_transfer_quick(tmp_path):
    m = brique.experiments.run("transfer", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    assert m["source_accuracy"] > 0.9
    assert m["few_frozen"] > m["few_scratch"] and m["few_fine-tune"] > m["few_scratch"]
    assert m["gap_few"] >= 0.02 and m["gap_many"] < m["gap_few"]
    assert m["many_scratch"] > m["few_scratch"]   # more target data helps every method
