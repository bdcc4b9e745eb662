"""Date normalisation pairs for sequence-to-sequence models (no download): a date written in
one of many human formats, optionally inside a sentence of distractor words, and its ISO form.

    "the meeting moved to 22 Nov 2026 after all"  ->  "2026-11-22"
    "22/11/26" -> "2026-11-22",  "le 3 août 1999" -> "1999-08-03"

Inputs with distractors run from `min_len` to `max_len` characters (uniform target lengths),
so the date can sit anywhere in a long string: what Bahdanau et al. show attention is for.
`CharVocab` turns strings into padded index arrays and back.
"""
from __future__ import annotations

import datetime

import numpy as np

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
MOIS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre"]

# Words free of digits and month names, so that only the date carries the answer.
DISTRACTORS = (
    "the a an of to in on for with at by from about after before over under again then once "
    "here there when where why how all any both each few more most other some such only own "
    "same so than too very can will just should now meeting report team plan call review "
    "office train ticket flight hotel dinner party class exam trip visit letter payment order "
    "delivery project deadline launch concert match game was is will be moved set booked "
    "planned held due expected confirmed cancelled postponed our my your their his her please "
    "note that remember we they you it maybe probably sure indeed").split()

FORMATS = [
    lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",            # 22 Nov 2026
    lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",                # 22 November 2026
    lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",               # November 22, 2026
    lambda d: f"{MONTHS[d.month - 1][:3]} {d.day}, {d.year}",           # Nov 22, 2026
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}",          # 22/11/26
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",                    # 22/11/2026
    lambda d: f"{d.day}.{d.month}.{d.year}",                            # 22.11.2026
    lambda d: f"{d.day} {MOIS[d.month - 1]} {d.year}",                  # 22 novembre 2026
    lambda d: f"le {d.day} {MOIS[d.month - 1]} {d.year}",               # le 22 novembre 2026
    lambda d: f"{d.strftime('%A')} {d.day} {MONTHS[d.month - 1]} {d.year}",
    lambda d: f"{d.day:02d}-{MONTHS[d.month - 1][:3].upper()}-{d.year}",  # 22-NOV-2026
]

# Two-digit years (22/11/26) are read in 1950-2049, so dates are drawn from that range.
FIRST, LAST = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)


def _random_date(rng):
    return FIRST + datetime.timedelta(days=int(rng.integers(0, (LAST - FIRST).days + 1)))


def _written_date(rng, formats):
    """(a random date, how one of `formats` writes it)."""
    d = _random_date(rng)
    return d, FORMATS[formats[rng.integers(len(formats))]](d)


def _surround(date_text, length, rng):
    """Distractor words before and after `date_text` until the sentence is about `length`
    characters long; the date's place in the sentence is uniform."""
    room = max(0, length - len(date_text) - 1)
    before_share = rng.random()
    before, after = [], []
    while len(" ".join(before)) < room * before_share - 3:
        before.append(DISTRACTORS[rng.integers(len(DISTRACTORS))])
    while len(" ".join(before + after)) < room - 4:
        after.append(DISTRACTORS[rng.integers(len(DISTRACTORS))])
    return " ".join(before + [date_text] + after)


def date_pairs(n, seed=0, distractors=True, min_len=15, max_len=150, formats=None,
               chars_per_date=None):
    """n (source, target) string pairs; target is 'YYYY-MM-DD' (several when chars_per_date).

    distractors=False gives bare dates (8 to 30 characters); otherwise each date is set in
    a sentence whose length is drawn uniformly in [min_len, max_len] (a date longer than the
    drawn length is left alone, so a few inputs are as short as the bare date).
    formats: indices into FORMATS to draw from (default all).
    chars_per_date: with distractors, a sentence of length L holds max(1, L // chars_per_date)
    dates, each in its own stretch of distractors, and the target lists them in order,
    separated by spaces ("1999-08-03 2026-11-22"): what must be remembered grows with the
    input, as a translation does.
    """
    if n < 0 or min_len > max_len:
        raise ValueError(f"date_pairs: need n >= 0 and min_len <= max_len, got n={n}, "
                         f"min_len={min_len}, max_len={max_len}")
    rng = np.random.default_rng(seed)
    formats = range(len(FORMATS)) if formats is None else formats
    formats = list(formats)
    if chars_per_date is not None and chars_per_date < 1:
        raise ValueError(f"date_pairs: chars_per_date must be >= 1, got {chars_per_date}")
    pairs = []
    for _ in range(n):
        written = [_written_date(rng, formats)]
        if distractors:
            length = int(rng.integers(min_len, max_len + 1))
            k = max(1, length // chars_per_date) if chars_per_date else 1
            written += [_written_date(rng, formats) for _ in range(k - 1)]
            written = [(d, _surround(text, length // k, rng)) for d, text in written]
        pairs.append((" ".join(t for _, t in written),
                      " ".join(d.isoformat() for d, _ in written)))
    return pairs


class CharVocab:
    """Characters <-> indices, with pad (0), start-of-sequence (1) and end-of-sequence (2).

    `encode(strings, bos=False, eos=False)` -> int64 array (n, longest + extras) padded with 0;
    `decode(indices)` stops at the first eos or pad.
    """

    PAD, BOS, EOS = 0, 1, 2

    def __init__(self, texts):
        chars = sorted({c for t in texts for c in t})
        self.itos = ["<pad>", "<s>", "</s>"] + chars
        self.stoi = {c: i for i, c in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, texts, bos=False, eos=False, length=None):
        rows = [[self.BOS] * bos + [self.stoi[c] for c in t] + [self.EOS] * eos for t in texts]
        width = max(map(len, rows)) if length is None else length
        out = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            if len(r) > width:
                raise ValueError(f"CharVocab.encode: {texts[i]!r} needs {len(r)} positions, "
                                 f"more than length={width}")
            out[i, :len(r)] = r
        return out

    def decode(self, indices):
        text = []
        for i in np.asarray(indices).tolist():
            if i in (self.PAD, self.EOS):
                break
            if i != self.BOS:
                text.append(self.itos[i])
        return "".join(text)


def date_vocab():
    """The CharVocab of every character `date_pairs` can write (sources and targets)."""
    days = [datetime.date(2024, 1, i).strftime("%A") for i in range(1, 8)]
    words = DISTRACTORS + MONTHS + MOIS + days + [m[:3].upper() for m in MONTHS]
    return CharVocab(words + ["0123456789 ,-./", "le"])


def length_batches(pairs, vocab, batch_size, seed=0):
    """Endless (source, target) int64 batches of pairs of similar source length (sorted by
    length, cut into batches, batches drawn in a new random order each pass), so that
    padding stays small (packed encoders ignore it, but it costs time). Targets
    carry bos and eos."""
    rng = np.random.default_rng(seed)
    order = np.argsort([len(s) for s, _ in pairs], kind="stable")
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    while True:
        for j in rng.permutation(len(chunks)):
            part = [pairs[i] for i in chunks[j]]
            yield (vocab.encode([s for s, _ in part]),
                   vocab.encode([t for _, t in part], bos=True, eos=True))
