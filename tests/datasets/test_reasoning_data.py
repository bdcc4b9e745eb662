"""Generated data for the attention and memory experiments (dates, bAbI-style stories,
expression trees) and the published-bAbI loader, served by a local HTTP server."""
from __future__ import annotations

import functools
import hashlib
import http.server
import io
import re
import tarfile
import threading

import numpy as np
import pytest

from brique.datasets import babi, dates, expressions
from brique.datasets.download import DatasetUnavailableError


# ------------------------------------------------------------------------------- dates
def test_date_pairs_hold_the_date_and_its_iso_form():
    pairs = dates.date_pairs(500, seed=0)
    lengths = [len(s) for s, _ in pairs]
    assert min(lengths) < 30 and 140 <= max(lengths) <= 160
    for source, target in pairs:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", target)
        year, month, day = target.split("-")
        assert str(int(day)) in source
        assert year in source or year[2:] in source
    assert dates.date_pairs(5, seed=3) == dates.date_pairs(5, seed=3)
    bare = dates.date_pairs(200, seed=1, distractors=False)
    assert max(len(s) for s, _ in bare) <= 30


def test_date_pairs_with_one_date_per_stretch_of_characters():
    pairs = dates.date_pairs(300, seed=0, chars_per_date=40)
    by_count = {}
    for source, target in pairs:
        isos = target.split(" ")
        by_count.setdefault(len(isos), []).append(len(source))
        for iso in isos:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso)
            year, _, day = iso.split("-")
            assert str(int(day)) in source and (year in source or year[2:] in source)
    assert sorted(by_count) == [1, 2, 3]           # L // 40 dates, at least one
    assert max(by_count[1]) < min(by_count[3])     # more to remember in longer inputs
    # one date per sentence draws exactly what it drew before the option existed
    assert dates.date_pairs(20, seed=4, chars_per_date=1000) == dates.date_pairs(20, seed=4)
    with pytest.raises(ValueError, match="chars_per_date"):
        dates.date_pairs(3, chars_per_date=0)


@pytest.mark.parametrize("fmt,text", [(0, "22 Nov 2026"), (2, "November 22, 2026"),
                                      (4, "22/11/26"), (7, "22 novembre 2026")])
def test_date_formats(fmt, text):
    import datetime
    assert dates.FORMATS[fmt](datetime.date(2026, 11, 22)) == text


def test_char_vocab_round_trip():
    vocab = dates.date_vocab()
    pairs = dates.date_pairs(50, seed=2)
    src = vocab.encode([s for s, _ in pairs], eos=True)
    assert src.shape == (50, max(len(s) for s, _ in pairs) + 1)
    assert [vocab.decode(r) for r in src] == [s for s, _ in pairs]
    tgt = vocab.encode([t for _, t in pairs], bos=True, eos=True)
    assert tgt[0, 0] == vocab.BOS and vocab.decode(tgt[0]) == pairs[0][1]
    with pytest.raises(ValueError, match="length"):
        vocab.encode(["2026-11-22"], length=4)


# ------------------------------------------------------------------------------- bAbI
def _answers_from_story(sample, task):
    """Replays the story to check the generated answer by an independent reading."""
    place, held, loc, hist = {}, {}, {}, {}
    for s in sample["story"]:
        w = s.rstrip(".").split()
        actor, obj = w[0], w[-1]
        if s.startswith(tuple(babi.ACTORS)) and obj in babi.PLACES:
            place[actor] = obj
            for o, a in held.items():
                if a == actor:
                    loc[o] = obj
                    if hist[o][-1] != obj:
                        hist[o].append(obj)
        elif obj in babi.OBJECTS and any(v in s for v in babi.TAKES):
            held[obj], loc[obj] = actor, place[actor]
            hist.setdefault(obj, [place[actor]])
            if hist[obj][-1] != place[actor]:
                hist[obj].append(place[actor])
        else:
            held.pop(obj, None)
    q = sample["question"].rstrip("?").split()
    if task == 1:
        return place[q[-1]]
    if task == 2:
        return loc[q[-1]]
    return hist[q[3]][-2]


