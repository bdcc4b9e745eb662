"""The server's training loop is plain brique: the same network trained through the page's
API and directly with brique.nn/optim gives the same losses."""
import json
import math
import urllib.error

import numpy as np
import pytest

import brique
from brique import nn
from brique.playground import data, session as session_mod, state
from brique.playground.session import Session


def direct_losses(snap, pts, features, epochs, lr, batch, activation=nn.Tanh, reg=None, rate=0):
    train = [p for p in pts["points"] if p[3] == 0]
    xy = np.array([[p[0], p[1]] for p in train], np.float32)
    x = brique.tensor(data.features(xy, features))
    y = brique.tensor(np.array([[2 * p[2] - 1] for p in train], np.float32))
    widths = snap["shape"]
    mods = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        mods += [nn.Linear(a, b), activation() if i < len(widths) - 2 else nn.Tanh()]
    net = nn.Sequential(*mods)
    with brique.no_grad():
        for lin, w, b in zip(net[::2], snap["weights"], snap["biases"]):
            lin.weight.copy_(brique.tensor(np.array(w, np.float32)))
            lin.bias.copy_(brique.tensor(np.array(b, np.float32)))
    opt = brique.optim.SGD(net.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        for i in range(0, len(xy), batch):
            loss = 0.5 * nn.functional.mse_loss(net(x[i:i + batch]), y[i:i + batch])
            for lin in net[::2]:
                if reg == "l1":
                    loss = loss + rate * lin.weight.abs().sum()
                elif reg == "l2":
                    loss = loss + rate * 0.5 * (lin.weight ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        with brique.no_grad():
            losses.append(0.5 * nn.functional.mse_loss(net(x), y).item())
    return losses


@pytest.mark.parametrize("query,features,act,reg,rate", [
    ("dataset=xor&seed=3", ["x1", "x2"], nn.Tanh, None, 0),
    ("dataset=spiral&features=x1,x2,sinx1,x1x2&layers=5,3,2&activation=relu&batch-size=7"
     "&learning-rate=0.01", ["x1", "x2", "x1x2", "sinx1"], nn.ReLU, None, 0),
    ("dataset=gauss&noise=20&layers=3&activation=sigmoid&regularization=l2&reg-rate=0.01",
     ["x1", "x2"], nn.Sigmoid, "l2", 0.01),
    ("dataset=circle&features=x1sq,x2sq&layers=2&regularization=l1&reg-rate=0.003",
     ["x1sq", "x2sq"], nn.Tanh, "l1", 0.003),
])
def test_api_training_equals_direct_brique(client, query, features, act, reg, rate):
    client.call("/api/state", query)
    first = client.call("/api/snapshot")
    pts = client.call("/api/points")
    assert first["epoch"] == 0 and first["features"] == features
    api = []
    for _ in range(4):
        client.call("/api/step", "")
        api.append(client.call("/api/snapshot")["train_loss"])
    s = first["state"]
    lr = float(s.split("learning-rate=")[1].split("&")[0])
    batch = int(s.split("batch-size=")[1].split("&")[0])
    direct = direct_losses(first, pts, features, 4, lr, batch, act, reg, rate)
    np.testing.assert_allclose(api, direct, rtol=1e-5)
    assert api[-1] < api[0]


def test_datasets_are_seeded_and_sized():
    for name in data.DATASETS:
        a, b = data.make(name, 10, seed=1), data.make(name, 10, seed=1)
        assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
        assert len(a.x) == (1200 if name in data.REGRESSION else 500)
        assert np.abs(a.x).max() <= 8
    assert not np.array_equal(data.make("xor", seed=1).x, data.make("xor", seed=2).x)
    spiral = data.make("spiral", classes=4)
    assert spiral.classes == 4 and set(np.unique(spiral.y)) == {0, 1, 2, 3}
    train, test = data.split(data.make("circle"), ratio=30)
    assert (len(train.x), len(test.x)) == (150, 350)


def test_xor_learns_with_the_defaults_and_the_stream_reports_it():
    s = Session("dataset=xor")
    first = s.snapshot()["train_loss"]
    s.step(60)
    snap = s.snapshot()
    assert snap["epoch"] == 60 and snap["train_loss"] < first / 2 and snap["train_acc"] > 0.9
    assert len(snap["maps"]) == 4 and len(snap["maps"][1]) == 4    # inputs, 4, 2, output
    assert len(snap["output"]["value"]) == math.ceil(session_mod.GRID ** 2 / 3) * 4


def test_more_classes_use_softmax_and_report_accuracy():
    s = Session("dataset=gauss&classes=3&layers=4")
    s.step(30)
    snap = s.snapshot()
    assert snap["output_kind"] == "softmax" and snap["shape"] == [2, 4, 3]
    assert snap["train_acc"] > 0.8 and "class" in snap["output"]


def test_regression_has_no_accuracy():
    s = Session("dataset=plane&layers=")
    s.step(5)
    snap = s.snapshot()
    assert snap["problem"] == "regression" and snap["train_acc"] is None
    assert snap["train_loss"] < 0.01


def test_a_blown_up_learning_rate_gives_a_message_not_nans(client):
    client.call("/api/state", "dataset=plane&features=x1sq,x2sq,x1x2&learning-rate=3"
                "&activation=linear&layers=8,8")
    client.call("/api/play", "true")
    for _ in range(50):
        client.call("/api/step", "")
        snap = client.call("/api/snapshot")
        if snap["message"]:
            break
    assert "learning rate" in snap["message"] and not snap["playing"]
    json.dumps(snap, allow_nan=False)     # the page gets valid JSON
    client.call("/api/reset", "")
    assert client.call("/api/snapshot")["message"] == ""


def test_edit_a_weight_and_a_bias(client):
    client.call("/api/state", "layers=3")
    client.call("/api/param", json.dumps({"layer": 1, "row": 0, "col": 2, "value": -1.5}))
    client.call("/api/param", json.dumps({"layer": 0, "row": 1, "col": -1, "value": 0.75}))
    snap = client.call("/api/snapshot")
    assert snap["weights"][1][0][2] == -1.5 and snap["biases"][0][1] == 0.75
    with pytest.raises(urllib.error.HTTPError) as e:
        client.call("/api/param", json.dumps({"layer": 5, "row": 0, "col": 0, "value": 1}))
    assert e.value.code == 400 and "layer" in json.loads(e.value.read())["error"]


def test_upload_csv_with_three_classes(client):
    rows = ["x,y,label"] + [f"{i % 7 - 3},{(i * 3) % 5 - 2},{'abc'[i % 3]}" for i in range(60)]
    state = client.call("/api/upload", "\n".join(rows))["state"]
    assert "dataset=custom" in state
    snap = client.call("/api/snapshot")
    assert snap["classes"] == 3 and snap["output_kind"] == "softmax"
    with pytest.raises(urllib.error.HTTPError) as e:
        client.call("/api/upload", "1,2\n3,4\n")
    assert "CSV" in json.loads(e.value.read())["error"]


def test_the_stream_sends_points_then_snapshots(server, client):
    import urllib.request
    client.call("/api/state", "dataset=xor")
    client.call("/api/play", "true")
    url = f"{server.url}events?session={client.session}"
    with urllib.request.urlopen(url, timeout=30) as stream:
        events = []
        while len(events) < 4:
            line = stream.readline().decode()
            if line.startswith("event:"):
                events.append(line.split(":", 1)[1].strip())
    client.call("/api/play", "false")
    assert events[0] == "points" and events[1:] == ["snapshot"] * 3


def test_the_page_and_its_assets_are_served(server):
    import urllib.request
    html = urllib.request.urlopen(server.url).read().decode()
    for element in ("dataset", "play", "step", "reset", "add-layer", "remove-layer", "epoch",
                    "train-loss", "test-loss", "boundary", "activation", "regularization",
                    "problem", "learning-rate", "reg-rate", "batch-size", "noise",
                    "train-ratio"):
        assert f'id="{element}"' in html
    for control in state.HIDEABLE:   # a teacher can hide each of them
        assert f'data-control="{control}"' in html
    for asset in ("app.js", "draw.js", "net.js", "style.css"):
        assert f"/static/{asset}" in html
        assert urllib.request.urlopen(f"{server.url}static/{asset}").status == 200
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{server.url}static/..%2Fserver.py")
