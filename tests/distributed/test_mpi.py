"""Data-parallel training under a real `mpiexec -n 2`: the same weights as one process on the
doubled batch; a failing rank ends the job; mismatched models are refused."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py")
MPIEXEC = shutil.which("mpiexec", path=f"{Path(sys.executable).parent}{os.pathsep}"
                                        f"{os.environ.get('PATH', '')}")
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec (pip install mpich)")
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import worker  # noqa: E402

ROOT = HERE.parent.parent


def mpirun(scenario, out, n=2, timeout=120):
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    return subprocess.run([MPIEXEC, "-n", str(n), sys.executable, str(HERE / "worker.py"),
                           scenario, str(out)], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("scenario", ["sgd", "adam", "sgd-accumulate", "adam-accumulate",
                                      "syncbn"])
def test_two_ranks_equal_one_process_on_the_doubled_batch(scenario, tmp_path):
    result = mpirun(scenario, tmp_path / "w.npz")
    assert result.returncode == 0, result.stderr
    got, want = np.load(tmp_path / "w.npz"), worker.run(scenario, 1)
    assert sorted(got.files) == sorted(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=0, atol=1e-9, err_msg=name)


def test_collectives_on_two_ranks(tmp_path):
    result = mpirun("collectives", tmp_path / "c.npz")
    assert result.returncode == 0, result.stderr
    got = np.load(tmp_path / "c.npz")
    expect = {"sum": [3, 9, 4], "avg": [1.5, 4.5, 2], "product": [2, 20, 4], "min": [1, 4, 2],
              "max": [2, 5, 2], "strided": [[3, 6], [12, 15]], "broadcast": [1, 1],
              "all_gather": [[10, 10], [11, 11]], "reduce_scatter": [3, 3, 3],
              "objects": [0, 1]}
    for name, value in expect.items():
        np.testing.assert_array_equal(got[name], value, err_msg=name)


def test_a_raising_rank_ends_every_rank_quickly(tmp_path):
    start = time.perf_counter()
    result = mpirun("raise", tmp_path / "x.npz", timeout=60)
    assert result.returncode != 0
    assert "rank 1 fails on purpose" in result.stderr + result.stdout
    assert time.perf_counter() - start < 30


def test_different_models_are_refused_at_construction(tmp_path):
    result = mpirun("mismatch", tmp_path / "x.npz", timeout=60)
    assert result.returncode != 0
    assert "every rank must build the same model" in result.stderr + result.stdout


def test_brique_train_nproc_2(tmp_path):
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               PATH=f"{Path(MPIEXEC).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run([sys.executable, "-m", "brique.cli", "train", "mlp", "--epochs", "1",
                             "--nproc", "2", "--quiet", "--out", str(tmp_path)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("test accuracy") == 1  # rank 0 alone reports
    accuracy = float(result.stdout.split("test accuracy:")[1].split()[0])
    assert accuracy > 0.8
    assert (tmp_path / "mlp-mnist-5k" / "checkpoint.npz").exists()
