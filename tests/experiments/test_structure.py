"""The experiments' house rules, checked on their source: no function over 60 lines (a run()
reads data -> train -> report -> verdict, the steps live in named methods), and every
experiment draws at least one figure."""
import ast
import pathlib

import brique.experiments

ROOT = pathlib.Path(brique.experiments.__file__).parent
MAX_LINES = 60


def sources():
    return sorted(p for p in ROOT.glob("*.py"))


def test_no_function_over_60_lines():
    long = []
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_LINES:
                    long.append(f"{path.name}:{node.lineno} {node.name}() has {lines} lines")
    assert not long, f"functions over {MAX_LINES} lines in brique/experiments/:\n" + \
        "\n".join(long)


def test_every_experiment_draws_a_figure():
    # ctx.figure directly, _common.image_rows which calls it, or PNGs a tool wrote (lego's
    # search plots) placed in the report
    blank = [p.name for p in sources()
             if "@register\nclass" in p.read_text()
             and not any(call in p.read_text() for call in (".figure(", "image_rows(", ".png"))]
    assert not blank, f"experiments without a figure: {blank}"
