"""What makes the app live in a notebook, without a browser: frames go out only
as fast as the browser takes them, the browser's echoes of the plots' data are
dropped, clicks that arrive on another thread are brought back to the kernel's
loop, and GANLab takes the same keyword settings as Trainer."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import panel as pn
import pytest
from bokeh.document import Document
from bokeh.models import ColumnDataSource, Slider

from ganlab_panel import ExperimentConfig, GANLab, Trainer
from ganlab_panel.ui import document
from ganlab_panel.ui.document import EDITABLE, Home, Root
from ganlab_panel.ui.notebook_flow import STALE_AFTER
from ganlab_panel.ui.runner import Runner


def rendered_root(**params):
    """A Root with a plot's data source and a widget, rendered into a document."""
    plain, editable = ColumnDataSource(data={"x": [0.5]}), ColumnDataSource(data={"x": [0.5]}, tags=[EDITABLE])
    slider = pn.widgets.FloatSlider(start=0, end=1, value=0.5)
    root = Root(pn.pane.Bokeh(plain_plot(plain, editable)), slider, **params)
    doc = Document()
    model = root.get_root(doc)
    doc.add_root(model)
    return root, model, plain, editable, slider


def plain_plot(*sources):
    from bokeh.plotting import figure

    fig = figure(width=100, height=100)
    for source in sources:
        fig.scatter("x", "x", source=source)
    return fig


def message(*events):
    return {"content": {"events": list(events)}}


def changed(model, attr, new):
    return {"kind": "ModelChanged", "model": {"id": model.id}, "attr": attr, "new": new}


def answer(beacon, number, late):
    """What the browser sends when it applied batch ``number`` (late or not)."""
    return message(changed(beacon, "name", f"ganlab-applied:{number}:{int(late)}:1"))


def test_frames_flow_until_the_browser_says_they_come_late():
    root, model, *_ = rendered_root()
    ref = model.ref["id"]
    assert root.caught_up()                    # nothing sent yet
    for _ in range(40):
        beacon = root.stamp(model)
    assert root.caught_up()                    # the browser said nothing: it takes them in time
    assert root.take_echoes(ref, answer(beacon, 30, late=True)) is False
    assert not root.caught_up()                # batch 30 waited behind others: hold the next ones
    assert root.take_echoes(ref, answer(beacon, 35, late=True)) is False
    assert not root.caught_up()
    assert root.take_echoes(ref, answer(beacon, 38, late=False)) is True
    assert root.caught_up()                    # they come in time again


def test_a_late_browser_that_applied_every_batch_is_caught_up():
    root, model, *_ = rendered_root()
    for _ in range(5):
        beacon = root.stamp(model)
    root.take_echoes(model.ref["id"], answer(beacon, 5, late=True))
    assert root.caught_up()


def test_batches_carry_their_number_and_when_they_went():
    root, model, *_ = rendered_root()
    first, second = root.stamp(model).tags[0], root.stamp(model).tags[0]
    (n1, t1), (n2, t2) = (tag.removeprefix("ganlab-sent:").split(":") for tag in (first, second))
    assert (int(n1), int(n2)) == (1, 2) and float(t2) >= float(t1) > 0


def test_an_output_that_stopped_answering_is_not_waited_for():
    root, model, *_ = rendered_root()
    for _ in range(10):
        beacon = root.stamp(model)
    root.take_echoes(model.ref["id"], answer(beacon, 2, late=True))
    assert not root.caught_up()
    assert not root.caught_up(now=time.monotonic() + STALE_AFTER / 2)
    assert root.caught_up(now=time.monotonic() + STALE_AFTER + 1)    # no word for that long: not waited for


class RecordingComm:
    """Stands in for a notebook output's comm: keeps what Panel sends."""

    def __init__(self):
        self._comm = True
        self.sent = []

    def send(self, data=None, buffers=()):
        self.sent.append(data)


