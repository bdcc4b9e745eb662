"""`brique.profiler`, PyTorch's torch.profiler on the CPU: where a step's time goes, op by op.

While a `profile` records, every primitive's forward ("Linear") and backward
("LinearBackward") and every `record_function` block is timed; `key_averages().table()`
sums them per name (self time: without the ops nested inside, as PyTorch counts it), and
`export_chrome_trace` writes the timeline for chrome://tracing or Perfetto. The timing is
installed on entry and removed on exit, so code outside a profile pays nothing.

`schedule(wait, warmup, active, repeat)` with `prof.step()` records only the active steps and
hands each finished cycle to `on_trace_ready` (e.g. `tensorboard_trace_handler(dir)`).
"""
from __future__ import annotations

import enum
import json
import os
import socket
import threading
import time
from collections import namedtuple

from . import autograd

__all__ = ["ProfilerAction", "ProfilerActivity", "profile", "record_function", "schedule",
           "tensorboard_trace_handler"]

_Event = namedtuple("_Event", "name start end self_time shapes thread")


class ProfilerActivity(enum.Enum):
    CPU = 0
    CUDA = 1


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0):
    """step -> ProfilerAction: skip_first steps, then cycles of wait, warmup and active steps
    (the last active step of a cycle RECORD_AND_SAVE), `repeat` cycles (0: forever)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise ValueError("schedule: wait, warmup, repeat and skip_first must be >= 0 and "
                         f"active > 0, got wait={wait} warmup={warmup} active={active} "
                         f"repeat={repeat} skip_first={skip_first}")
    cycle = wait + warmup + active

    def action(step):
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if repeat and step >= cycle * repeat:
            return ProfilerAction.NONE
        k = step % cycle
        if k < wait:
            return ProfilerAction.NONE
        if k < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD_AND_SAVE if k == cycle - 1 else ProfilerAction.RECORD
    return action


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """An on_trace_ready that writes each cycle's chrome trace into dir_name as
    '<worker>.<milliseconds>.pt.trace.json', the name TensorBoard's profiler plugin reads."""
    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{worker}.{int(time.time() * 1000)}.pt.trace.json")
        prof.export_chrome_trace(path + (".gz" if use_gzip else ""))
    return handler


class _Recorder:
    """The open events of each thread (a stack, for self times) and the finished ones."""

    def __init__(self, record_shapes):
        self.record_shapes, self.events, self.local = record_shapes, [], threading.local()

    def begin(self, name, args=()):
        stack = getattr(self.local, "stack", None)
        if stack is None:
            stack = self.local.stack = []
        shapes = [tuple(a.shape) for a in args if hasattr(a, "shape")] \
            if self.record_shapes else []
        stack.append([name, time.perf_counter_ns(), 0, shapes])

    def end(self):
        name, start, children, shapes = self.local.stack.pop()
        now = time.perf_counter_ns()
        if self.local.stack:
            self.local.stack[-1][2] += now - start
        self.events.append(_Event(name, start, now, now - start - children, shapes,
                                  threading.get_ident()))


_active = None  # the recording profile's _Recorder


class record_function:
    """Times a block (or a decorated function) under `name` in the active profile."""

    def __init__(self, name, args=None):
        self.name = name

    def __enter__(self):
        self._recorder = _active
        if self._recorder is not None:
            self._recorder.begin(self.name)
        return self

    def __exit__(self, *exc):
        if self._recorder is not None:
            self._recorder.end()

    def __call__(self, fn):
        def wrapped(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)
        return wrapped


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


class _Timing:
    """Function.apply and every Function subclass's backward, timed (installed per profile)."""

    def __init__(self, recorder):
        self.recorder, self.saved = recorder, []

    def install(self):
        rec = self.recorder
        apply = autograd.Function.__dict__["apply"].__func__

        def timed_apply(cls, *inputs, **params):
            rec.begin(cls.__name__, inputs)
            try:
                return apply(cls, *inputs, **params)
            finally:
                rec.end()
        self.saved.append((autograd.Function, "apply", autograd.Function.__dict__["apply"]))
        autograd.Function.apply = classmethod(timed_apply)
        for cls in set(_subclasses(autograd.Function)):
            backward = cls.__dict__.get("backward")
            if backward is None:
                continue

            def timed_backward(ctx, *grads, _fn=backward, _name=f"{cls.__name__}Backward"):
                rec.begin(_name, grads)
                try:
                    return _fn(ctx, *grads)
                finally:
                    rec.end()
            self.saved.append((cls, "backward", backward))
            cls.backward = timed_backward

    def remove(self):
        for cls, name, original in reversed(self.saved):
            setattr(cls, name, original)
        self.saved = []


class FunctionEventAvg:
    """Totals of one name: count, cpu_time_total and self_cpu_time_total in microseconds."""

    def __init__(self, key):
        self.key, self.count, self.cpu_time_total, self.self_cpu_time_total = key, 0, 0.0, 0.0
        self.input_shapes = None

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)


