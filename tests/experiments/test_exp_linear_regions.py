"""The linear-regions experiment (quick): shallow and deep ReLU nets of N units have fewer than
N^2 regions, under the shallow bound and far from Montufar's deep bound."""
from brique import experiments
from brique.experiments.linear_regions import montufar_bound, shallow_bound


def test_bounds():
    assert shallow_bound(24) == 301
    assert montufar_bound(8, 3) == 16 ** 2 * 37 and montufar_bound(4, 1) == 11


def test_linear_regions_quick(tmp_path):
    m = experiments.run("linear-regions", quick=True, out=str(tmp_path))
    assert m["claim_held"]
    shallow, *deep = m["rows"]
    assert 24 < shallow["init"] <= 301 and shallow["trained"] <= 301
    for r in m["rows"]:
        assert r["accuracy"] > 0.9 and r["trained"] < 24 ** 2
    assert all(r["trained"] < r["bound"] / 10 for r in deep)
    assert (tmp_path / "linear-regions" / "regions.png").stat().st_size > 0
