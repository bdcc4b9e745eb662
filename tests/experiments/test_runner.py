"""The experiment runner: report.md, metrics.json and figures; the CLI's list and run."""
import json

import pytest

from brique import experiments
from brique.cli import main


class Toy(experiments.Experiment):
    name = "toy"
    claim = "two plus two is four"

    def run(self, ctx):
        plt = experiments.pyplot()
        value = ctx.metric("sum", 2 + ctx.size(2, 2))
        ctx.table(["a", "b", "sum"], [[2, 2, value], [0.5, 0.25, 0.75]], caption="sums")
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        ctx.figure(fig, "line.png", "a line")
        ctx.note("A note.")
        ctx.verdict(value == 4, f"2 + 2 = {value}")


@pytest.fixture
def toy():
    experiments.REGISTRY["toy"] = Toy
    yield
    experiments.REGISTRY.pop("toy")


def test_run_writes_report_metrics_and_figures(tmp_path, toy):
    metrics = experiments.run("toy", quick=True, seed=3, out=str(tmp_path))
    folder = tmp_path / "toy"
    assert metrics["claim_held"] and metrics["sum"] == 4 and metrics["quick"]
    assert json.loads((folder / "metrics.json").read_text())["sum"] == 4
    report = (folder / "report.md").read_text()
    for text in ("# toy", "**Claim.** two plus two is four", "seed 3", "| a | b | sum |",
                 "![a line](line.png)", "A note.", "**Claim held: yes.** 2 + 2 = 4"):
        assert text in report
    assert (folder / "line.png").stat().st_size > 0


def test_a_run_without_verdict_is_an_error(tmp_path):
    class NoVerdict(experiments.Experiment):
        name, claim = "none", "nothing"

        def run(self, ctx):
            pass
    with pytest.raises(RuntimeError, match="without a verdict"):
        experiments.run_experiment(NoVerdict(), out=str(tmp_path))


def test_cli_list_and_run(tmp_path, capsys, toy):
    assert main(["experiment", "list"]) == 0
    assert "two plus two is four" in capsys.readouterr().out
    assert main(["experiment", "run", "toy", "--quick", "--out", str(tmp_path)]) == 0
    assert "claim held: yes" in capsys.readouterr().out
    assert main(["experiment", "run", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown experiment 'nope'" in capsys.readouterr().err
