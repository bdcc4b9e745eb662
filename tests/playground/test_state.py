import random

import pytest

from brique.playground import data, state


def test_defaults_are_the_tensorflow_playgrounds():
    s = state.defaults()
    assert (s["dataset"], s["features"], s["layers"], s["activation"]) == (
        "circle", ["x1", "x2"], [4, 2], "tanh")
    assert (s["learning-rate"], s["batch-size"], s["regularization"]) == (0.03, 10, "none")
    assert state.decode("") == s


def random_state(rng):
    s = state.defaults()
    s["dataset"] = rng.choice(data.DATASETS)
    s["classes"] = rng.randint(2, 5)
    s["noise"], s["train-ratio"], s["batch-size"] = rng.randint(0, 50), rng.randint(10, 90), \
        rng.randint(1, 30)
    s["features"] = [f for f in data.FEATURES if rng.random() < 0.5]
    s["layers"] = [rng.randint(1, 8) for _ in range(rng.randint(0, 6))]
    s["activation"] = rng.choice(state.ACTIVATIONS)
    s["learning-rate"] = rng.choice([1e-5, 3e-4, 0.03, 0.1, 1.0, 10.0, rng.uniform(1e-5, 10)])
    s["regularization"] = rng.choice(state.REGULARIZATIONS)
    s["reg-rate"] = rng.choice([0.0, 0.001, rng.uniform(0, 10)])
    s["seed"] = rng.randint(0, 2**31 - 1)
    s["show-test"], s["discretize"] = rng.random() < 0.5, rng.random() < 0.5
    s["hide"] = [h for h in state.HIDEABLE if rng.random() < 0.3]
    return state.consistent(s)


def test_url_round_trip():
    rng = random.Random(0)
    for _ in range(300):
        s = random_state(rng)
        query = state.encode(s)
        assert state.decode(query) == s
        assert state.decode("#" + query) == s
        assert state.encode(state.decode(query)) == query


def test_a_hand_edited_url_is_repaired_not_rejected():
    s = state.decode("dataset=nope&noise=99&batch-size=-3&learning-rate=inf&layers=9,0,x,3"
                     "&features=x2,bogus,x1,x2&show-test=yes&unknown=1&activation=relu")
    assert s["dataset"] == "circle" and s["noise"] == 50 and s["batch-size"] == 1
    assert s["learning-rate"] == 0.03          # not finite: the default
    assert s["layers"] == [4, 2]                # unreadable list: the default
    assert state.decode("layers=9,0,3")["layers"] == [8, 1, 3]
    assert s["features"] == ["x1", "x2"]        # canonical order, no repeats, no unknowns
    assert s["activation"] == "relu" and s["show-test"] is False
    assert state.decode("layers=1,2,3,4,5,6,7")["layers"] == [1, 2, 3, 4, 5, 6]
    assert state.decode("layers=")["layers"] == []


def test_dataset_decides_the_problem():
    assert state.decode("dataset=plane&problem=classification")["problem"] == "regression"
    assert state.decode("dataset=xor&problem=regression")["problem"] == "classification"


@pytest.mark.parametrize("preset", state.PRESETS, ids=[p["name"] for p in state.PRESETS])
def test_presets_are_valid_settings(preset):
    s = state.decode(preset["query"])
    for part in preset["query"].split("&"):
        key, value = part.split("=")
        assert state.encode(s).count(f"{key}=") == 1
        assert state._format(key, s[key]) == value, (key, value)
    assert preset["comment"].endswith((".", ")"))