def test_a_frame_reaches_a_notebook_output_as_one_message_the_browser_can_read():
    import numpy as np
    from bokeh.core.serialization import Deserializer

    root, model, plain, *_ = rendered_root()
    doc = model.document
    comm = RecordingComm()
    doc.models.flush_synced()                 # the output was drawn: the browser has every model
    doc.hold()
    pn.state._views[model.ref["id"]] = (root, model, doc, comm)
    try:
        x = np.linspace(0, 1, 1000, dtype=np.float32)
        with document.batch():
            plain.data = {"x": x}
    finally:
        del pn.state._views[model.ref["id"]]
    header, metadata, content = (json.loads(part) for part in comm.sent)   # Panel's three parts: one message
    assert header["msgtype"] == "PATCH-DOC"
    events = content["events"]
    changed_data = [e for e in events if e.get("model", {}).get("id") == plain.id]
    assert changed_data and set(changed_data[0]["model"]) == {"id"}      # the plot's source by reference only
    sent_x = Deserializer(references=list(doc.models)).decode(changed_data[0])["data"]["x"]
    assert np.array_equal(np.asarray(sent_x), x)                          # the frame's numbers, exactly
    stamp = [e for e in events if e.get("attr") == "tags"]
    assert stamp and stamp[0]["new"][0].startswith("ganlab-sent:1:")      # numbered, with when it went


def test_echoes_of_plot_data_are_dropped_and_the_browsers_own_changes_kept():
    root, model, plain, editable, _ = rendered_root()
    ref = model.ref["id"]
    widget = model.select_one({"type": Slider})
    events = [changed(plain, "data", {"x": [0.9]}),
              {"kind": "ColumnsPatched", "model": {"id": plain.id}, "attr": "data", "patches": {}},
              changed(editable, "data", {"x": [0.1]}),
              changed(widget, "value", 0.25)]
    msg = message(*events)
    assert root.take_echoes(ref, msg) is False            # no answer about batches in it
    kept = msg["content"]["events"]
    assert events[2] in kept and events[3] in kept        # a drawing tool's data, a widget's value
    assert events[0] not in kept and events[1] not in kept


def test_a_click_on_another_thread_runs_on_the_kernels_loop():
    ran_on = []

    async def main():
        home = Home()                         # made on the loop's thread, as a cell runs
        assert home.here
        done = asyncio.Event()

        def action():
            ran_on.append(threading.current_thread())
            done.set()

        def click():                          # a comm message on a subshell's thread
            assert not home.here
            home.run(action)

        threading.Thread(target=click).start()
        await asyncio.wait_for(done.wait(), 10)

    asyncio.run(main())
    assert ran_on == [threading.main_thread()]


def test_frames_wait_until_the_browser_has_drawn_the_last_ones():
    ready = threading.Event()
    published = []

    async def until(condition, timeout=60.0):
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    async def main():
        trainer = Trainer(seed=0)
        runner = Runner(trainer, publish=published.append, views_ready=ready.is_set)
        runner.play()
        await until(lambda: runner.timings["frames"] >= 3)   # frames were made...
        held, made, trained = len(published), runner.timings["frames"], trainer.iteration
        ready.set()
        runner.views_caught_up()              # the browser said it caught up
        await until(lambda: len(published) > 2)
        runner.pause()
        runner.close()
        trainer.close()
        return held, made, trained

    held, made, trained = asyncio.run(main())
    assert made >= 3 and held == 0            # ...but none went while the browser was behind,
    assert trained > 0                        # training went on meanwhile,
    assert len(published) > 2                 # and then frames flowed again


@pytest.fixture
def close_after():
    labs = []
    yield labs.append
    for lab in labs:
        lab.close()


def test_ganlab_takes_the_same_keyword_settings_as_trainer(close_after):
    lab = GANLab(distribution="ring", d_lr=0.03)
    close_after(lab)
    assert lab.config.distribution == "ring" and lab.config.d_lr == 0.03
    assert lab.trainer.iteration == 10_000              # the ring's pretrained model, with the hot setting
    shaped = GANLab(distribution="ring", g_neurons=6, seed=3)
    close_after(shaped)
    assert (shaped.trainer.iteration, shaped.config.g_neurons, shaped.config.seed) == (0, 6, 3)  # as typed


def test_keyword_settings_apply_over_a_config_without_changing_it(close_after):
    config = ExperimentConfig(distribution="line", seed=4)
    lab = GANLab(config, k_d=3, use_pretrained=False)
    close_after(lab)
    assert (lab.config.k_d, lab.config.seed, config.k_d) == (3, 4, ExperimentConfig().k_d)   # GAN Lab's 2


def test_a_bad_keyword_setting_is_refused_as_trainer_refuses_it():
    with pytest.raises(ValueError) as from_trainer:
        Trainer(d_lr=-1.0)
    with pytest.raises(ValueError) as from_lab:
        GANLab(d_lr=-1.0)
    assert str(from_lab.value) == str(from_trainer.value)
