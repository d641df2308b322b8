"""TrainingWorker: trains one trainer off the event loop and hands over frames.

While live play runs, a thread of the worker's own trains continuously and,
``fps`` times a second, snapshots a Scene into a one-slot mailbox, then calls
``wake`` so that whoever shows the frames comes for it (``take``). The frame
rate does not depend on how long an iteration takes, and the training rate
does not wait for the browser: while a frame waits to be shown, training goes
on for its usual share of the time. How large that share is, and how often
frames come, the process's :class:`~ganlab_panel.live.governor.Governor`
says, so that the sessions playing in one process share its CPU fairly.

The worker also knows what one frame trains (``frame_quota``: a fraction of an
iteration per frame carries over), what each slow-motion sub-step trains
(``slow_update``), and how far it may run ahead of a partner's trainer
(Compare's other side: ``LOCKSTEP_SLACK``).

Plain threads, no event loop of its own and no Panel: the trainer's lock keeps
two threads from training one model at once. ``ui.runner.Runner`` plays,
pauses and steps with it and publishes its frames to the views.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Protocol

from ganlab_panel.engine.backends import compiled as kernels
from ganlab_panel.engine.trainer import Trainer
from ganlab_panel.live.governor import GOVERNOR, Governor
from ganlab_panel.live.history import History
from ganlab_panel.live.scene import Scene, compute_scene

#: frames made per second while playing. The browser paints most of them
#: (some arrive within one of its animation frames and count once).
DEFAULT_FPS = 40

#: the longest (s) the training thread waits for its last frame to be taken
#: before it trains on (the event loop is busy with other sessions).
MAX_PUBLISH_WAIT = 0.5

#: how far (iterations) a worker may get ahead of its partner while both play
LOCKSTEP_SLACK = 64

#: the longest (s) stopping waits for the training thread to end.
MAX_STOP_WAIT = 2.0

#: while playing, the grid KL/JS are measured at most this often (s).
DIVERGENCE_INTERVAL = 0.2

#: the rates shown while playing are measured over this long (s)
RATE_WINDOW = 2.0

#: slow motion plays an iteration as this many sub-steps; the discriminator
#: trains at D_SUBSTEP, the generator at G_SUBSTEP
SUBSTEPS, D_SUBSTEP, G_SUBSTEP = 10, 5, 10

#: the slow-motion sub-steps of each step button: D's half, G's half, both
SLOW_RANGES = {"d": (1, D_SUBSTEP), "g": (D_SUBSTEP + 1, G_SUBSTEP), "both": (1, SUBSTEPS)}

#: iterations per training chunk at the start; then adapted to ~4 ms a chunk
FIRST_CHUNK = 8
CHUNK_SECONDS = 0.004
MAX_CHUNK = 5000


class Rates:
    """Frames and iterations per second over the last RATE_WINDOW seconds of
    frames shown."""

    def __init__(self):
        self._recent: list[tuple[float, int]] = []   # (time, iteration) of recent frames

    def clear(self) -> None:
        self._recent = []

    def add(self, iteration: int, now: float | None = None) -> tuple[float, float] | None:
        """A frame of ``iteration`` was shown (at ``now``, ``time.perf_counter()``):
        the frame and iteration rates, or None until two frames tell."""
        now = time.perf_counter() if now is None else now
        self._recent = [(t, i) for t, i in self._recent if now - t < RATE_WINDOW and i <= iteration]
        self._recent.append((now, iteration))
        (t0, i0), (t1, i1) = self._recent[0], self._recent[-1]
        if len(self._recent) < 2 or t1 <= t0:
            return None
        return (len(self._recent) - 1) / (t1 - t0), (i1 - i0) / (t1 - t0)


class Partner(Protocol):
    """What the lockstep reads of the other side: its trainer (None once
    closed) and whether it plays."""

    trainer: Trainer | None
    playing: bool


class TrainingWorker:
    """Trains one trainer in a thread of its own and keeps its newest frame."""

    def __init__(self, trainer: Trainer, history: History | None = None,
                 scene_options: Callable[[], dict] | None = None, governor: Governor | None = None):
        self.trainer: Trainer | None = trainer
        #: what shares the process's CPU among the workers playing in it
        self.governor = governor if governor is not None else GOVERNOR
        #: the record frames are offered to (every frame made; it keeps what is due)
        self.history = history
        #: the views' options for each Scene (which dense layers they draw)
        self.scene_options = scene_options or (lambda: {})
        #: frames per second, and iterations per frame (0: as many as fit)
        self.fps: int = DEFAULT_FPS
        self.iterations_per_frame: float = 0
        #: the other side to train in step with: never more than
        #: LOCKSTEP_SLACK iterations ahead of it while both play
        self.partner: Partner | None = None
        #: an iteration to stop at while playing (``next_mark``), and what is
        #: called there, from the training thread, with the trainer
        #: (``on_mark``): Compare charts both sides at the same iterations
        self.next_mark: int | None = None
        self.on_mark: Callable[[Trainer], None] | None = None
        #: seconds spent while playing: training, making scenes, publishing,
        #: waiting; and frames made and published
        self.timings = {"train": 0.0, "scene": 0.0, "publish": 0.0, "wait": 0.0, "frames": 0, "published": 0}
        #: the rates of the frames shown
        self.rates = Rates()
        # live frames never wait for the compiled kernel: the NumPy path trains
        # until it is ready (a second or so; seconds the very first time)
        trainer.wait_for_compile = False
        kernels.warm_up()
        self._owed = 0.0                 # the fraction of an iteration per frame carried over
        self._chunk = FIRST_CHUNK        # iterations per training chunk
        self._speed = 0.0                # iterations a second at full speed (the last chunk's)
        self._scene_cost = 0.0           # CPU seconds the last scene took to make
        # the live thread, and what it shares with whoever takes its frames
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake: Callable[[], None] = _nothing
        self._mailbox: tuple[int, Scene | Exception] | None = None   # (sequence number, newest)
        self._taken = 0                  # the sequence number last taken
        self._consumed = threading.Event()   # the newest frame has been shown
        self._views_behind = False       # the newest frame waits for the views to draw the last

    # ------------------------------------------------------------ frames
    def scene(self, trainer: Trainer | None = None, force: bool = False, **options) -> Scene:
        """A Scene of where the trainer stands (the views' options, then
        ``options``), recorded in the history if a moment is due (or ``force``)."""
        trainer = self.trainer if trainer is None else trainer
        with trainer.lock:
            scene = compute_scene(trainer, **{**self.scene_options(), **options})
            if self.history is not None:
                self.history.record(trainer, scene.frame, force=force)
        return scene

    def act(self, action: Callable[[], None]) -> Scene:
        """Run ``action`` (a step, a reset...), then snapshot a Scene (blocking:
        call it in a worker thread)."""
        action()
        return self.scene()

    def frame_quota(self) -> int:
        """Iterations the next frame trains when capped (fractions carry over)."""
        self._owed += self.iterations_per_frame
        n = int(self._owed)
        self._owed -= n
        return n

    def slow_update(self, step: int, kind: str = "both") -> Callable[[], None] | None:
        """What slow-motion sub-step ``step`` trains, or None. In a step
        button's own sub-steps (``kind`` ``"d"`` or ``"g"``) that network's
        update counts as an iteration (GAN Lab); in a whole iteration D and G
        train their k updates."""
        if step == D_SUBSTEP:
            return self.trainer.step_d if kind == "d" else self.trainer.train_discriminator
        if step == G_SUBSTEP:
            return self.trainer.step_g if kind == "g" else self.trainer.train_generator
        return None

    # ------------------------------------------------------- live thread
    @property
    def live(self) -> bool:
        """Whether the training thread runs."""
        return self._thread is not None

    def start(self, wake: Callable[[], None] | None = None) -> None:
        """Start the training thread; it calls ``wake`` (from its own thread)
        each time a frame (or the error that stopped it) is ready to ``take``."""
        self._stop = threading.Event()
        self._mailbox = None
        self._taken = 0
        self._consumed.set()
        self._wake = wake or _nothing
        self.governor.join(self)
        self._thread = threading.Thread(target=self._train_loop, args=(self._stop,), name="ganlab-training",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the training thread and wait for it: once this returns, the
        trainer stands still (a chunk takes ~4 ms; a Scene at most tens)."""
        self._stop.set()
        self._consumed.set()
        self._wake = _nothing
        self.governor.leave(self)
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=MAX_STOP_WAIT)

    def stop_soon(self) -> None:
        """Have the training thread stop after the chunk it is training, without
        waiting for it (``stop`` waits): two sides in step stop together."""
        self._stop.set()

    def wake(self) -> None:
        """Call the taker's ``wake`` (the views caught up: a waiting frame can go)."""
        self._wake()

    def take(self, views_ready: Callable[[], bool] = lambda: True) -> Scene | Exception | None:
        """The newest frame not yet taken (or the error that stopped training),
        or None. While ``views_ready()`` says the views are still drawing, the
        frame stays (and training goes on meanwhile); call ``shown`` once a
        frame taken is on its way."""
        mail = self._mailbox
        if mail is None or mail[0] == self._taken:
            return None
        if not isinstance(mail[1], Exception) and not views_ready():
            self._views_behind = True
            return None
        self._views_behind = False
        self._taken, item = mail
        return item

    def shown(self, publish_seconds: float = 0.0) -> None:
        """The frame taken last is on its way (publishing it took
        ``publish_seconds``): the thread may make the next."""
        self.timings["publish"] += publish_seconds
        self.timings["published"] += 1
        self.governor.frame_cost(self, self._scene_cost + publish_seconds)
        self._consumed.set()

    def report(self) -> str:
        """Where the time went while playing, per frame (``GANLAB_TIMINGS``)."""
        t = self.timings
        frames = max(t["frames"], 1)
        return (f"ganlab timings: {t['frames']} frames made, {t['published']} published; per frame made: "
                f"train {1000 * t['train'] / frames:.1f} ms, scene {1000 * t['scene'] / frames:.1f} ms, "
                f"wait {1000 * t['wait'] / frames:.1f} ms; publish {1000 * t['publish'] / max(t['published'], 1):.1f}"
                f" ms per frame published")

    def _train_loop(self, stop: threading.Event) -> None:
        """The training thread: train, snapshot a Scene per frame, repeat."""
        try:
            self._frames(stop)
        finally:
            if self._stop is stop:   # ended by itself (an error, divergence): it plays no more
                self.governor.leave(self)

    def _frames(self, stop: threading.Event) -> None:
        trainer = self.trainer
        seq = 0
        next_frame = time.perf_counter()
        last_divergences = 0.0
        while not stop.is_set():
            interval = self.governor.frame_interval(self, self.fps)
            capped = self.iterations_per_frame > 0
            try:
                self._await_shown(stop, train=not capped)
                self._train_frame(stop, interval, self.frame_quota() if capped else None)
                t0, cpu0 = time.perf_counter(), time.thread_time()
                # the charts follow at a few frames a second: measure KL/JS as often
                fresh = t0 - last_divergences >= DIVERGENCE_INTERVAL
                if fresh:
                    last_divergences = t0
                scene = self.scene(trainer, divergences=fresh)
                self._scene_cost = time.thread_time() - cpu0
                self.timings["scene"] += time.perf_counter() - t0
                self.timings["frames"] += 1
            except Exception as exc:  # a broken trainer must not kill the session silently
                self._mailbox = (seq + 1, exc)
                self._wake()
                return
            if stop.is_set():
                return  # stopped meanwhile: a later start has its own mailbox
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

    def _train_frame(self, stop: threading.Event, interval: float, limit: int | None) -> None:
        """Train one frame's iterations in chunks: ``limit`` of them, or (None)
        as many as fit in the governor's share of the frame interval."""
        start = time.perf_counter()
        budget = interval * self.governor.train_share(self._speed)
        done = 0
        while not stop.is_set():
            if limit is not None:
                n = min(limit - done, max(1, self._chunk))
                if n <= 0:
                    return
            else:
                if time.perf_counter() - start >= budget:
                    return
                n = self._chunk
            n = self._in_step(n)
            if n == 0:                  # ahead of the partner: let it catch up
                if time.perf_counter() - start >= budget:
                    return
                stop.wait(0.002)
                continue
            mark, on_mark = self.next_mark, self.on_mark
            if mark is not None and self.trainer.iteration < mark:   # the chunk ends at the mark
                n = min(n, mark - self.trainer.iteration)
            self._train_chunk(n)
            done += n
            if on_mark is not None and self.trainer.iteration == mark:
                on_mark(self.trainer)

    def _in_step(self, n: int) -> int:
        """How many of ``n`` iterations may be trained now: all of them, or,
        in step with a playing ``partner``, no more than LOCKSTEP_SLACK ahead of it."""
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
        self._speed = n / max(spent, 1e-6)
        # keep chunks near 4 ms: short enough to stop or change settings promptly
        self._chunk = int(min(max(1, self._speed * CHUNK_SECONDS), MAX_CHUNK))
        return spent

    def _await_shown(self, stop: threading.Event, train: bool) -> None:
        """Back-pressure: wait (up to MAX_PUBLISH_WAIT) until the last frame is on
        its way to the browser. When the event loop is the bottleneck (many
        sessions on few cores), training threads then yield it the CPU instead
        of making frames nobody sees. When the loop is free but the views are
        still drawing (a notebook's browser: see ``take``), training goes on
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
            if train and self._views_behind:
                spent = self._train_chunk(self._chunk)
                trained += spent
                share = self.governor.train_share(self._speed)
                self._consumed.wait(min(left, spent * (1 - share) / share))
            else:
                self._consumed.wait(left)  # stopping sets it too
        self.timings["wait"] += time.perf_counter() - t0 - trained


def _nothing() -> None:
    pass
