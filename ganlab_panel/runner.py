"""Runner: owns the live training loop of one session.

A periodic callback ticks on the server's (or notebook kernel's) event loop.
Each tick hands the work - ``iterations_per_frame`` iterations, then a Scene -
to a worker thread, waits for it without blocking the loop, and publishes the
Scene to the views. A tick that finds the previous one still running does
nothing, so two ticks never train at once. Step actions (one D update, one G
update, one iteration) run the same way.

Slow motion plays each iteration as GAN Lab's ten highlighted sub-steps, one
every ``slow_period`` ms: the discriminator trains at sub-step 5 and the
generator at sub-step 10.

``close()`` stops the callbacks; ticks that still arrive afterwards do nothing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Callable

import panel as pn
import param

from .scene import Scene, compute_scene
from .trainer import Trainer


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

#: presets of the speed control: label -> iterations per frame.
SPEEDS = {
    "1 iteration per frame (GAN Lab's pace)": 1,
    "6 iterations per frame": 6,
    "20 iterations per frame": 20,
    "50 iterations per frame": 50,
    "200 iterations per frame": 200,
}


class Runner(param.Parameterized):
    """Plays, pauses and steps one trainer, publishing Scenes to the views."""

    playing = param.Boolean(default=False, doc="Training is running.")
    slow = param.Boolean(default=False, doc="Play each iteration as ten highlighted sub-steps.")
    iterations_per_frame = param.Integer(default=6, bounds=(1, 10_000),
                                         doc="Iterations trained between two published frames.")
    period = param.Integer(default=100, bounds=(10, 5000), doc="Milliseconds between frames while playing.")
    slow_period = param.Integer(default=1250, bounds=(10, 10_000), doc="Milliseconds per slow-motion sub-step.")
    substep = param.Integer(default=0, bounds=(0, 10), doc="The slow-motion sub-step on show (0: none).")
    busy = param.Boolean(default=False, doc="A tick or action is running in the worker.")
    frames_per_second = param.Number(default=0.0, doc="Frames published per second while playing (measured).")
    iterations_per_second = param.Number(default=0.0, doc="Iterations trained per second while playing (measured).")

    def __init__(self, trainer: Trainer, publish: Callable[[Scene], None],
                 scene_options: Callable[[], dict] | None = None,
                 notify: Callable[[str, str], None] | None = None, **params):
        super().__init__(**params)
        self.trainer = trainer
        self._publish = publish
        self._scene_options = scene_options or (lambda: {})
        self._notify = notify or (lambda text, level="info": None)
        self._callback = None
        self._closed = False
        self._lock: asyncio.Lock | None = None
        self._recent: list[tuple[float, int]] = []  # (time, iteration) of recent frames

    # ------------------------------------------------------------ work
    def _work(self, action: Callable[[], None]) -> Scene:
        action()
        return compute_scene(self.trainer, **self._scene_options())

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

    async def tick(self) -> Scene | None:
        """One frame of normal play."""
        n = self.iterations_per_frame
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

    # --------------------------------------------------------- controls
    def _ensure_callback(self):
        if self._callback is None:
            self._callback = pn.state.add_periodic_callback(self._on_period, period=self.period, start=False)
        return self._callback

    async def _on_period(self):
        if self.slow:
            await self.slow_tick()
        else:
            await self.tick()

    @param.depends("period", "slow", "slow_period", watch=True)
    def _retime(self):
        if self._callback is not None:
            self._callback.period = self.slow_period if self.slow else self.period

    @param.depends("slow", watch=True)
    def _slow_changed(self):
        if not self.slow:
            self.substep = 0

    def play(self) -> None:
        if self._closed or self.playing:
            return
        callback = self._ensure_callback()
        callback.period = self.slow_period if self.slow else self.period
        self.playing = True
        if not callback.running:
            callback.start()

    def pause(self) -> None:
        self.playing = False
        self._recent = []
        if self._callback is not None and self._callback.running:
            self._callback.stop()

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    async def step_d(self) -> Scene | None:
        """One discriminator update (pauses play first, as GAN Lab does)."""
        self.pause()
        return await self._run(self.trainer.step_d, wait=True)

    async def step_g(self) -> Scene | None:
        self.pause()
        return await self._run(self.trainer.step_g, wait=True)

    async def step(self) -> Scene | None:
        """One full iteration."""
        self.pause()
        return await self._run(lambda: self.trainer.train(1), wait=True)

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
