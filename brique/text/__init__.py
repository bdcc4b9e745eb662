"""`brique.text`: tokenizers, vocabularies, language-model batching, sampling from a
language model, n-gram baselines and word-analogy evaluation.

    from brique import text
    vocab = text.Vocab.build(corpus, level="char")
    streams = text.batchify(vocab.encode(corpus), 32)
    for x, y in text.bptt_batches(streams, 64): ...
    text.generate(model, "ROMEO:", 100, vocab=vocab, temperature=0.8)
"""
from .analogy import evaluate_analogies, most_similar, read_analogies
from .batching import batchify, bptt_batches, num_windows, random_windows
from .generate import generate, sample_logits
from .ngram import NGramModel
from .skipgram import NegativeSampler, skipgram_pairs, subsample
from .vocab import Vocab, tokenize

__all__ = ["NGramModel", "NegativeSampler", "skipgram_pairs", "subsample", "Vocab", "batchify", "bptt_batches", "evaluate_analogies",
           "generate", "most_similar", "num_windows", "random_windows", "read_analogies",
           "sample_logits", "tokenize"]
