"""Tests check numbers, not speed: one BLAS thread keeps them fast and steady on a machine
whose cores are shared (two OpenBLAS threads competing with another process make small
matrix products tens of times slower)."""
import brique

brique.set_num_threads(1)
