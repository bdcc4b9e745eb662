"""What notebook users see: progress on stderr, Keras's one line per epoch with verbose=2, a
plot that leaves matplotlib's backend alone, live curves."""
import matplotlib

import brique
from brique import datasets, nn
from brique.train import LivePlot, fit
from brique.utils.data import DataLoader


def small_fit(**kwargs):
    brique.manual_seed(0)
    train = DataLoader(datasets.load("moons", n_samples=128), batch_size=32, shuffle=True)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    return fit(model, train, epochs=3, optimizer=brique.optim.Adam(model.parameters()),
               loss="cross_entropy", metrics=["accuracy"], **kwargs)


def test_verbose_2_prints_one_line_per_epoch_on_stdout(capsys):
    small_fit(verbose=2)
    out, err = capsys.readouterr()
    assert [line.split()[:2] for line in out.strip().splitlines()] == [
        ["epoch", "1/3"], ["epoch", "2/3"], ["epoch", "3/3"]]
    assert err == ""


def test_progress_bars_go_to_stderr(capsys):
    small_fit(verbose=1)
    out, err = capsys.readouterr()
    assert out == "" and "epoch 3/3" in err


def test_plot_keeps_the_backend(tmp_path):
    before = matplotlib.get_backend()
    history = small_fit(verbose=0)
    fig = history.plot(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").exists() and matplotlib.get_backend() == before
    assert len(fig.axes) == 2


def test_live_plot_redraws_each_epoch(tmp_path):
    seen = []

    class Spy(LivePlot):
        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            seen.append(len(self.state.history.epoch))

    small_fit(verbose=0, callbacks=[Spy(path=tmp_path / "live.png")])
    assert seen == [1, 2, 3] and (tmp_path / "live.png").exists()
