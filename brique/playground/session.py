"""One page's playground: its setting, data, network and training, and the snapshots it shows.

Every method takes the session's lock, and every computation with brique also takes the
module-wide `COMPUTE` lock: several pages (threads) then never interleave brique calls, so the
`no_grad` of one thread's snapshot cannot leak into another's training step, whether grad mode
is global or per thread.
"""
from __future__ import annotations

import base64
import math
import threading
import time

import numpy as np

from ..autograd import no_grad
from ..creation import tensor
from . import data, state as state_mod
from .network import PlayNet, Trainer, evaluate

COMPUTE = threading.Lock()
GRID, SMALL = 60, 30   # heat map sides: the output's and each neuron's (every other cell)
DATA_KEYS = ("dataset", "problem", "noise", "seed", "classes", "train-ratio")
NET_KEYS = ("features", "layers", "activation")
DIVERGED = ("Training diverged: the loss is no longer a number, so the learning rate ({lr}) is "
            "too high for this network. Lower it and press reset.")


def _bytes(values, low=-1.0, high=1.0):
    """Values as one byte each (low -> 0, high -> 255), base64 for JSON; NaN -> the middle."""
    v = np.nan_to_num(np.asarray(values, np.float64), nan=(low + high) / 2)
    q = np.round((np.clip(v, low, high) - low) / (high - low) * 255).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def _number(x):
    """JSON has no NaN: a number that is not finite is sent as null."""
    return x if x is not None and math.isfinite(x) else None


def _finite(param):
    w = param.detach().numpy()
    return np.where(np.isfinite(w), w, 0).tolist()  # exact: a test retrains from them


def _grid():
    # Row 0 is the top of the picture (x2 = +6), columns run from x1 = -6 to +6.
    ticks = np.linspace(-data.LIMIT, data.LIMIT, GRID)
    a, b = np.meshgrid(ticks, ticks[::-1])
    return np.stack([a.ravel(), b.ravel()], 1).astype(np.float32)


