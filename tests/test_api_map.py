"""docs/api_map.py: brique has every name course code and training scripts commonly call, and
the map of PyTorch's API (docs/api.md) can be regenerated."""
import importlib.util
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "docs" / "api_map.py"


def load_script():
    spec = importlib.util.spec_from_file_location("api_map", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_brique_has_every_common_name():
    assert load_script().missing_common() == []


def test_the_map_regenerates(tmp_path):
    pytest.importorskip("torch")
    api_map = load_script()
    out = tmp_path / "api.md"
    assert api_map.main(["--out", str(out)]) == 0
    text = out.read_text()
    for theirs, ours in api_map.NAMESPACES:
        assert f"## `{theirs}` -> `{ours}`" in text
    rows = [line for line in text.splitlines() if line.startswith("| `torch")]
    assert len(rows) == len(api_map.NAMESPACES)
    for row in rows:  # every common name of every namespace is covered
        got, wanted = row.rstrip(" |").rsplit("| ", 1)[1].split("/")
        assert got == wanted, row