class EventList(list):
    """Per-name totals (FunctionEventAvg), printable as PyTorch's table."""

    _SORT = {"cpu_time_total": "cpu_time_total", "self_cpu_time_total": "self_cpu_time_total",
             "cpu_time": "cpu_time", "count": "count"}

    def table(self, sort_by=None, row_limit=100, header=None, **kwargs):
        rows = list(self)
        if sort_by is not None:
            if sort_by not in self._SORT:
                raise ValueError(f"table: sort_by must be one of {sorted(self._SORT)}, got "
                                 f"{sort_by!r}")
            rows.sort(key=lambda e: getattr(e, self._SORT[sort_by]), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        total = sum(e.self_cpu_time_total for e in self) or 1.0
        width = max([len("Name")] + [len(e.key) for e in rows]) + 2
        heads = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
                 "# of Calls"]
        line = "-" * width + ("  " + "-" * 12) * len(heads)
        out = ([header] if header else []) + [line, "Name".rjust(width) + "".join(
            "  " + h.rjust(12) for h in heads), line]
        for e in rows:
            cells = [f"{100 * e.self_cpu_time_total / total:.2f}%", _us(e.self_cpu_time_total),
                     f"{100 * e.cpu_time_total / total:.2f}%", _us(e.cpu_time_total),
                     _us(e.cpu_time), str(e.count)]
            out.append(e.key.rjust(width) + "".join("  " + c.rjust(12) for c in cells))
        out += [line, f"Self CPU time total: {_us(total)}"]
        return "\n".join(out)

    def total_average(self):
        avg = FunctionEventAvg("Total")
        for e in self:
            avg.count += e.count
            avg.cpu_time_total += e.cpu_time_total
            avg.self_cpu_time_total += e.self_cpu_time_total
        return avg


def _us(t):
    return f"{t / 1000:.3f}ms" if t >= 1000 else f"{t:.3f}us"


class profile:
    """Records the ops run inside the block (CPU activity; CUDA is accepted and ignored when
    there is no GPU, as brique's GPU ops are timed on the host too)."""

    def __init__(self, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False, experimental_config=None, use_cuda=None, enabled=True):
        self.schedule, self.on_trace_ready, self.enabled = schedule, on_trace_ready, enabled
        self.record_shapes, self.step_num = record_shapes, 0
        self._recorder, self._timing, self._events = None, None, []

    def _start(self):
        global _active
        if _active is not None:
            raise RuntimeError("profile: another profile is already recording")
        self._recorder = _Recorder(self.record_shapes)
        self._timing = _Timing(self._recorder)
        self._timing.install()
        _active = self._recorder

    def _stop(self):
        global _active
        if self._recorder is None:
            return
        self._timing.remove()
        _active = None
        self._events = self._recorder.events
        self._recorder = None

    def _action(self):
        return self.schedule(self.step_num) if self.schedule else ProfilerAction.RECORD

    def start(self):
        if self.enabled and self._action() in (ProfilerAction.RECORD,
                                               ProfilerAction.RECORD_AND_SAVE):
            self._start()

    def stop(self):
        had = self._recorder is not None
        self._stop()
        if had and self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def step(self):
        """The end of a training step: with a schedule, start or stop recording."""
        before = self._action()
        self.step_num += 1
        after = self._action()
        if before == ProfilerAction.RECORD_AND_SAVE:
            self.stop()
        if self.enabled and after in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE) \
                and self._recorder is None:
            self._start()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def events(self):
        return list(self._events or (self._recorder.events if self._recorder else []))

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        totals = {}
        for e in self.events():
            key = (e.name, tuple(e.shapes)) if group_by_input_shape else e.name
            avg = totals.get(key)
            if avg is None:
                avg = totals[key] = FunctionEventAvg(e.name)
                avg.input_shapes = [list(s) for s in e.shapes]
            avg.count += 1
            avg.cpu_time_total += (e.end - e.start) / 1000
            avg.self_cpu_time_total += e.self_time / 1000
        return EventList(totals.values())

    def export_chrome_trace(self, path):
        """The timeline in Chrome's trace-event JSON (gzipped when path ends in .gz)."""
        events = self.events()
        t0 = min((e.start for e in events), default=0)
        trace = {"traceEvents": [
            {"name": e.name, "ph": "X", "cat": "cpu_op", "ts": (e.start - t0) / 1000,
             "dur": (e.end - e.start) / 1000, "pid": os.getpid(), "tid": e.thread,
             "args": {"Input Dims": [list(s) for s in e.shapes]}} for e in events]}
        data = json.dumps(trace).encode()
        if str(path).endswith(".gz"):
            import gzip
            data = gzip.compress(data)
        with open(path, "wb") as f:
            f.write(data)