class Session:
    """The playground behind one page, started from a URL query (see `state.decode`)."""

    def __init__(self, query=""):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.state = state_mod.decode(query)
        self.custom = None          # uploaded Points, if any
        self.playing = False
        self.streamer = None        # the page's newest event stream (see server.py)
        self.message = ""
        self.version = self.data_version = self.run = 0
        self.epoch = 0
        self.last_seen = time.monotonic()
        self._snapshot = None
        self._grid = _grid()
        if self.state["dataset"] == "custom":
            self.state["dataset"] = "circle"
            state_mod.consistent(self.state)
        self._new_data()

    # -- changes -------------------------------------------------------------------------
    def apply(self, query):
        """Take a new setting from the page; rebuild only what it changes. Returns the state's
        repaired URL form."""
        new = state_mod.decode(query)
        with self.lock:
            if new["dataset"] == "custom" and self.custom is None:
                new["dataset"] = self.state["dataset"]
            old, self.state = self.state, new
            if new["dataset"] == "custom":
                new["problem"] = self.custom.problem
            if any(old[k] != new[k] for k in DATA_KEYS):
                self._new_data()
            elif any(old[k] != new[k] for k in NET_KEYS):
                self._new_network()
            else:
                self._configure()
            self._touch()
            return state_mod.encode(self.state)

    def upload(self, text):
        """User CSV data (see `data.parse_csv`) becomes the `custom` dataset."""
        with self.lock:
            points = data.parse_csv(text, self.state["problem"])
            self.custom = points
            self.state.update(dataset="custom", problem=points.problem)
            self._new_data()
            self._touch()
            return state_mod.encode(self.state)

    def regenerate(self):
        with self.lock:
            self.state["seed"] = (self.state["seed"] + 1) % 2**31
            if self.state["dataset"] != "custom":
                self._new_data()
            self._touch()
            return state_mod.encode(self.state)

    def reset(self):
        with self.lock:
            self._new_network()
            self._touch()

    def set_playing(self, playing):
        with self.lock:
            self.playing = bool(playing) and not self._diverged()
            self._touch()

    def set_param(self, layer, row, col, value):
        """Edit one weight (`col` >= 0: the link from neuron `col` of the layer below to neuron
        `row`) or a bias (`col` = -1) of the `layer`-th Linear layer."""
        with self.lock:
            layers = self.net.layers
            if not 0 <= layer < len(layers):
                raise ValueError(f"layer must be in 0..{len(layers) - 1}, got {layer}")
            lin = layers[layer]
            if not (0 <= row < lin.out_features and -1 <= col < lin.in_features):
                raise ValueError(f"no parameter ({row}, {col}) in layer {layer} of shape "
                                 f"{lin.out_features}x{lin.in_features}")
            if not math.isfinite(value):
                raise ValueError(f"a weight must be a finite number, got {value}")
            with COMPUTE:
                if col < 0:
                    lin.bias.data[row] = float(value)
                else:
                    lin.weight.data[row, col] = float(value)
            self._touch()

    # -- training ------------------------------------------------------------------------
    def step(self, epochs=1):
        """Train `epochs` epochs now (the page's *step* button)."""
        with self.lock:
            for _ in range(epochs):
                self._one_epoch()
            self._touch()

    def train_for(self, seconds):
        """While playing, train epochs for about `seconds`, letting other requests in
        between epochs. Returns the number of epochs run."""
        end, done = time.perf_counter() + seconds, 0
        while time.perf_counter() < end:
            with self.lock:
                if not self.playing:
                    break
                self._one_epoch()
                done += 1
        with self.lock:
            if done:
                self._touch()
        return done

    def _one_epoch(self):
        with COMPUTE, np.errstate(all="ignore"):  # divergence is reported, not warned about
            loss = self.trainer.epoch()
        self.epoch += 1
        if not math.isfinite(loss) or self._diverged():
            self.playing = False
            self.message = DIVERGED.format(lr=self.state["learning-rate"])

    def _diverged(self):
        return any(not np.isfinite(p.detach().numpy()).all() for p in self.net.parameters())

    # -- rebuilding ----------------------------------------------------------------------
    def _points(self):
        s = self.state
        if s["dataset"] == "custom":
            return self.custom
        return data.make(s["dataset"], s["noise"], s["seed"], s["classes"])

    def _new_data(self):
        points = self._points()
        self.train, self.test = data.split(points, self.state["train-ratio"], self.state["seed"])
        self.data_version += 1
        self._new_network()

    def _new_network(self):
        s, pts = self.state, self.train
        kind = ("linear" if pts.problem == "regression"
                else "tanh" if pts.classes == 2 else "softmax")
        n_out = pts.classes if kind == "softmax" else 1
        self.run += 1
        rng = np.random.default_rng([s["seed"], self.run])
        self.features = list(s["features"])
        with COMPUTE:
            self.net = PlayNet(len(self.features), s["layers"], n_out, s["activation"], kind, rng)
            self.trainer = Trainer(self.net, data.features(self.train.x, self.features),
                                   self.train.y, s["batch-size"], s["learning-rate"],
                                   s["regularization"], s["reg-rate"])
        self.test_x = data.features(self.test.x, self.features)
        self.grid_x = data.features(self._grid, self.features)
        self.epoch, self.message = 0, ""
        if self._diverged():
            self.playing = False

    def _configure(self):
        s = self.state
        with COMPUTE:
            self.trainer.configure(s["batch-size"], s["learning-rate"], s["regularization"],
                                   s["reg-rate"])

    def _touch(self):
        self.version += 1
        self.last_seen = time.monotonic()
        self.changed.notify_all()

    # -- what the page shows -------------------------------------------------------------
    def wait(self, version, timeout):
        """Block until the session changes past `version` (or `timeout`); the new version."""
        with self.lock:
            self.changed.wait_for(lambda: self.version != version, timeout)
            return self.version

    def points(self):
        """The data as the page draws it: [x1, x2, label, is_test] rows."""
        with self.lock:
            rows = [[float(a), float(b), float(y), t]
                    for t, part in ((0, self.train), (1, self.test))
                    for (a, b), y in zip(part.x, part.y)]
            return {"data_version": self.data_version, "problem": self.train.problem,
                    "classes": self.train.classes, "points": rows}

    def snapshot(self):
        """Everything the page draws, as JSON-ready data; cached until the next change."""
        with self.lock:
            if self._snapshot is not None and self._snapshot["version"] == self.version:
                return self._snapshot
            with COMPUTE, np.errstate(all="ignore"):
                snap = self._compute_snapshot()
            snap["version"] = self.version
            self._snapshot = snap
            return snap

    def _compute_snapshot(self):
        net, kind = self.net, self.net.output_kind
        train_loss, train_acc = evaluate(net, self.trainer.x.numpy(), self.train.y)
        test_loss, test_acc = evaluate(net, self.test_x, self.test.y)
        with no_grad():
            outs = [o.numpy() for o in net.forward_all(tensor(self.grid_x))]
        small = np.arange(GRID * GRID).reshape(GRID, GRID)[::2, ::2].ravel()
        feats = self.grid_x / np.maximum(np.abs(self.grid_x).max(0), 1e-12)
        last = outs[-1]
        if kind == "softmax":
            e = np.exp(last - last.max(1, keepdims=True))
            last = e / e.sum(1, keepdims=True)
            output = {"class": _bytes(last.argmax(1), 0, 255), "value": _bytes(last.max(1), 0, 1)}
            outs[-1] = 2 * last - 1
        else:
            output = {"value": _bytes(last[:, 0])}
        maps = [[_bytes(m[small, j]) for j in range(m.shape[1])] for m in [feats] + outs]
        return {
            "epoch": self.epoch, "run": self.run, "playing": self.playing,
            "message": self.message, "state": state_mod.encode(self.state),
            "data_version": self.data_version, "problem": self.train.problem,
            "classes": self.train.classes, "output_kind": kind,
            "train_loss": _number(train_loss), "test_loss": _number(test_loss),
            "train_acc": train_acc, "test_acc": test_acc,
            "features": self.features, "shape": net.shape,
            "weights": [_finite(la.weight) for la in net.layers],
            "biases": [_finite(la.bias) for la in net.layers],
            "grid": GRID, "small": SMALL, "output": output, "maps": maps,
        }