@pytest.mark.parametrize("task", [1, 2, 3])
def test_generated_tasks_answer_what_the_story_says(task):
    samples = babi.generate_task(task, 200, seed=task)
    assert len(samples) == 200
    for s in samples:
        assert _answers_from_story(s, task) == s["answer"]
        assert len(s["support"]) == task  # task k needs k supporting facts
        assert all(0 <= i < len(s["story"]) for i in s["support"])
    answers = {s["answer"] for s in samples}
    assert answers <= set(babi.PLACES) and len(answers) >= 5


def test_vectorize_keeps_the_most_recent_sentence_in_slot_zero():
    samples = babi.generate_task(1, 20, seed=0)
    vocab = babi.babi_vocab(samples)
    stories, questions, answers = babi.vectorize(samples, vocab, memory_size=4)
    inv = {i: w for w, i in vocab.items()}
    last = " ".join(inv[i] for i in stories[0, 0] if i)
    assert last == " ".join(babi.tokenize(samples[0]["story"][-1]))
    assert stories.shape[:2] == (20, 4) and questions.shape[0] == 20
    assert inv[answers[0]] == samples[0]["answer"]


BABI_TEXT = """1 Mary moved to the bathroom.
2 John went to the hallway.
3 Where is Mary? \tbathroom\t1
4 Daniel went back to the hallway.
5 Sandra moved to the garden.
6 Where is Daniel? \thallway\t4
1 John travelled to the office.
2 Where is John? \toffice\t1
"""


def test_parse_babi_reads_the_published_format():
    samples = babi.parse_babi(io.StringIO(BABI_TEXT))
    assert len(samples) == 3
    assert samples[1]["story"][2] == "Daniel went back to the hallway."
    assert samples[1]["answer"] == "hallway" and samples[1]["support"] == [2]
    assert samples[2]["story"] == ["John travelled to the office."]


def _archive():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for split in ("train", "test"):
            data = BABI_TEXT.encode()
            info = tarfile.TarInfo(f"tasks_1-20_v1-2/en/qa1_single-supporting-fact_{split}.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def file_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_load_babi_downloads_checks_and_caches(file_server, tmp_path, monkeypatch):
    served, url = file_server
    data = _archive()
    (served / babi.ARCHIVE).write_bytes(data)
    monkeypatch.setattr(babi, "URL", url)
    monkeypatch.setattr(babi, "CHECKSUM", "sha256:" + hashlib.sha256(data).hexdigest())
    root = tmp_path / "cache"
    with pytest.raises(DatasetUnavailableError, match="download=True"):
        babi.load_babi(1, root=root)
    train = babi.load_babi(1, train=True, root=root, download=True)
    assert len(train) == 3 and train[0]["answer"] == "bathroom"
    (served / babi.ARCHIVE).unlink()  # the cached copy is read from now on
    assert len(babi.load_babi(1, train=False, root=root)) == 3


def test_load_babi_rejects_a_changed_archive(file_server, tmp_path, monkeypatch):
    served, url = file_server
    (served / babi.ARCHIVE).write_bytes(_archive())
    monkeypatch.setattr(babi, "URL", url)
    with pytest.raises(RuntimeError, match="verification"):
        babi.load_babi(1, root=tmp_path / "cache", download=True)
    assert not (tmp_path / "cache" / "babi" / babi.ARCHIVE).exists()


# ------------------------------------------------------------------------------- expressions
def test_expression_trees_values_and_depths():
    tree = ("+", 3, ("*", 4, 2))
    assert expressions.evaluate(tree) == 1 and expressions.depth(tree) == 2
    assert " ".join(expressions.to_tokens(tree)) == "( 3 + ( 4 * 2 ) )"
    pairs = expressions.expression_trees(300, depths=(4, 5), seed=0)
    assert {expressions.depth(t) for t, _ in pairs} == {4, 5}
    for t, v in pairs[:50]:
        assert v == eval(" ".join(expressions.to_tokens(t))) % 10
    codes = expressions.encode_tokens([t for t, _ in pairs[:3]])
    assert codes.dtype == np.int64 and codes.shape[1] == max(len(expressions.to_tokens(t)) for t, _ in pairs[:3])
