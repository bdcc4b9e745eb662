"""bAbI question answering (Weston et al. 2015): a small world simulator that writes stories
for tasks 1-3 without any download, the reader of the published files, and their loader.

    Mary moved to the bathroom. John went to the hallway.   Where is Mary?  bathroom   (task 1)
    John picked up the football. John went to the garden.   Where is the football?  garden (2)
    ... Where was the football before the garden?  hallway                                 (3)

A sample is a dict: story (list of sentences, oldest first), question, answer (one word),
support (indices into story of the facts that answer it). `vectorize` turns samples into the
padded index arrays a memory network reads.
"""
from __future__ import annotations

import os
import re
import tarfile

import numpy as np

from . import download as dl

ACTORS = ["Mary", "John", "Daniel", "Sandra"]
PLACES = ["bathroom", "hallway", "kitchen", "garden", "office", "bedroom"]
OBJECTS = ["football", "apple", "milk"]
MOVES = ["moved to", "went to", "journeyed to", "travelled to", "went back to"]
TAKES = ["picked up", "got", "grabbed", "took"]
DROPS = ["dropped", "discarded", "put down", "left"]


class _World:
    """Actors move between places and carry objects; every action is told as one sentence,
    and the world remembers which sentence put each object in each place."""

    def __init__(self, rng):
        self.rng, self.story = rng, []
        self.where = {}          # actor -> (place, index of the sentence that put them there)
        self.holder = {}         # object -> actor holding it
        self.history = {o: [] for o in OBJECTS}   # object -> [(place, sentence index)]
        self.taken = {}          # object -> index of the sentence that took it

    def _say(self, text):
        self.story.append(text)
        return len(self.story) - 1

    def _place_object(self, obj, place, idx):
        if not self.history[obj] or self.history[obj][-1][0] != place:
            self.history[obj].append((place, idx))

    def move(self, actor):
        here = self.where.get(actor, (None,))[0]
        place = self.rng.choice([p for p in PLACES if p != here])
        idx = self._say(f"{actor} {self.rng.choice(MOVES)} the {place}.")
        self.where[actor] = (place, idx)
        for obj, who in self.holder.items():
            if who == actor:
                self._place_object(obj, place, idx)

    def take(self, actor):
        free = [o for o in OBJECTS if o not in self.holder and
                (not self.history[o] or self.history[o][-1][0] == self.where[actor][0])]
        if not free:
            return self.move(actor)
        obj = self.rng.choice(free)
        idx = self._say(f"{actor} {self.rng.choice(TAKES)} the {obj}.")
        self.holder[obj], self.taken[obj] = actor, idx
        self._place_object(obj, self.where[actor][0], self.where[actor][1])

    def drop(self, actor):
        held = [o for o, who in self.holder.items() if who == actor]
        if not held:
            return self.take(actor)
        obj = self.rng.choice(held)
        self._say(f"{actor} {self.rng.choice(DROPS)} the {obj}.")
        del self.holder[obj]

    def act(self, task):
        actor = self.rng.choice(ACTORS)
        roll = self.rng.random()
        if task == 1 or actor not in self.where or roll < 0.5:
            self.move(actor)
        elif roll < 0.8:
            self.take(actor)
        else:
            self.drop(actor)

    def question(self, task):
        """A question the story so far answers, or None."""
        if task == 1:
            actor = self.rng.choice(sorted(self.where))
            place, idx = self.where[actor]
            return f"Where is {actor}?", place, [idx]
        objs = [o for o in OBJECTS if o in self.taken and self.history[o]]
        if task == 3:
            objs = [o for o in objs if len(self.history[o]) >= 2]
        if not objs:
            return None
        obj = self.rng.choice(objs)
        hist = self.history[obj]
        if task == 2:
            return (f"Where is the {obj}?", hist[-1][0],
                    sorted({self.taken[obj], hist[-1][1]}))
        return (f"Where was the {obj} before the {hist[-1][0]}?", hist[-2][0],
                sorted({self.taken[obj], hist[-2][1], hist[-1][1]}))


def generate_task(task, n_questions=1000, seed=0, questions_per_story=5, max_story=None):
    """n_questions samples of bAbI-style task 1, 2 or 3, written by a world simulator.

    Stories grow by a few sentences between questions (2 for task 1, 2 to 6 for tasks 2-3, as
    in the published sets); a new story starts every `questions_per_story` questions. Only
    the last `max_story` sentences are kept in a sample (default: all).
    """
    if task not in (1, 2, 3):
        raise ValueError(f"generate_task: task must be 1, 2 or 3, got {task!r}")
    rng = np.random.default_rng(seed)
    samples = []
    while len(samples) < n_questions:
        world, asked = _World(_Rng(rng)), 0
        while asked < questions_per_story and len(samples) < n_questions:
            for _ in range(2 if task == 1 else int(rng.integers(2, 7))):
                world.act(task)
            q = world.question(task)
            if q is None:
                continue
            story = list(world.story)
            first = 0 if max_story is None else max(0, len(story) - max_story)
            samples.append(dict(story=story[first:], question=q[0], answer=q[1],
                                support=[i - first for i in q[2] if i >= first]))
            asked += 1
    return samples


