"""Data-parallel training throughput on MPI: samples per second of an MLP and LeNet-5 on
MNIST-sized batches with 1 and 2 ranks, the all-reduce time per step, the scaling efficiency,
and a paper estimate for 8 and 64 ranks from the measured all-reduce cost and step time.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/distributed.py

Each configuration runs in its own `mpiexec` job (weak scaling: 64 images per rank per step).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PER_RANK, STEPS, WARMUP = 64, 30, 5


def build(name):
    from brique import nn
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def worker(name, threads):
    """One rank: time STEPS training steps, then the all-reduce of one step's gradients alone."""
    import brique
    import brique.distributed as dist
    from brique import nn, optim
    brique.set_num_threads(threads)
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    brique.manual_seed(0)
    model = build(name)
    net = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(rank)
    x = brique.tensor(rng.random((PER_RANK, 1, 28, 28), dtype=np.float32))
    y = brique.tensor(rng.integers(0, 10, PER_RANK))
    for step in range(WARMUP + STEPS):
        if step == WARMUP:
            dist.barrier()
            start = time.perf_counter()
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    dist.barrier()
    elapsed = time.perf_counter() - start
    n = sum(p.numel() for p in model.parameters())
    grads = brique.zeros(n)
    times = []
    for _ in range(30):
        dist.barrier()
        t0 = time.perf_counter()
        dist.all_reduce(grads)
        times.append(time.perf_counter() - t0)
    small = brique.zeros(1)
    lat = []
    for _ in range(30):
        dist.barrier()
        t0 = time.perf_counter()
        dist.all_reduce(small)
        lat.append(time.perf_counter() - t0)
    if rank == 0:
        print(json.dumps({"step": elapsed / STEPS, "samples_per_s": world * PER_RANK * STEPS
                          / elapsed, "allreduce": float(np.median(times)),
                          "latency": float(np.median(lat)), "bytes": 4 * n}))


def launch(name, ranks, threads):
    mpiexec = shutil.which("mpiexec", path=os.pathsep.join(
        [os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    out = subprocess.run([mpiexec, "-n", str(ranks), sys.executable, __file__, "--worker", name,
                          "--threads", str(threads)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def estimate(step, allreduce_bytes, bandwidth, latency, ranks):
    """Efficiency of P ranks with a ring all-reduce (2 (P-1)/P of the bytes cross each link,
    2 (P-1) latency hops), communication not overlapped with compute (a lower bound)."""
    comm = 2 * (ranks - 1) / ranks * allreduce_bytes / bandwidth + 2 * (ranks - 1) * latency
    return comm, step / (step + comm)


def main():
    sys.path.insert(0, HERE)
    from common import blas_info, machine, write_section
    rows = ["| model | ranks x threads | samples/s | step | all-reduce / step | efficiency |",
            "|---|---|---|---|---|---|"]
    notes = []
    for name, label in (("mlp", "MLP 784-256-10"), ("lenet", "LeNet-5")):
        one = launch(name, 1, 1)
        one2 = launch(name, 1, 2)
        two = launch(name, 2, 1)
        eff = two["samples_per_s"] / (2 * one["samples_per_s"])
        for tag, r, e in (("1 x 1", one, "-"), ("1 x 2", one2, "-"), ("2 x 1", two, f"{eff:.0%}")):
            rows.append(f"| {label} | {tag} | {r['samples_per_s']:.0f} | {r['step'] * 1e3:.1f} ms"
                        f" | {two['allreduce'] * 1e3 if tag == '2 x 1' else 0:.2f} ms | {e} |")
        bandwidth = two["bytes"] / max(two["allreduce"] - two["latency"], 1e-9)
        for p in (8, 64):
            for where, bw, lat in (("shared memory (measured)", bandwidth, two["latency"]),
                                   ("10 Gb/s Ethernet (assumed 1.1 GB/s, 30 us)", 1.1e9, 30e-6)):
                comm, e = estimate(one["step"], two["bytes"], bw, lat, p)
                notes.append(f"- {label}, {p} ranks over {where}: all-reduce of "
                             f"{two['bytes'] / 1e6:.2f} MB ~ {comm * 1e3:.2f} ms per "
                             f"{one['step'] * 1e3:.1f} ms step -> efficiency ~ {e:.0%}")
    command = "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/distributed.py"
    head = [f"Command: `{command}`", "", f"Measured on {machine()}; " + "; ".join(blas_info()),
            "", f"Weak scaling: {PER_RANK} images per rank per step, SGD momentum, mean over "
            f"{STEPS} steps after {WARMUP} warm-up steps. Efficiency = samples/s of 2 ranks / "
            "(2 x samples/s of 1 rank on 1 thread).", ""]
    estimate_head = ["", "Paper estimate (ring all-reduce, no overlap: a lower bound), from the "
                     "measured 1-rank step time and 2-rank all-reduce:"]
    write_section("distributed", head + rows + estimate_head + notes)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, os.path.join(HERE, ".."))
        worker(args.worker, args.threads)
    else:
        main()
