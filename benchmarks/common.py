"""Shared helpers for the benchmarks: timing, BLAS report, markdown table."""
from __future__ import annotations

import os
import platform
import time


def blas_info():
    """Which BLAS each library uses (threadpoolctl), and whether the OpenBLAS overrides are set."""
    lines = []
    try:
        from threadpoolctl import threadpool_info
        for info in threadpool_info():
            lines.append(f"{info.get('internal_api')} {info.get('version')} "
                         f"({info.get('architecture', '?')}, {info.get('num_threads')} threads) "
                         f"{os.path.basename(info.get('filepath', ''))}")
    except ImportError:
        lines.append("threadpoolctl not installed: BLAS unknown")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            lines.append(f"warning: {var}={os.environ[var]} is set (slows numpy's OpenBLAS)")
    return lines


def machine():
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def best_time(fn, repeat=5, number=None, budget=0.2):
    """Best per-call time in seconds over `repeat` rounds of `number` calls (auto-sized)."""
    fn()  # warm up
    if number is None:
        number, t0 = 1, time.perf_counter()
        fn()
        one = max(time.perf_counter() - t0, 1e-7)
        number = max(1, int(budget / one))
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def fmt_time(s):
    return f"{s * 1e6:.1f} us" if s < 1e-3 else f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def table(rows):
    """rows: (name, brique seconds, torch seconds) -> markdown lines with the ratio."""
    out = ["| benchmark | brique | PyTorch | ratio (brique / PyTorch) |", "|---|---|---|---|"]
    for name, b, t in rows:
        out.append(f"| {name} | {fmt_time(b)} | {fmt_time(t)} | {b / t:.2f}x |")
    return out


DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "benchmarks.md")


def report(name, command, rows, notes=()):
    """Print the table and write it into docs/benchmarks.md between the section's markers
    (<!-- name:start --> ... <!-- name:end -->), with the command, machine and BLAS."""
    import datetime
    lines = [f"Command: `{command}`", "",
             f"Measured {datetime.date.today()} on {machine()}; " + "; ".join(blas_info()), ""]
    write_section(name, lines + table(rows) + [""] + list(notes))


def write_section(name, lines):
    print("\n".join(lines))
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = open(DOC).read() if os.path.exists(DOC) else ""
    if start not in text:
        text = text.rstrip() + f"\n\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    with open(DOC, "w") as f:
        f.write(head + start + "\n" + "\n".join(lines).rstrip() + "\n" + end + tail)
