"""Imports go down the layers of DESIGN.md, never up, and experiments never import each other.

An AST scan of every module of the package: each import (top-level or inside a function) is
resolved to the brique module it loads, and both ends are given their layer below. One stated
exception: core may import ops inside functions (a Tensor method calls its op), and the method
table (`brique/_methods.py`, core) imports ops at its top; the package face installs it.
"""
import ast
import pathlib

import brique

ROOT = pathlib.Path(brique.__file__).parent

# Lowest first. A module belongs to the longest prefix that names it.
LAYERS = [
    ("backend", ["brique.backend", "brique._format", "brique._special", "brique._malloc"]),
    ("core", ["brique.tensor", "brique.autograd", "brique.creation", "brique._methods",
              "brique._compat", "brique._custom_function",
              "brique._inplace", "brique.random", "brique._legacy", "brique._tensor_meta",
              "brique._autograd_functional", "brique._gradcheck", "brique.testing"]),
    ("ops", ["brique.ops", "brique.distributed", "brique.special", "brique.linalg"]),
    ("nn", ["brique.nn", "brique.distributions", "brique.func"]),
    ("optim", ["brique.optim"]),
    ("data", ["brique.utils", "brique.datasets", "brique.text"]),
    ("train", ["brique.train", "brique.serialization", "brique.profiler"]),
    ("models", ["brique.models"]),
    # the package face: re-exports everything up to the models; optional parts load lazily
    ("face", ["brique"]),
    ("tools", ["brique.explain", "brique.attacks", "brique.search", "brique.onnx",
               "brique.keras"]),
    ("apps", ["brique.experiments", "brique.recipes", "brique.playground"]),
    ("cli", ["brique.cli", "brique.__main__"]),
]
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}
# Pairs (importer layer, imported layer) that are forbidden although they go down.
SIDEWAYS = {("optim", "nn")}
# Modules of brique/experiments/ that every experiment may import.
EXPERIMENT_SHARED = {"brique.experiments", "brique.experiments.base",
                     "brique.experiments._common"}


def layer_of(module):
    """The layer of a module: the longest prefix that names it (the face, only `brique`)."""
    best = None
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            inside = module == prefix or (prefix != "brique" and module.startswith(prefix + "."))
            if inside and (best is None or len(prefix) > len(best[1])):
                best = (name, prefix)
    return best[0] if best else None


def package_modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        yield name, path, is_package


def is_module(name):
    """Whether `name` is a brique module or package (on disk: nothing is imported)."""
    if not name.startswith("brique."):
        return False
    path = ROOT.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(name, path, is_package):
    """(line, imported brique module, inside a function?) for every import of `path`."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if is_package else name.rpartition(".")[0]
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((child.lineno, a.name, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[:len(package.split(".")) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for a in child.names:
                    full = f"{base}.{a.name}"
                    found.append((child.lineno, full if is_module(full) else base, in_function))
            visit(child, nested)
    visit(tree, False)
    return [(line, mod, fn) for line, mod, fn in found
            if mod == "brique" or mod.startswith("brique.")]


def violations():
    bad = []
    for name, path, is_package in package_modules():
        here = layer_of(name)
        if here is None:
            bad.append(f"{name}: in no layer of tests/test_layers.py (add it to LAYERS)")
            continue
        for line, target, in_function in imports_of(name, path, is_package):
            there = layer_of(target)
            where = f"{path.relative_to(ROOT.parent)}:{line}: {name} ({here}) imports " \
                    f"{target} ({there})"
            if here == "core" and there == "ops" and (in_function or name == "brique._methods"):
                continue  # the stated exception
            if there is None:
                bad.append(f"{where}: the imported module is in no layer")
            elif RANK[there] > RANK[here]:
                bad.append(f"{where}: up a layer")
            elif (here, there) in SIDEWAYS:
                bad.append(f"{where}: {here} never imports {there}")
            elif here == "apps" and name.startswith("brique.experiments.") and \
                    target.startswith("brique.experiments.") and \
                    target not in EXPERIMENT_SHARED and name not in EXPERIMENT_SHARED:
                bad.append(f"{where}: experiments never import each other (share through "
                           f"brique/experiments/_common.py)")
    return bad


def test_imports_follow_the_layers():
    bad = violations()
    assert not bad, "imports against the layers of DESIGN.md:\n" + "\n".join(bad)


def test_the_scan_sees_imports():
    """The scan itself: it resolves relative imports and catches an upward one."""
    found = imports_of("brique.recipes", ROOT / "recipes.py", False)
    assert any(mod == "brique.models" for _, mod, _ in found)
    assert layer_of("brique.nn.modules.conv") == "nn" and layer_of("brique") == "face"
    assert layer_of("brique.not_a_module_yet") is None  # a new module must be given a layer
    assert RANK[layer_of("brique.models.gan")] > RANK[layer_of("brique.train.loop")]
