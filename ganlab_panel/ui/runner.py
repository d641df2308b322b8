"""Runner: plays, pauses and steps one session's training, and shows it.

Where it stands is one param, ``state``: paused, playing, stepping (a step
button's slow-motion sub-steps on show) or closed. ``playing`` follows it.

Live play trains in a ``live.worker.TrainingWorker``'s thread, which makes
``fps`` frames a second and wakes the event loop that shows the views (a
served session's, at its document's next tick, or a notebook kernel's:
``ui.document.Waker``); the loop publishes the newest frame. Where no loop can
be woken, a periodic callback looks for frames instead. Training never runs
on the event loop, the frame rate does not depend on how long an iteration
takes, and the training rate does not wait for the browser.
``iterations_per_frame`` caps the iterations between two frames (0: as many as
fit in the training share of each frame interval: ``TRAIN_SHARE`` for a lone
session, less while others play in the process, see ``live.governor``).

Step actions (one D update, one G update, one iteration) and single frames run
in a worker thread too, one at a time; a frame that finds another still running
is skipped, an action the user asked for waits its turn.

Slow motion plays each iteration as GAN Lab's ten highlighted sub-steps, one
every ``slow_period`` ms (the periodic callback's period): the discriminator
trains at sub-step 5 and the generator at sub-step 10.

``close()`` stops the callbacks; ticks that still arrive afterwards do nothing.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import time
from typing import Callable

import param

from ganlab_panel.engine.trainer import Trainer
from ganlab_panel.live.history import History
from ganlab_panel.live.governor import TRAIN_SHARE, UNWATCHED_PAUSE
from ganlab_panel.live.scene import Scene
from ganlab_panel.live.worker import DEFAULT_FPS, LOCKSTEP_SLACK, SLOW_RANGES, SUBSTEPS, TrainingWorker
from ganlab_panel.ui.document import Home, Periodic, Waker, batch
from ganlab_panel.ui.lesson import GANLAB_RATE, SLOW_STEPS, SPEEDS, SubStep

log = logging.getLogger(__name__)

#: how often (ms) the event loop looks for a new frame while playing, where it
#: cannot be woken from the training thread (play started off the main thread).
POLL_MS = 10

__all__ = ["DEFAULT_FPS", "GANLAB_RATE", "LOCKSTEP_SLACK", "POLL_MS", "SLOW_RANGES", "SLOW_STEPS", "SPEEDS",
           "TRAIN_SHARE", "Runner", "State", "SubStep"]


class State(str, enum.Enum):
    """Where a runner stands."""

    PAUSED = "paused"
    PLAYING = "playing"        # live, or in slow motion (see ``Runner.slow``)
    STEPPING = "stepping"      # a step button's slow-motion sub-steps are on show
    CLOSED = "closed"          # for good


class Runner(param.Parameterized):
    """Plays, pauses and steps one trainer, publishing Scenes to the views."""

    state = param.Selector(default=State.PAUSED, objects=list(State),
                           doc="Paused, playing, stepping (slow-motion sub-steps of a step) or closed.")
    playing = param.Boolean(default=False, doc="Training is playing: the state is 'playing' (set, the state follows).")
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
                 views_ready: Callable[[], bool] | None = None, watched: Callable[[], bool] | None = None,
                 **params):
        super().__init__(**params)
        #: trains, in a thread of its own, and keeps the newest frame
        self.worker = TrainingWorker(trainer, history=history, scene_options=scene_options)
        self._pace()
        #: the event loop the views live on (callbacks and frames go there)
        self.home = home if home is not None else Home()
        #: called on the event loop before play or a step trains (e.g. to resume
        #: from a rewound moment)
        self._before_training = before_training or (lambda: None)
        self._publish = publish
        #: whether the views can take a frame now (a notebook's browser may
        #: still be drawing the last one); ``views_caught_up`` says when
        self._views_ready = views_ready or (lambda: True)
        #: whether anyone sees the views now (see UNWATCHED_PAUSE)
        self._watched = watched or (lambda: True)
        self._seen_at = time.perf_counter()
        self._notify = notify or (lambda text, level="info": None)
        #: slow motion's sub-steps, and live frames where nothing can wake the loop
        self._periodic = Periodic(self.home, self._on_period, self._period)
        #: wakes the event loop (the server session's, or a notebook kernel's)
        #: when a frame is ready; None: the periodic callback polls instead
        self._waker: Waker | None = None
        self._lock: asyncio.Lock | None = None

    # ------------------------------------------------------------ reading
    trainer = property(lambda self: self.worker.trainer, lambda self, trainer: setattr(self.worker, "trainer", trainer),
                       doc="The trainer played (None once its owner closed it).")
    history = property(lambda self: self.worker.history, doc="The record frames are offered to.")
    timings = property(lambda self: self.worker.timings,
                       doc="Seconds spent while playing (training, scenes, publishing, waiting) and frames.")

    @property
    def partner(self) -> Runner | None:
        """Another runner to train in step with (Compare's other side): never
        more than LOCKSTEP_SLACK iterations ahead of it while both play."""
        return self.worker.partner

    @partner.setter
    def partner(self, other: Runner | None) -> None:
        self.worker.partner = other

    @property
    def closed(self) -> bool:
        return self.state == State.CLOSED

    @property
    def current_substep(self) -> SubStep | None:
        return SLOW_STEPS[self.substep - 1] if self.substep else None

    def scene(self, trainer: Trainer | None = None, force: bool = False, **options) -> Scene:
        """A Scene of where the trainer stands (the views' options, then
        ``options``), recorded in the history if a moment is due (or ``force``)."""
        return self.worker.scene(trainer, force=force, **options)

    # ------------------------------------------------------------ work
    async def _run(self, action: Callable[[], None], wait: bool = False) -> Scene | None:
        """Run ``action`` and a snapshot in the worker; publish the Scene.

        A tick (``wait=False``) is skipped while other work runs; an action the
        user asked for (``wait=True``) waits its turn.
        """
        if self.closed or (not wait and self._guard.locked()):
            return None
        async with self._guard:
            if self.closed:
                return None
            self.busy = True
            try:
                scene = await asyncio.to_thread(self.worker.act, action)
            finally:
                self.busy = False
            if self.closed:
                return None
            self._measure(scene.frame.iteration)
            self._publish(scene)
        if scene.frame.diverged:
            self._diverged(scene)
        return scene

    @property
    def _guard(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def _diverged(self, scene: Scene) -> None:
        self.pause()
        self._notify(f"Training diverged at iteration {scene.frame.iteration}: a loss or weight became "
                     "NaN or infinite. Training is paused; press Reset, or lower the learning rates.", "danger")

    def _measure(self, iteration: int) -> None:
        """Frame and iteration rates over the last two seconds of play."""
        if not self.playing:
            self.worker.rates.clear()
            return
        rates = self.worker.rates.add(iteration)
        if rates is not None:
            self.frames_per_second, self.iterations_per_second = rates

    async def refresh(self) -> Scene | None:
        """Publish the current state without training."""
        return await self._run(lambda: None, wait=True)

    async def tick(self) -> Scene | None:
        """One frame of normal play."""
        n = self.worker.frame_quota()
        return await self._run(lambda: self.trainer.train(n))

    async def slow_tick(self) -> Scene | None:
        """Advance one slow-motion sub-step (training at sub-steps 5 and 10)."""
        if self.closed or self._guard.locked():
            return None
        step = self.substep % SUBSTEPS + 1
        update = self.worker.slow_update(step)
        scene = await self._run(update) if update is not None else None
        if not self.closed and (scene is not None or update is None):
            self.substep = step
        return scene

    # ----------------------------------------------------- live frames
    def views_caught_up(self) -> None:
        """From any thread: the views have drawn what they were sent, so the
        newest frame can go."""
        self.worker.wake()

    def _woken(self) -> None:
        if self.playing and not self.slow:
            self._poll()

    def _poll(self) -> None:
        """On the event loop: publish the newest Scene, if there is a new one."""
        if self.state != State.PLAYING:
            return
        now = time.perf_counter()
        if self._watched():
            self._seen_at = now
        elif now - self._seen_at > UNWATCHED_PAUSE:
            log.info("ganlab: paused training nobody watches (its page was closed) at iteration %d",
                     self.worker.trainer.iteration)
            self.pause()
            self._notify("Paused: the page was closed, so nobody was watching.", "info")
            return
        scene = self.worker.take(self._views_ready)
        if scene is None:
            return   # none new, or the browser is still drawing: the newest goes when it is done
        if isinstance(scene, Exception):
            self.pause()
            self._notify(f"Training stopped: {scene}", "danger")
            return
        self._measure(scene.frame.iteration)
        # what publishing costs the CPU, as the scene's cost is measured: the
        # wall time would count every wait too (another thread holding the
        # GIL, a page fault), and one slow moment would space this session's
        # frames by as many times its length as sessions play
        t0 = time.thread_time()
        try:
            self._publish(scene)
        finally:
            self.worker.shown(time.thread_time() - t0)
        if scene.frame.diverged:
            self._diverged(scene)

    def _start_live(self) -> None:
        self._waker = self.home.waker(self._woken)
        self.worker.start(wake=self._waker.wake if self._waker is not None else None)

    def _stop_live(self) -> None:
        self.worker.stop()
        self._waker = None

    # --------------------------------------------------------- callback
    def _period(self) -> int | None:
        """How often (ms) the periodic callback runs now: while playing in slow
        motion, or live where nothing can wake the loop; else None (not at all)."""
        if self.state != State.PLAYING or not (self.slow or self._waker is None):
            return None
        return self.slow_period if self.slow else POLL_MS

    async def _on_period(self):
        if self.slow:
            await self.slow_tick()
        else:
            self._poll()

    # ------------------------------------------------------------ state
    @param.depends("state", watch=True)
    def _state_changed(self) -> None:
        self.playing = self.state == State.PLAYING

    @param.depends("playing", watch=True)
    def _playing_set(self) -> None:
        # ``playing`` set from outside: the state follows (nothing starts or stops)
        if self.playing and self.state in (State.PAUSED, State.STEPPING):
            self.state = State.PLAYING
        elif not self.playing and self.state == State.PLAYING:
            self.state = State.PAUSED

    @param.depends("fps", "iterations_per_frame", watch=True)
    def _pace(self) -> None:
        self.worker.fps, self.worker.iterations_per_frame = self.fps, self.iterations_per_frame

    @param.depends("fps", "slow", "slow_period", watch=True)
    def _retime(self) -> None:
        self._pace()
        if self.state == State.PLAYING:
            self._stop_live()
            if not self.slow:
                self._start_live()
        self._periodic.sync()

    @param.depends("slow", watch=True)
    def _slow_changed(self) -> None:
        if not self.slow:
            self.substep = 0

    # --------------------------------------------------------- controls
    def play(self, start: bool = True) -> None:
        """Play (live, or in slow motion); a slow-motion step on show gives way.
        ``start=False`` only marks it playing: ``start_playing`` then starts
        it (Compare marks both sides playing before either trains, so neither
        trains ahead of a partner not yet playing)."""
        if self.state in (State.CLOSED, State.PLAYING):
            return
        self._before_training()
        self._seen_at = time.perf_counter()
        self.state = State.PLAYING
        if start:
            self.start_playing()

    def start_playing(self) -> None:
        """Start what ``play(start=False)`` marked playing."""
        if self.state != State.PLAYING:
            return
        if not self.slow:
            self._start_live()
        self._periodic.sync()

    def pause(self) -> None:
        """Stop playing; once this returns, the trainer stands still."""
        self._halt(State.PAUSED if self.state == State.PLAYING else self.state)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def close(self) -> None:
        """Stop for good: no more ticks, no more publishing."""
        self._halt(State.CLOSED)
        self._periodic.stop()

    def _halt(self, state: State) -> None:
        if self.playing and os.environ.get("GANLAB_TIMINGS"):
            print(self.worker.report(), flush=True)
        self._stop_live()
        # the Play label and the views' last frame reach the browser as one update
        # (separately, the label could show while the counter still told of a
        # moment before the pause)
        with batch():
            self.state = state
        self.worker.rates.clear()
        self._periodic.sync()

    async def step_d(self) -> Scene | None:
        """One discriminator update (pauses play first, as GAN Lab does)."""
        return await self._step_now(lambda: self.trainer.step_d())

    async def step_g(self) -> Scene | None:
        """One generator update."""
        return await self._step_now(lambda: self.trainer.step_g())

    async def step(self) -> Scene | None:
        """One full iteration."""
        return await self._step_now(lambda: self.trainer.train(1))

    async def _step_now(self, action: Callable[[], None]) -> Scene | None:
        self.pause()
        self._before_training()
        return await self._run(action, wait=True)

    async def step_slowly(self, kind: str) -> Scene | None:
        """A step as slow motion shows it: its own sub-steps (``"d"``: 1-5,
        ``"g"``: 6-10, ``"both"``: 1-10), ``slow_period`` apart, training at
        sub-step 5 and 10. A D or G step is one update counted as an iteration
        (``step_d``/``step_g``); a whole iteration is k_D and k_G updates.
        The state is 'stepping' meanwhile; Play takes over from it."""
        if self.state == State.STEPPING:
            return None
        self.pause()
        if self.closed:
            return None
        self._before_training()
        first, last = SLOW_RANGES[kind]
        scene = None
        self.state = State.STEPPING
        try:
            for step in range(first, last + 1):
                if self.state != State.STEPPING:
                    return scene
                update = self.worker.slow_update(step, kind)
                if update is not None:
                    scene = await self._run(update, wait=True) or scene
                if self.slow:
                    self.substep = step
                    await asyncio.sleep(self.slow_period / 1000)
            if self.state == State.STEPPING:
                self.substep = 0
        finally:
            if self.state == State.STEPPING:
                self.state = State.PAUSED
        return scene

    async def reset(self) -> Scene | None:
        self.pause()
        self.substep = 0
        return await self._run(self.trainer.reset, wait=True)
