"""Word vectors: nearest neighbours and analogy questions ("king - man + woman = queen").

`read_analogies` reads the questions-words.txt format of Mikolov et al. (the file the gensim
wheel ships as gensim/test/test_data/questions-words.txt): lines ': section-name' open a
section, every other line holds four words `a b c d`, read "a is to b as c is to d".
`evaluate_analogies` answers each question with 3CosAdd: the word whose unit vector is
closest (cosine) to b - a + c, the three question words excluded.
"""
from __future__ import annotations

import numpy as np


def read_analogies(path, lower=True):
    """{section: [(a, b, c, d), ...]} in file order."""
    sections, current = {}, None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith(":"):
                current = line[1:].strip()
                sections.setdefault(current, [])
                continue
            words = line.lower().split() if lower else line.split()
            if len(words) != 4:
                raise ValueError(f"{path}:{number}: expected 4 words, got {line!r}")
            if current is None:
                raise ValueError(f"{path}:{number}: question before any ': section' line")
            sections[current].append(tuple(words))
    return sections


def _unit(embeddings):
    E = np.asarray(getattr(embeddings, "_data", embeddings), dtype=np.float64)
    E = getattr(E, "get", lambda: E)()
    return E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)


def most_similar(embeddings, vocab, query, k=5, exclude=()):
    """The `k` words closest (cosine) to `query` (a word, or a vector), with their cosines,
    leaving out `exclude` and the query word itself."""
    E = _unit(embeddings)
    if isinstance(query, str):
        skip = {vocab.stoi[query], *(vocab.stoi[w] for w in exclude if w in vocab)}
        v = E[vocab.stoi[query]]
    else:
        skip = {vocab.stoi[w] for w in exclude if w in vocab}
        v = np.asarray(query, dtype=np.float64)
        v = v / max(np.linalg.norm(v), 1e-12)
    sims = E @ v
    order = [i for i in np.argsort(-sims) if i not in skip][:k]
    return [(vocab.itos[i], float(sims[i])) for i in order]


def evaluate_analogies(embeddings, vocab, questions, batch=512):
    """Accuracy of 3CosAdd on `questions` ({section: [(a, b, c, d)]}, or a list of 4-tuples).

    Questions with a word outside `vocab` are skipped (counted in 'skipped'), as gensim
    does. Returns {'accuracy', 'correct', 'total', 'skipped', 'sections': {name: (correct,
    total)}}.
    """
    if not isinstance(questions, dict):
        questions = {"all": list(questions)}
    E = _unit(embeddings)
    sections, correct_all, total_all, skipped = {}, 0, 0, 0
    for name, items in questions.items():
        known = [q for q in items if all(w in vocab.stoi for w in q)]
        skipped += len(items) - len(known)
        ids = np.array([[vocab.stoi[w] for w in q] for q in known], dtype=np.int64)
        correct = 0
        for s in range(0, len(ids), batch):
            q = ids[s:s + batch]
            sims = (E[q[:, 1]] - E[q[:, 0]] + E[q[:, 2]]) @ E.T
            rows = np.arange(len(q))[:, None]
            sims[rows, q[:, :3]] = -np.inf
            correct += int((sims.argmax(1) == q[:, 3]).sum())
        sections[name] = (correct, len(ids))
        correct_all += correct
        total_all += len(ids)
    return {"accuracy": correct_all / total_all if total_all else float("nan"),
            "correct": correct_all, "total": total_all, "skipped": skipped,
            "sections": sections}
