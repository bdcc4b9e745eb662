"""brique.profiler (torch.profiler's API): op totals and self times, record_function, the
chrome trace, schedules with step(), and that the timing is gone after the block."""
import json

import pytest

import brique
from brique import profiler as P
from brique.autograd import Function


def _step(model, x):
    model(x).sum().backward()


def _model():
    return brique.nn.Sequential(brique.nn.Linear(6, 8), brique.nn.ReLU(), brique.nn.Linear(8, 2))


def test_key_averages_count_each_op_and_nest_self_times():
    model, x = _model(), brique.randn(4, 6)
    apply_before = Function.__dict__["apply"]
    with P.profile(activities=[P.ProfilerActivity.CPU], record_shapes=True) as prof:
        with P.record_function("train_step"):
            _step(model, x)
    assert Function.__dict__["apply"] is apply_before  # nothing left installed
    totals = {e.key: e for e in prof.key_averages()}
    assert totals["Linear"].count == 2 and totals["LinearBackward"].count == 2
    assert totals["Relu"].count == 1 and totals["train_step"].count == 1
    step = totals["train_step"]
    inner = sum(e.self_cpu_time_total for k, e in totals.items() if k != "train_step")
    assert step.cpu_time_total == pytest.approx(step.self_cpu_time_total + inner, rel=1e-6)
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=3)
    lines = table.splitlines()
    assert "Self CPU %" in lines[1] and lines[3].strip().startswith("train_step")
    assert len([ln for ln in lines if "us" in ln or "ms" in ln]) == 4  # 3 rows + the total
    by_shape = prof.key_averages(group_by_input_shape=True)
    assert any(e.key == "Linear" and e.input_shapes[0] == [4, 6] for e in by_shape)


def test_chrome_trace_and_autograd_profiler_spelling(tmp_path):
    model, x = _model(), brique.randn(4, 6)
    with brique.autograd.profiler.profile() as prof:
        _step(model, x)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    events = json.loads(path.read_text())["traceEvents"]
    assert {"Linear", "LinearBackward"} <= {e["name"] for e in events}
    assert all(e["ph"] == "X" and e["dur"] >= 0 for e in events)


def test_schedule_records_only_active_steps_and_hands_each_cycle_over(tmp_path):
    model, x = _model(), brique.randn(4, 6)
    cycles = []
    sched = P.schedule(wait=1, warmup=1, active=2, repeat=2)
    assert [sched(i).name for i in range(9)] == [
        "NONE", "WARMUP", "RECORD", "RECORD_AND_SAVE", "NONE", "WARMUP", "RECORD",
        "RECORD_AND_SAVE", "NONE"]
    with P.profile(schedule=sched, on_trace_ready=lambda p: cycles.append(
            sum(e.count for e in p.key_averages() if e.key == "Linear"))) as prof:
        for _ in range(9):
            _step(model, x)
            prof.step()
    assert cycles == [4, 4]  # 2 active steps of 2 Linear forwards, twice
    handler = P.tensorboard_trace_handler(str(tmp_path / "tb"))
    with P.profile(on_trace_ready=handler):
        _step(model, x)
    assert list((tmp_path / "tb").glob("*.pt.trace.json"))


def test_bad_arguments():
    with pytest.raises(ValueError, match="active > 0"):
        P.schedule(wait=0, warmup=0, active=0)
    with P.profile() as prof:
        with pytest.raises(RuntimeError, match="already recording"):
            P.profile().__enter__()
    with pytest.raises(ValueError, match="sort_by"):
        prof.key_averages().table(sort_by="gpu")
