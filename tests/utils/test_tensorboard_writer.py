"""SummaryWriter's event files read back by TensorBoard's own reader (the tensorboard package,
in the test extra): scalars, scalar groups, histograms, images, text and the graph."""
import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import brique
from brique.utils import _events
from brique.utils.tensorboard import SummaryWriter


def _read(path):
    acc = EventAccumulator(str(path), size_guidance={"tensors": 0, "scalars": 0,
                                                     "histograms": 0, "images": 0})
    acc.Reload()
    return acc


def test_crc32c_of_known_vectors():
    assert _events.crc32c(b"123456789") == 0xE3069283  # the standard check value
    assert _events.crc32c(b"") == 0


def test_scalars_histograms_images_and_text_read_back(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalar("loss/train", brique.tensor(1.0 / (step + 1)), step)
        values = np.random.default_rng(0).standard_normal(1000)
        w.add_histogram("weights", brique.tensor(values), 7)
        w.add_histogram("uniform", values, 8, bins=10)
        w.add_image("digit", np.random.default_rng(1).random((3, 5, 4)), 2)
        w.add_images("batch", brique.rand(4, 1, 6, 6), 3)
        w.add_text("note", "hello *board*", 1)
    acc = _read(tmp_path)
    scalars = acc.Scalars("loss/train")
    assert [s.step for s in scalars] == [0, 1, 2]
    np.testing.assert_allclose([s.value for s in scalars], [1, 0.5, 1 / 3], rtol=1e-6)
    h = acc.Histograms("weights")[0]
    assert h.step == 7 and h.histogram_value.num == 1000
    assert sum(h.histogram_value.bucket) == 1000
    np.testing.assert_allclose(h.histogram_value.sum, values.sum())
    assert sum(acc.Histograms("uniform")[0].histogram_value.bucket) == 1000
    img = acc.Images("digit")[0]
    assert (img.height, img.width, img.step) == (5, 4, 2)
    assert img.encoded_image_string.startswith(b"\x89PNG")
    assert (acc.Images("batch")[0].height, acc.Images("batch")[0].width) == (12, 12)
    text = acc.Tensors("note/text_summary")[0]
    assert text.tensor_proto.string_val == [b"hello *board*"]


def test_png_pixels_decode_to_what_was_written(tmp_path):
    from PIL import Image
    import io
    pixels = (np.arange(2 * 3 * 3) * 9).astype(np.uint8).reshape(2, 3, 3)
    with SummaryWriter(tmp_path) as w:
        w.add_image("px", pixels, 0, dataformats="HWC")
    png = _read(tmp_path).Images("px")[0].encoded_image_string
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))), pixels)


def test_add_scalars_writes_one_run_per_key(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalars("acc", {"train": 0.5, "val": 0.25}, 1)
    assert _read(tmp_path / "acc_val").Scalars("acc")[0].value == 0.25


def test_graph_has_the_ops_and_parameters(tmp_path):
    model = brique.nn.Sequential(brique.nn.Linear(3, 4), brique.nn.ReLU(),
                                 brique.nn.Linear(4, 2))
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, brique.zeros(1, 3))
    graph = _read(tmp_path).Graph()
    names = {n.name: n for n in graph.node}
    assert "Sequential/0.weight" in names and "input/0" in names and "output/0" in names
    ops = [n.op for n in graph.node]
    assert ops.count("Linear") == 2 and "Relu" in ops
    first = next(n for n in graph.node if n.op == "Linear")
    assert "input/0" in first.input and "Sequential/0.weight" in first.input


def test_bad_values_are_refused_by_name(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match="scalar value.*\\(2,\\)"):
            w.add_scalar("x", np.zeros(2))
        with pytest.raises(ValueError, match="dataformats"):
            w.add_image("x", np.zeros((2, 3)), dataformats="CHW")
        with pytest.raises(ValueError, match="NaN"):
            w.add_histogram("x", np.array([np.nan]))
    with pytest.raises(RuntimeError, match="closed"):
        w.add_scalar("x", 1.0)
