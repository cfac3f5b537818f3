"""The Digits CNN tab without a server: training in the trainer thread, the pictures it
redraws, the confusion cells, the drawing pad, and a filter handed to the convolution lab."""
from __future__ import annotations

import time

import numpy as np
import panel as pn

from playground.ui import PlaygroundApp
from playground.ui.digits_lab import DigitsLab, mosaic


def test_mosaic_tiles_and_scales():
    m = mosaic(np.stack([np.zeros((2, 2)), np.arange(4.0).reshape(2, 2)]), ncols=2)
    assert m.shape == (2, 5) and np.isnan(m[:, 2]).all()
    assert m[1, 4] == 1.0 and m[0, 3] == 0.0 and (m[:, :2] == 0).all()


def test_train_draw_and_hand_a_filter_over():
    app = PlaygroundApp(query="?tab=digits")
    app.stop()
    lab: DigitsLab = app.lab("digits")
    assert pn.panel(app).get_root() is not None
    lab.run.wait_ready()            # the default model, prepared on the compile thread
    lab.tick()
    before = np.array(lab.filters.source.data["image"][0])
    lab.play.value = True
    deadline = time.monotonic() + 120
    while lab.run.epoch < 3 and time.monotonic() < deadline:
        lab.tick()
        time.sleep(0.02)
    lab.play.value = False
    while lab._job is not None and time.monotonic() < deadline:
        lab.tick()
        time.sleep(0.02)
    lab.tick()
    assert lab.run.epoch >= 3 and len(lab.curves.data["epoch"]) == lab.run.epoch + 1
    after = np.array(lab.filters.source.data["image"][0])
    assert after.shape == before.shape and not np.allclose(after, before, equal_nan=True)
    assert lab.run.metrics()["test_accuracy"] > 0.5
    assert sum(lab.matrix.data["n"]) == len(lab.run.split.y_test)
    lab._selected_cell = (3, 3)
    lab._touch("mistakes")
    lab.tick()
    assert "true 3, predicted 3" in lab.mistakes_text.object
    lab.pad_cells[2:14, 6:8] = 1                    # fills whole 2×2 blocks: 16 each
    lab._touch("pad")
    lab.tick()
    assert lab.drawing().max() == 16 and abs(sum(lab.probs.data["p"]) - 1) < 1e-4
    assert "the network says" in lab.pad_text.object
    lab.filter_pick.value = 2
    lab.use_filter.clicks += 1
    assert app.active_tab == "convolution"
    conv = app.lab("convolution").lab.model
    np.testing.assert_allclose(conv.kernel(), lab.run.filters()[2], rtol=1e-6)
    assert conv.source == "digit" and "Learned filter 2" in app.lab("convolution").lab.note.object


def test_a_new_shape_compiles_off_the_callers_thread_and_the_tab_says_so():
    """Changing the CNN's shapes returns at once: the new programs compile on the compile
    thread while the tab shows what it is preparing; then it draws the new model."""
    lab = DigitsLab()
    lab.run.wait_ready()
    lab.tick()
    assert lab.filters.fig.title.text.startswith("first-layer filters (32 of 3×3)")
    lab.run.param.update(filters1=8, filters2=16, kernel_size=5)   # not compiled yet
    assert lab.run.preparing and lab.run.status == "preparing"
    lab.tick()
    assert "Preparing the CNN with 8 and 16 filters of 5×5" in lab.readout.object
    assert lab.progress.visible
    lab.use_filter.clicks += 1                       # no filters yet: nothing happens
    lab.run.wait_ready(timeout=300)
    lab.tick()
    assert lab.run.status == "ready" and lab.run.epoch == 0
    assert lab.filters.fig.title.text.startswith("first-layer filters (8 of 5×5)")
    assert "Preparing" not in lab.readout.object
    assert lab.run.train(1)["epoch"] == 1
    lab.run.batch_size = 16                          # its training program: not compiled yet
    lab.tick()
    assert "for batch size 16" in lab.readout.object and lab.run.epoch == 1
    lab.run.wait_ready(timeout=300)
    lab.tick()
    assert "Preparing" not in lab.readout.object and lab.run.programs_ready()


def test_a_fast_stroke_on_the_pad_leaves_no_gaps():
    """The browser reports a quick drag as points far apart: the pad inks the line between
    them, so a stroke across the pad is one unbroken line (a tap is one 2×2 dot)."""
    from bokeh.events import Pan, PanStart, Tap

    from playground.state.digits import PAD_SIDE, ink_stroke
    cells = np.zeros((PAD_SIDE, PAD_SIDE))
    ink_stroke(cells, (0.5, 8.5), (15.5, 8.5))                # left to right, one call
    assert cells[7:9].all() and cells.sum() == 2 * PAD_SIDE   # rows 7 and 8, every column
    cells[:] = 0
    ink_stroke(cells, None, (3.2, 3.7))                        # a dot
    assert cells.sum() == 4 and cells[12:14, 3:5].all()

    lab = DigitsLab()
    fig = lab.pad.fig
    lab._paint(PanStart(fig, x=1.5, y=14.5))
    lab._paint(Pan(fig, x=14.5, y=1.5))                       # a diagonal in one jump
    ink = lab.pad_cells
    assert all(ink[r].any() for r in range(1, 15)), "a row of the stroke has no ink"
    lab._paint(Tap(fig, x=1.5, y=1.5))                        # a tap after it: a dot,
    assert ink[14:16, 1:3].all()                              # not a line from the stroke
    assert not ink[14:16, 4:12].any()


def test_a_frame_never_waits_behind_an_epoch():
    """While an epoch computes in the trainer thread, a frame draws nothing that needs the
    device (the pad's prediction would queue behind the epoch, the event loop and every
    page's frames waiting with it): the pad's ink shows at once, the prediction once the
    epoch is done; the next epoch starts after that drawing."""
    import concurrent.futures
    lab = DigitsLab()
    lab.run.wait_ready()
    lab.tick()
    calls = []
    predict = lab.run.predict_proba
    lab.run.predict_proba = lambda images: (calls.append(len(images)), predict(images))[1]
    epoch = concurrent.futures.Future()       # an epoch computing (the trainer's job)
    lab._job = epoch
    lab.pad_cells[2:14, 6:8] = 1
    lab._touch("pad")
    lab.tick()
    assert calls == [] and lab.progress.visible
    assert np.nansum(lab.pad.source.data["image"][0]) > 0          # the ink is there
    epoch.set_result(lab.run.metrics())
    lab.tick()
    assert calls and abs(sum(lab.probs.data["p"]) - 1) < 1e-4
    assert lab._job is None and not lab.progress.visible
