"""Runner: owns the live training loop of one session.

While playing, a training thread of the session's own trains continuously and,
``fps`` times a second, snapshots a Scene into a one-slot mailbox. The thread
then wakes the event loop that shows the views (a served session's, at its
document's next tick, or a notebook kernel's), which publishes the newest
Scene; where no loop can be woken, a periodic callback looks for Scenes.
Training never runs on the event loop, the frame rate does not depend on how
long an iteration takes, and the training rate does not wait for the browser.
``iterations_per_frame`` caps the iterations between two frames (0: as many as
fit in ``TRAIN_SHARE`` of each frame interval).

Step actions (one D update, one G update, one iteration) and single frames run
in a worker thread too, one at a time; a frame that finds another still running
is skipped, an action the user asked for waits its turn.

Slow motion plays each iteration as GAN Lab's ten highlighted sub-steps, one
every ``slow_period`` ms: the discriminator trains at sub-step 5 and the
generator at sub-step 10.

``close()`` stops the callbacks; ticks that still arrive afterwards do nothing.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable

import panel as pn
import param

from ganlab_panel.engine.backends import compiled as kernels
from ganlab_panel.engine.trainer import Trainer
from ganlab_panel.live.history import History
from ganlab_panel.live.scene import Scene, compute_scene
from ganlab_panel.ui.document import Home, Waker, batch


@dataclass(frozen=True)
class SubStep:
    number: int
    network: str            # "d" or "g": whose half of the iteration
    components: tuple[str, ...]
    text: str


SLOW_STEPS: tuple[SubStep, ...] = (
    SubStep(1, "d", ("noise", "generator", "fake"),
            "The generator turns a batch of random noise into fake samples."),
    SubStep(2, "d", ("real", "fake", "discriminator", "pred_real", "pred_fake"),
            "The discriminator scores real and fake samples: green means it says “real”, purple “fake”."),
    SubStep(3, "d", ("d_loss",),
            "The discriminator's loss is low when real samples score near 1 and fake ones near 0."),
    SubStep(4, "d", ("d_grad",),
            "Backpropagation gives the gradient of that loss for every discriminator weight."),
    SubStep(5, "d", ("discriminator",),
            "The optimizer updates the discriminator (k_D times): its heatmap changes."),
    SubStep(6, "g", ("noise", "generator", "fake"),
            "The generator's turn: it makes fake samples from noise again."),
    SubStep(7, "g", ("fake", "discriminator", "pred_fake"),
            "The updated discriminator scores the fake samples."),
    SubStep(8, "g", ("g_loss",),
            "The generator's loss is low when the discriminator calls its samples real."),
    SubStep(9, "g", ("g_grad",),
            "The gradient flows back through the discriminator into the generator; "
            "the pink arrows show which way each fake sample is pulled."),
    SubStep(10, "g", ("generator",),
            "The optimizer updates the generator (k_G times): the fake samples and the manifold move."),
)

#: frames published per second while playing. The browser paints most of them
#: (some arrive within one of its animation frames and count once).
DEFAULT_FPS = 40

#: GAN Lab's training rate: one iteration per animation frame of a 60 Hz screen.
GANLAB_RATE = 60

#: presets of the speed control: label -> iterations per frame (0: as fast as possible).
SPEEDS = {
    "As fast as possible": 0,
    f"GAN Lab's pace ({GANLAB_RATE} it/s)": GANLAB_RATE / DEFAULT_FPS,
    "10 iterations per frame": 10,
    "50 iterations per frame": 50,
}

#: share of each frame interval the training thread trains for at full speed;
#: the rest of the core is left to publishing and to the browser drawing it.
TRAIN_SHARE = 0.4

#: how often (ms) the event loop looks for a new frame while playing, where it
#: cannot be woken from the training thread (play started off the main thread).
POLL_MS = 10

#: the longest (s) the training thread waits for its last frame to be published
#: before it trains on (the event loop is busy with other sessions).
MAX_PUBLISH_WAIT = 0.5

#: how far (iterations) a runner may get ahead of its partner while both play
LOCKSTEP_SLACK = 64

#: the slow-motion sub-steps of each step button: D's half, G's half, both
SLOW_RANGES = {"d": (1, 5), "g": (6, 10), "both": (1, 10)}

#: the longest (s) pausing waits for the training thread to stop.
MAX_STOP_WAIT = 2.0

#: while playing, the grid KL/JS are measured at most this often (s).
DIVERGENCE_INTERVAL = 0.2


class Runner(param.Parameterized):
    """Plays, pauses and steps one trainer, publishing Scenes to the views."""

    playing = param.Boolean(default=False, doc="Training is running.")
    slow = param.Boolean(default=False, doc="Play each iteration as ten highlighted sub-steps.")
    iterations_per_frame = param.Number(default=0, bounds=(0, 100_000),
                                        doc="Iterations trained between two frames (0: as many as fit); a "
                                            "fraction carries over to the next frames (1.5: 3 every 2 frames).")
    fps = param.Integer(default=DEFAULT_FPS, bounds=(1, 60), doc="Frames published per second while playing.")
    slow_period = param.Integer(default=1250, bounds=(10, 10_000), doc="Milliseconds per slow-motion sub-step.")
    substep = param.Integer(default=0, bounds=(0, 10), doc="The slow-motion sub-step on show (0: none).")
    busy = param.Boolean(default=False, doc="A tick or action is running in the worker.")
    frames_per_second = param.Number(default=0.0, doc="Frames published per second while playing (measured).")
    iterations_per_second = param.Number(default=0.0, doc="Iterations trained per second while playing (measured).")

    def __init__(self, trainer: Trainer, publish: Callable[[Scene], None],
                 scene_options: Callable[[], dict] | None = None,
                 notify: Callable[[str, str], None] | None = None, history: History | None = None,
                 before_training: Callable[[], None] | None = None, home: Home | None = None,
                 views_ready: Callable[[], bool] | None = None, **params):
        super().__init__(**params)
        self.trainer = trainer
        #: the event loop the views live on (callbacks and frames go there)
        self.home = home if home is not None else Home()
        #: the record frames are offered to (every frame made; it keeps what is due)
        self.history = history
        #: called on the event loop before play or a step trains (e.g. to resume
        #: from a rewound moment)
        self._before_training = before_training or (lambda: None)
        # live frames never wait for the compiled kernel: the NumPy path trains
        # until it is ready (a second or so; seconds the very first time)
        trainer.wait_for_compile = False
        kernels.warm_up()
        self._publish = publish
        #: whether the views can take a frame now (a notebook's browser may
        #: still be drawing the last one); ``views_caught_up`` says when
        self._views_ready = views_ready or (lambda: True)
        self._scene_options = scene_options or (lambda: {})
        self._notify = notify or (lambda text, level="info": None)
        self._callback = None
        self._closed = False
        self._stepping = False  # a slow-motion step is playing its sub-steps
        #: another runner to train in step with (Compare's other side): never
        #: more than LOCKSTEP_SLACK iterations ahead of it while both play
        self.partner: Runner | None = None
        self._lock: asyncio.Lock | None = None
        self._recent: list[tuple[float, int]] = []  # (time, iteration) of recent frames
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._mailbox: tuple[int, Scene] | None = None  # (sequence number, newest scene)
        self._published = 0
        #: wakes the event loop (the server session's, or a notebook kernel's)
        #: when a frame is ready; None: the loop polls for frames instead
        self._waker: Waker | None = None
        self._consumed = threading.Event()   # the newest frame has been published
        self._browser_behind = False         # the newest frame waits for the browser to draw
        self._chunk = 8            # iterations per training chunk, adapted to ~4 ms
        self._owed = 0.0           # the fraction of an iteration per frame carried over
        #: seconds spent while playing: training, making scenes, publishing; and frames
        self.timings = {"train": 0.0, "scene": 0.0, "publish": 0.0, "wait": 0.0, "frames": 0, "published": 0}

    # ------------------------------------------------------------ work
    def _work(self, action: Callable[[], None]) -> Scene:
        action()
        return self.scene()

    def scene(self, trainer: Trainer | None = None, force: bool = False, **options) -> Scene:
        """A Scene of where the trainer stands (the views' options, then
        ``options``), recorded in the history if a moment is due (or ``force``)."""
        trainer = self.trainer if trainer is None else trainer
        with trainer.lock:
            scene = compute_scene(trainer, **{**self._scene_options(), **options})
            if self.history is not None:
                self.history.record(trainer, scene.frame, force=force)
        return scene

    async def _run(self, action: Callable[[], None], wait: bool = False) -> Scene | None:
        """Run ``action`` and a snapshot in the worker; publish the Scene.

        A tick (``wait=False``) is skipped while other work runs; an action the
        user asked for (``wait=True``) waits its turn.
        """
        if self._closed or (not wait and self._guard.locked()):
            return None
        async with self._guard:
            if self._closed:
                return None
            self.busy = True
            try:
                scene = await asyncio.to_thread(self._work, action)
            finally:
                self.busy = False
            if self._closed:
                return None
            self._measure(scene.frame.iteration)
            self._publish(scene)
        if scene.frame.diverged:
            self.pause()
            self._notify(f"Training diverged at iteration {scene.frame.iteration}: a loss or weight became "
                         "NaN or infinite. Training is paused; press Reset, or lower the learning rates.", "danger")
        return scene

    @property
    def _guard(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def _measure(self, iteration: int) -> None:
        """Frame and iteration rates over the last two seconds of play."""
        now = time.perf_counter()
        if not self.playing:
            self._recent = []
            return
        self._recent = [(t, i) for t, i in self._recent if now - t < 2.0 and i <= iteration] + [(now, iteration)]
        if len(self._recent) >= 2:
            (t0, i0), (t1, i1) = self._recent[0], self._recent[-1]
            if t1 > t0:
                self.frames_per_second = (len(self._recent) - 1) / (t1 - t0)
                self.iterations_per_second = (i1 - i0) / (t1 - t0)

    async def refresh(self) -> Scene | None:
        """Publish the current state without training."""
        return await self._run(lambda: None, wait=True)

    def _frame_quota(self) -> int:
        """Iterations the next frame trains when capped (fractions carry over)."""
        self._owed += self.iterations_per_frame
        n = int(self._owed)
        self._owed -= n
        return n

    async def tick(self) -> Scene | None:
        """One frame of normal play."""
        n = self._frame_quota()
        return await self._run(lambda: self.trainer.train(n))

    async def slow_tick(self) -> Scene | None:
        """Advance one slow-motion sub-step (training at sub-steps 5 and 10)."""
        if self._closed or self._guard.locked():
            return None
        step = self.substep % 10 + 1
        if step == 5:
            scene = await self._run(self.trainer.train_discriminator)
        elif step == 10:
            scene = await self._run(self.trainer.train_generator)
        else:
            scene = None
        if not self._closed and (scene is not None or step not in (5, 10)):
            self.substep = step
        return scene

    @property
    def current_substep(self) -> SubStep | None:
        return SLOW_STEPS[self.substep - 1] if self.substep else None

    # ----------------------------------------------------- live training
    def _train_loop(self, stop: threading.Event) -> None:
        """The training thread: train, snapshot a Scene per frame, repeat."""
        trainer = self.trainer
        seq = 0
        next_frame = time.perf_counter()
        last_divergences = 0.0
        while not stop.is_set():
            interval = 1.0 / self.fps
            capped = self.iterations_per_frame > 0
            try:
                self._await_publish(stop, train=not capped)
                limit = self._frame_quota() if capped else 0
                start = time.perf_counter()
                done = 0
                while not stop.is_set():
                    if capped:
                        n = min(limit - done, max(1, self._chunk))
                        if n <= 0:
                            break
                    else:
                        if time.perf_counter() - start >= interval * TRAIN_SHARE:
                            break
                        n = self._chunk
                    n = self._in_step(n)
                    if n == 0:                  # ahead of the partner: let it catch up
                        if time.perf_counter() - start >= interval * TRAIN_SHARE:
                            break
                        stop.wait(0.002)
                        continue
                    self._train_chunk(n)
                    done += n
                t0 = time.perf_counter()
                # the charts follow at a few frames a second: measure KL/JS as often
                fresh = t0 - last_divergences >= DIVERGENCE_INTERVAL
                if fresh:
                    last_divergences = t0
                scene = self.scene(trainer, divergences=fresh)
                self.timings["scene"] += time.perf_counter() - t0
                self.timings["frames"] += 1
            except Exception as exc:  # a broken trainer must not kill the session silently
                self._mailbox = (seq + 1, exc)
                self._wake()
                return
            if stop.is_set():
                return  # paused meanwhile: a later play has its own mailbox
            seq += 1
            self._consumed.clear()
            self._mailbox = (seq, scene)
            self._wake()
            if scene.frame.diverged:
                return
            next_frame += interval
            wait = next_frame - time.perf_counter()
            if wait > 0:
                self.timings["wait"] += wait
                stop.wait(wait)
            else:
                next_frame = time.perf_counter()

    def _in_step(self, n: int) -> int:
        """How many of ``n`` iterations may be trained now: all of them, or,
        in step with a ``partner`` runner, no more than LOCKSTEP_SLACK ahead of it."""
        partner = self.partner
        if partner is None or partner.trainer is None or not partner.playing:
            return n
        ahead = self.trainer.iteration - partner.trainer.iteration
        return max(0, min(n, LOCKSTEP_SLACK - ahead))

    def _train_chunk(self, n: int) -> float:
        """Train ``n`` iterations; the seconds it took."""
        t0 = time.perf_counter()
        self.trainer.train(n)
        spent = time.perf_counter() - t0
        self.timings["train"] += spent
        # keep chunks near 4 ms: short enough to stop or change settings promptly
        self._chunk = int(min(max(1, n * 0.004 / max(spent, 1e-6)), 5000))
        return spent

    def _await_publish(self, stop: threading.Event, train: bool) -> None:
        """Back-pressure: wait (up to MAX_PUBLISH_WAIT) until the last frame is on
        its way to the browser. When the event loop is the bottleneck (many
        sessions on few cores), training threads then yield it the CPU instead
        of making frames nobody sees. When the loop is free but the browser is
        still drawing (a notebook: see ``views_ready``), training goes on
        meanwhile (if ``train``), for the usual share of the time."""
        if self._mailbox is None or self._consumed.is_set() or stop.is_set():
            return
        t0 = time.perf_counter()
        deadline = t0 + MAX_PUBLISH_WAIT
        trained = 0.0
        while not self._consumed.is_set() and not stop.is_set():
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            if train and self._browser_behind:
                spent = self._train_chunk(self._chunk)
                trained += spent
                self._consumed.wait(min(left, spent * (1 - TRAIN_SHARE) / TRAIN_SHARE))
            else:
                self._consumed.wait(left)  # pausing sets it too
        self.timings["wait"] += time.perf_counter() - t0 - trained

    def _wake(self) -> None:
        """From the training thread: have the event loop publish the mailbox
        (with no loop to wake, the periodic callback polls for it)."""
        waker = self._waker
        if waker is not None:
            waker.wake()

    def _woken(self) -> None:
        if self.playing and not self.slow:
            self._poll()

    def views_caught_up(self) -> None:
        """From any thread: the views have drawn what they were sent, so the
        newest frame can go."""
        self._wake()

    def _poll(self) -> None:
        """On the event loop: publish the newest Scene, if there is a new one."""
        mail = self._mailbox
        if mail is None or self._closed or mail[0] == self._published:
            return
        if not isinstance(mail[1], Exception) and not self._views_ready():
            self._browser_behind = True
            return  # the browser is still drawing: the newest frame goes when it is done
        self._browser_behind = False
        self._published, scene = mail
        if isinstance(scene, Exception):
            self.pause()
            self._notify(f"Training stopped: {scene}", "danger")
            return
        self._measure(scene.frame.iteration)
        t0 = time.perf_counter()
        try:
            self._publish(scene)
        finally:
            self._consumed.set()
        self.timings["publish"] += time.perf_counter() - t0
        self.timings["published"] += 1
        if scene.frame.diverged:
            self.pause()
            self._notify(f"Training diverged at iteration {scene.frame.iteration}: a loss or weight became "
                         "NaN or infinite. Training is paused; press Reset, or lower the learning rates.", "danger")

    def _start_live(self) -> None:
        self._stop = threading.Event()
        self._mailbox = None
        self._published = 0
        self._consumed.set()
        self._waker = self.home.waker(self._woken)
        self._thread = threading.Thread(target=self._train_loop, args=(self._stop,), name="ganlab-training",
                                        daemon=True)
        self._thread.start()

    def _stop_live(self) -> None:
        """Stop the training thread and wait for it: once this returns, the
        trainer stands still (a chunk takes ~4 ms; a Scene at most tens)."""
        self._stop.set()
        self._consumed.set()
        thread, self._thread = self._thread, None
        self._waker = None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=MAX_STOP_WAIT)

    # --------------------------------------------------------- controls
    def _ensure_callback(self):
        if self._callback is None:
            self._callback = pn.state.add_periodic_callback(self._on_period, period=self._period(), start=False)
        return self._callback

    def _period(self) -> int:
        # while playing without a server session, look for a new frame often
        return self.slow_period if self.slow else POLL_MS

    @property
    def _polling(self) -> bool:
        """Whether the periodic callback is needed: slow motion, or live play that cannot be woken."""
        return self.slow or self._waker is None

    async def _on_period(self):
        if self.slow:
            await self.slow_tick()
        else:
            self._poll()

    def _sync_callback(self) -> None:
        """Run the periodic callback, at the right period, only while it is needed."""
        if not self.home.here:
            self.home.run(self._sync_callback)  # the callback runs on the home loop
            return
        wanted = self.playing and self._polling and not self._closed
        if self._callback is None and not wanted:
            return
        callback = self._ensure_callback()
        # restart it explicitly: a running callback does not reliably take a new period
        if callback.running and (not wanted or callback.period != self._period()):
            callback.stop()
        callback.period = self._period()
        if wanted and not callback.running:
            callback.start()

    @param.depends("fps", "slow", "slow_period", watch=True)
    def _retime(self):
        if self.playing:
            self._stop_live()
            if not self.slow:
                self._start_live()
        self._sync_callback()

    @param.depends("slow", watch=True)
    def _slow_changed(self):
        if not self.slow:
            self.substep = 0

    def play(self) -> None:
        if self._closed or self.playing:
            return
        self._before_training()
        self.playing = True
        if not self.slow:
            self._start_live()
        self._sync_callback()

    def pause(self) -> None:
        if self.playing and os.environ.get("GANLAB_TIMINGS"):
            t = self.timings
            frames = max(t["frames"], 1)
            print(f"ganlab timings: {t['frames']} frames made, {t['published']} published; per frame made: "
                  f"train {1000 * t['train'] / frames:.1f} ms, scene {1000 * t['scene'] / frames:.1f} ms, "
                  f"wait {1000 * t['wait'] / frames:.1f} ms; publish {1000 * t['publish'] / max(t['published'], 1):.1f}"
                  f" ms per frame published", flush=True)
        self._stop_live()
        # the Play label and the views' last frame reach the browser as one update
        # (separately, the label could show while the counter still told of a
        # moment before the pause)
        with batch():
            self.playing = False
        self._recent = []
        self._sync_callback()

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    async def step_d(self) -> Scene | None:
        """One discriminator update (pauses play first, as GAN Lab does)."""
        self.pause()
        self._before_training()
        return await self._run(self.trainer.step_d, wait=True)

    async def step_g(self) -> Scene | None:
        self.pause()
        self._before_training()
        return await self._run(self.trainer.step_g, wait=True)

    async def step(self) -> Scene | None:
        """One full iteration."""
        self.pause()
        self._before_training()
        return await self._run(lambda: self.trainer.train(1), wait=True)

    async def step_slowly(self, kind: str) -> Scene | None:
        """A step as slow motion shows it: its own sub-steps (``"d"``: 1-5,
        ``"g"``: 6-10, ``"both"``: 1-10), ``slow_period`` apart, training at
        sub-step 5 and 10. A D or G step is one update counted as an iteration
        (``step_d``/``step_g``); a whole iteration is k_D and k_G updates."""
        if self._stepping:
            return None
        self.pause()
        self._before_training()
        first, last = SLOW_RANGES[kind]
        train = {5: self.trainer.step_d if kind == "d" else self.trainer.train_discriminator,
                 10: self.trainer.step_g if kind == "g" else self.trainer.train_generator}
        scene = None
        self._stepping = True
        try:
            for step in range(first, last + 1):
                if self._closed or self.playing:
                    return scene
                if step in train:
                    scene = await self._run(train[step], wait=True) or scene
                if self.slow:
                    self.substep = step
                    await asyncio.sleep(self.slow_period / 1000)
            if not self.playing and not self._closed:
                self.substep = 0
        finally:
            self._stepping = False
        return scene

    async def reset(self) -> Scene | None:
        self.pause()
        self.substep = 0
        return await self._run(self.trainer.reset, wait=True)

    def close(self) -> None:
        """Stop for good: no more ticks, no more publishing."""
        self._closed = True
        self.pause()
        if self._callback is not None:
            try:
                self._callback.stop()
            except Exception:  # the session's loop may already be gone
                pass
            self._callback = None
