"""The playground's speed as its page sees it: snapshots streamed per second and epochs per
second on the default setting, and the xor train loss after 10 seconds of play.

    python benchmarks/playground.py [--seconds 10]     # also writes docs/benchmarks.md

Runs the server in this process and reads its event stream like the page does (no browser:
the page's drawing costs the browser's CPU, not the server's).
"""
import argparse
import datetime
import json
import threading
import time
import urllib.request

from brique.playground import make_server
from common import machine, write_section


def call(url, path, session, body=None):
    req = urllib.request.Request(f"{url}{path}?session={session}",
                                 data=None if body is None else body.encode(),
                                 method="GET" if body is None else "POST")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def play(url, session, query, seconds):
    """Play `query` for `seconds`; the (time, epoch, train loss) of every streamed snapshot."""
    call(url, "api/state", session, query)
    stream = urllib.request.urlopen(f"{url}events?session={session}")
    rows, event, start = [], None, None
    while True:
        line = stream.readline().decode()
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event == "snapshot":
            snap = json.loads(line[5:])
            if start is None:
                rows.append((0.0, snap["epoch"], snap["train_loss"]))
                call(url, "api/play", session, "true")
                start = time.perf_counter()
                continue
            rows.append((time.perf_counter() - start, snap["epoch"], snap["train_loss"]))
            if rows[-1][0] >= seconds:
                break
    call(url, "api/play", session, "false")
    stream.close()
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    server = make_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rows = play(server.url, "default", "", args.seconds)
    t, epochs = rows[-1][0], rows[-1][1]
    lines = [f"Command: `python benchmarks/playground.py --seconds {args.seconds:g}` (the server "
             "in-process, its event stream read as the page reads it)", "",
             f"Measured {datetime.date.today()} on {machine()}.", "",
             f"- default setting (circle, x1 x2, 4-2 tanh, lr 0.03, batch 10): "
             f"{len(rows) - 1} snapshots in {t:.1f} s = **{(len(rows) - 1) / t:.1f} updates/s** "
             f"streamed; {epochs} epochs = **{epochs / t:.1f} epochs/s**"]
    rows = play(server.url, "xor", "dataset=xor", args.seconds)
    first, last = rows[0][2], rows[-1][2]
    half = next((r for r in rows if r[2] < first / 2), None)
    lines.append(f"- xor with the defaults: train loss {first:.3f} at epoch 0, **{last:.3f} after "
                 f"{rows[-1][0]:.1f} s** of play (epoch {rows[-1][1]}); below half its first "
                 "value after " + (f"{half[0]:.2f} s (epoch {half[1]})" if half else "never"))
    write_section("playground", lines)
    server.shutdown()


if __name__ == "__main__":
    main()