class _Rng:
    """np.random.Generator with `choice` returning plain Python items."""

    def __init__(self, rng):
        self._rng = rng

    def choice(self, items):
        return items[int(self._rng.integers(len(items)))]

    def random(self):
        return float(self._rng.random())


# ------------------------------------------------------------------------- the published files
URL = "http://www.thespermwhale.com/jaseweston/babi/"
ARCHIVE = "tasks_1-20_v1-2.tar.gz"
# sha256 and size (15,719,851 bytes) as listed for this URL in Hugging Face datasets'
# babi_qa/dataset_infos.json; not checked here against a fresh download.
CHECKSUM = "sha256:0364ebde659f14d11bc21744516c5ec49d3d06cb692733f66680771244998898"
TASK_FILES = {1: "qa1_single-supporting-fact", 2: "qa2_two-supporting-facts",
              3: "qa3_three-supporting-facts"}


def parse_babi(lines):
    """Samples from the published format: numbered lines, a line numbered 1 starts a new
    story, a question line is 'n question?<TAB>answer<TAB>supporting line numbers'."""
    samples, story, numbers = [], [], []
    for raw in lines:
        line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        line = line.strip()
        if not line:
            continue
        num, _, text = line.partition(" ")
        if int(num) == 1:
            story, numbers = [], []
        if "\t" in text:
            question, answer, support = (text.split("\t") + [""])[:3]
            where = {n: i for i, n in enumerate(numbers)}
            samples.append(dict(story=list(story), question=question.strip(), answer=answer,
                                support=[where[int(s)] for s in support.split()
                                         if int(s) in where]))
        else:
            story.append(text)
            numbers.append(int(num))
    return samples


def load_babi(task, train=True, root=None, download=False, language="en"):
    """The published bAbI task (1-20; 1,000 training questions each in 'en', 10,000 in
    'en-10k') as samples; the archive is downloaded into <root>/babi/ and its sha256
    checked when `download` and missing."""
    if not 1 <= task <= 20:
        raise ValueError(f"load_babi: task must be in 1..20, got {task!r}")
    path = dl.find_or_download("bAbI", {ARCHIVE: CHECKSUM}, [URL], "babi", root, download)
    split = "train" if train else "test"
    prefix = f"tasks_1-20_v1-2/{language}/qa{task}_"
    with tarfile.open(path[ARCHIVE]) as tar:
        names = [n for n in tar.getnames() if n.startswith(prefix) and n.endswith(f"_{split}.txt")]
        if not names:
            raise FileNotFoundError(f"load_babi: no {prefix}*_{split}.txt in {path[ARCHIVE]}")
        return parse_babi(tar.extractfile(names[0]).readlines())


# ------------------------------------------------------------------------------- arrays
def tokenize(text):
    return re.findall(r"[a-z]+", text.lower())


def babi_vocab(*sample_lists):
    """Word -> index (0 is padding) over every story, question and answer."""
    words = set()
    for samples in sample_lists:
        for s in samples:
            for sentence in s["story"] + [s["question"], s["answer"]]:
                words.update(tokenize(sentence))
    return {w: i + 1 for i, w in enumerate(sorted(words))}


def vectorize(samples, vocab, memory_size=50, sentence_len=None):
    """(stories (N, memory_size, J), questions (N, J), answers (N,)) int64 arrays. Only the
    last memory_size sentences are kept, most recent in slot 0, so that a slot number is the
    sentence's age (what a memory network's temporal encoding learns)."""
    tok = [([tokenize(x) for x in s["story"][-memory_size:]], tokenize(s["question"]))
           for s in samples]
    J = sentence_len or max(max([len(w) for w in st] + [len(q)]) for st, q in tok)
    stories = np.zeros((len(samples), memory_size, J), dtype=np.int64)
    questions = np.zeros((len(samples), J), dtype=np.int64)
    for n, (story, question) in enumerate(tok):
        for slot, words in enumerate(reversed(story)):
            stories[n, slot, :len(words)] = [vocab[w] for w in words[:J]]
        questions[n, :len(question)] = [vocab[w] for w in question[:J]]
    answers = np.array([vocab[s["answer"].lower()] for s in samples], dtype=np.int64)
    return stories, questions, answers


def cache_path(root=None):
    return os.path.join(dl.data_root(root), "babi", ARCHIVE)
