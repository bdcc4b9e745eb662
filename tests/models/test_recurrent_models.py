"""Recurrent models: the language model's state carries across windows, the tagger's packed
batch equals each sentence run alone, the classifier reads the last state."""
import numpy as np

import brique
from brique import text
from brique.models import RNNClassifier, RNNLanguageModel, RNNTagger, SkipGram


def test_language_model_state_carries_across_windows():
    brique.manual_seed(0)
    model = RNNLanguageModel(7, 5, 6, num_layers=2, cell="lstm").double()
    ids = brique.tensor(np.random.default_rng(0).integers(0, 7, (3, 10)))
    with brique.no_grad():
        whole, _ = model(ids)
        first, state = model(ids[:, :4])
        second, _ = model(ids[:, 4:], state)
    np.testing.assert_allclose(np.concatenate([first.numpy(), second.numpy()], 1),
                               whole.numpy(), rtol=1e-10, atol=1e-12)
    chars = text.Vocab(list("abcdefg"), unk=None, level="char")
    out = text.generate(model, "abc", 5, vocab=chars, temperature=0.8, top_k=3, seed=1)
    assert out.startswith("abc") and len(out) == 8
    assert text.generate(model, "abc", 5, vocab=chars, greedy=True) == \
        text.generate(model, "abc", 5, vocab=chars, temperature=0)


def test_tagger_packed_batch_equals_sentences_alone():
    brique.manual_seed(0)
    model = RNNTagger(9, 3, embedding_dim=4, hidden_size=5, cell="gru",
                      bidirectional=True).double()
    model.eval()
    rng = np.random.default_rng(1)
    lengths = [4, 7, 2]
    X = np.zeros((3, 7), dtype=np.int64)
    for i, n in enumerate(lengths):
        X[i, :n] = rng.integers(1, 9, n)
    with brique.no_grad():
        batch = model(brique.tensor(X), lengths).numpy()
        alone = [model(brique.tensor(X[i:i + 1, :n])).numpy() for i, n in enumerate(lengths)]
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(batch[i, :n], alone[i][0], rtol=1e-10, atol=1e-12)


def test_classifier_and_skipgram_shapes():
    clf = RNNClassifier(4, 6, 3, cell="gru", bidirectional=True, num_layers=2)
    assert tuple(clf(brique.randn(5, 8, 4)).shape) == (5, 3)
    sg = SkipGram(20, 8)
    loss = sg(brique.tensor([1, 2]), brique.tensor([3, 4]), brique.tensor([[5, 6], [7, 8]]))
    assert abs(loss.item() - 3 * np.log(2)) < 1e-6 and sg.vectors.shape == (20, 8)
