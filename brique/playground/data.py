"""The playground's 2-D datasets, its seven input features, and user CSV data.

Every dataset lives in the square [-6, 6]^2 and is drawn from a seeded generator, so a shared
URL (which carries the seed) shows the same points. Classification labels are class indices
0..K-1; regression targets lie in [-1, 1].

    points = make("spiral", noise=10, seed=3)         # Points(x (500, 2), y (500,), ...)
    train, test = split(points, ratio=50, seed=3)
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

CLASSIFICATION = ("circle", "xor", "gauss", "spiral")
REGRESSION = ("plane", "multigauss")
DATASETS = CLASSIFICATION + REGRESSION
N_CLASSIFICATION, N_REGRESSION = 500, 1200
LIMIT = 6.0  # the drawn square is [-LIMIT, LIMIT]^2

# name -> feature of the two coordinates; the names are the page's `#feature-<name>` ids.
FEATURES = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1sq": lambda a, b: a * a,
    "x2sq": lambda a, b: b * b,
    "x1x2": lambda a, b: a * b,
    "sinx1": lambda a, b: np.sin(a),
    "sinx2": lambda a, b: np.sin(b),
}
FEATURE_LABELS = {"x1": "X\u2081", "x2": "X\u2082", "x1sq": "X\u2081\u00b2",
                  "x2sq": "X\u2082\u00b2", "x1x2": "X\u2081X\u2082", "sinx1": "sin(X\u2081)",
                  "sinx2": "sin(X\u2082)"}


@dataclass
class Points:
    """Shape: x (N, 2) float32; y (N,) float32 (class index, or target in [-1, 1])."""
    x: np.ndarray
    y: np.ndarray
    problem: str   # "classification" or "regression"
    classes: int   # 1 for regression


def features(x, names):
    """The chosen input features of points.

    Shape: x (N, 2) -> (N, len(names)) float32.
    """
    a, b = x[:, 0].astype(np.float64), x[:, 1].astype(np.float64)
    cols = [FEATURES[n](a, b) for n in names]
    return np.stack(cols, axis=1).astype(np.float32) if cols else np.zeros((len(x), 0), np.float32)


def make(name, noise=0, seed=0, classes=2):
    """Dataset `name` with `noise` in 0..50 (percent) and, for gauss and spiral, 2..5 classes."""
    if name not in DATASETS:
        raise ValueError(f"playground dataset must be one of {', '.join(DATASETS)}, got {name!r}")
    rng = np.random.default_rng(seed)
    noise = float(noise) / 100.0
    if name in REGRESSION:
        x = rng.uniform(-LIMIT, LIMIT, size=(N_REGRESSION, 2))
        y = _plane(x) if name == "plane" else _multigauss(x)
        y = np.clip(y + rng.uniform(-1, 1, size=len(y)) * noise, -1, 1)
        return Points(x.astype(np.float32), y.astype(np.float32), "regression", 1)
    k = classes if name in ("gauss", "spiral") else 2
    x, y = {"circle": _circle, "xor": _xor, "gauss": _gauss, "spiral": _spiral}[name](
        rng, N_CLASSIFICATION, noise, k)
    return Points(x.astype(np.float32), y.astype(np.float32), "classification", k)


def _circle(rng, n, noise, k):
    # Inner disc (class 1) against an outer ring (class 0), with a gap that noise blurs.
    inner = n // 2
    r = np.concatenate([rng.uniform(0, 2.5, inner), rng.uniform(3.5, 5.0, n - inner)])
    angle = rng.uniform(0, 2 * math.pi, n)
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], 1)
    x += rng.uniform(-5, 5, size=x.shape) * noise
    return x, (np.arange(n) < inner).astype(np.float64)


def _xor(rng, n, noise, k):
    x = rng.uniform(-5, 5, size=(n, 2))
    x += np.where(x > 0, 0.3, -0.3)  # a margin along the axes, as the original has
    y = (x[:, 0] * x[:, 1] > 0).astype(np.float64)
    return x + rng.uniform(-5, 5, size=x.shape) * noise, y


def _gauss(rng, n, noise, k):
    y = np.arange(n) % k
    angle = 2 * math.pi * y / k + math.pi / 4
    centres = 2 * math.sqrt(2) * np.stack([np.cos(angle), np.sin(angle)], 1)
    spread = 0.5 + 3.5 * noise / 0.5  # variance from 0.5 (clean) to 4 (noise 50)
    return centres + rng.normal(0, math.sqrt(spread), size=(n, 2)), y.astype(np.float64)


def _spiral(rng, n, noise, k):
    y = np.arange(n) % k
    t = (np.arange(n) // k) / (n / k)
    angle = 1.75 * t * 2 * math.pi + 2 * math.pi * y / k
    x = 5 * t[:, None] * np.stack([np.sin(angle), np.cos(angle)], 1)
    return x + rng.uniform(-1, 1, size=x.shape) * noise * 5, y.astype(np.float64)


def _plane(x):
    return (x[:, 0] + x[:, 1]) / (2 * LIMIT)


_BUMPS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def _multigauss(x):
    y = np.zeros(len(x))
    for cx, cy, sign in _BUMPS:
        y += sign * np.exp(-((x[:, 0] - cx) ** 2 + (x[:, 1] - cy) ** 2) / 2)
    return np.clip(y, -1, 1)


def split(points, ratio=50, seed=0):
    """Shuffle once (seeded) and cut into (train, test) with `ratio` percent for training."""
    order = np.random.default_rng(seed + 1).permutation(len(points.x))
    cut = max(1, min(len(order) - 1, round(len(order) * ratio / 100)))
    pick = lambda idx: Points(points.x[idx], points.y[idx], points.problem, points.classes)  # noqa
    return pick(order[:cut]), pick(order[cut:])


def parse_csv(text, problem="classification"):
    """User data: rows of `x1,x2,label` (an optional header row is skipped).

    Points are rescaled into [-5, 5]^2 when they leave the drawn square. Classification labels
    may be any strings or numbers (at most 8 distinct ones, mapped to 0..K-1 in sorted order);
    regression targets are rescaled into [-1, 1].
    """
    rows = [r for r in csv.reader(io.StringIO(text)) if r and any(c.strip() for c in r)]
    if rows and not _is_number(rows[0][0]):
        rows = rows[1:]
    if len(rows) < 4:
        raise ValueError(f"CSV data needs at least 4 rows of x1,x2,label, got {len(rows)}")
    bad = next((i for i, r in enumerate(rows) if len(r) < 3 or not (_is_number(r[0])
                                                                   and _is_number(r[1]))), None)
    if bad is not None:
        raise ValueError(f"CSV row {bad + 1} should be x1,x2,label with numbers x1, x2; "
                         f"got {','.join(rows[bad])!r}")
    x = np.array([[float(r[0]), float(r[1])] for r in rows])
    if not np.isfinite(x).all():
        raise ValueError("CSV coordinates must be finite numbers")
    extent = np.abs(x).max()
    if extent > LIMIT:
        x = x * (5.0 / extent)
    labels = [r[2].strip() for r in rows]
    if problem == "regression":
        if not all(_is_number(v) for v in labels):
            raise ValueError("regression CSV labels must be numbers")
        y = np.array([float(v) for v in labels])
        y = y / max(np.abs(y).max(), 1e-12) if np.abs(y).max() > 1 else y
        return Points(x.astype(np.float32), y.astype(np.float32), "regression", 1)
    names = sorted(set(labels), key=lambda v: (not _is_number(v), float(v) if _is_number(v)
                                                else 0.0, v))
    if not 2 <= len(names) <= 8:
        raise ValueError(f"classification CSV needs 2 to 8 distinct labels, got {len(names)}")
    index = {v: i for i, v in enumerate(names)}
    y = np.array([index[v] for v in labels], dtype=np.float32)
    return Points(x.astype(np.float32), y, "classification", len(names))


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False
