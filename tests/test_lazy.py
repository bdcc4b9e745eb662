"""Optional parts of brique are lazy attributes: `import brique` does not import them, the first
use does, and a missing third-party extra says which `pip install` brings it."""
import subprocess
import sys

import pytest

import brique


def _write_part(tmp_path, monkeypatch, name, body):
    (tmp_path / f"{name}.py").write_text(body)
    monkeypatch.setattr(brique, "__path__", list(brique.__path__) + [str(tmp_path)])
    monkeypatch.setitem(brique._LAZY, name, "extra-" + name)
    monkeypatch.delitem(sys.modules, f"brique.{name}", raising=False)


def test_import_brique_imports_no_optional_dependency():
    code = ("import sys, brique; heavy = {'optuna', 'onnx', 'onnxruntime', 'mpi4py', 'http.server'}"
            "; print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_optional_part_imports_on_first_use(tmp_path, monkeypatch):
    _write_part(tmp_path, monkeypatch, "lazypart", "VALUE = 42\n")
    assert "brique.lazypart" not in sys.modules
    assert brique.lazypart.VALUE == 42
    assert "brique.lazypart" in sys.modules
    monkeypatch.delattr(brique, "lazypart")


def test_missing_extra_names_the_pip_install(tmp_path, monkeypatch):
    _write_part(tmp_path, monkeypatch, "needsextra", "import brique_no_such_dependency_xyz\n")
    with pytest.raises(ImportError, match=r"pip install 'brique\[extra-needsextra\]'"):
        brique.needsextra


def test_unknown_or_unwritten_part_is_an_attribute_error(monkeypatch):
    monkeypatch.setitem(brique._LAZY, "notwrittenyet", "x")
    with pytest.raises(AttributeError, match="notwrittenyet"):
        brique.notwrittenyet
    with pytest.raises(AttributeError, match="nonsense"):
        brique.nonsense
