"""The page ships in the wheel: build it (no network: the installed setuptools), install it
into a folder and find every asset through the installed package."""
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "brique" / "playground" / "static"


def test_wheel_carries_the_playground_assets(tmp_path):
    pytest.importorskip("setuptools")  # >= 70.1 builds wheels without the wheel package
    src = tmp_path / "src"   # a copy, so the build leaves no build/ or egg-info in the tree
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "brique", src / "brique",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(out), str(src)], check=True,
                   capture_output=True, timeout=300)
    wheel, = out.glob("brique-*.whl")
    assets = sorted(p.name for p in STATIC.iterdir() if p.is_file())
    assert {"index.html", "app.js", "draw.js", "net.js", "style.css"} <= set(assets)
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    assert {f"brique/playground/static/{a}" for a in assets} <= names

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--target", str(target), str(wheel)], check=True, capture_output=True,
                   timeout=300)
    probe = ("from importlib import resources; import brique.playground.server as s; "
             "print(s.__file__); print(s._asset('index.html').read_text()[:15])")
    env = dict(os.environ, PYTHONPATH=str(target))
    found = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, check=True,
                           capture_output=True, text=True, timeout=300).stdout.splitlines()
    assert found[0].startswith(str(target)) and found[1] == "<!DOCTYPE html>"
