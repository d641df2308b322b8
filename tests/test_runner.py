"""The runner, by what it does: play trains live and pause stops it, a frame's
worth of iterations, steps, slow motion and its steps, the lockstep of
Compare's two sides, a divergence, and where the runner stands (``state``)."""

import asyncio
import threading
import time
from types import SimpleNamespace


from ganlab_panel import Trainer
from ganlab_panel.live.worker import LOCKSTEP_SLACK, TrainingWorker
from ganlab_panel.ui.runner import SLOW_STEPS, SPEEDS, Runner


def make(**settings):
    published, notes = [], []
    tr = Trainer(seed=0, **settings)
    runner = Runner(tr, publish=published.append, notify=lambda text, level="info": notes.append((level, text)))
    return tr, runner, published, notes


async def until(condition, timeout=60.0) -> bool:
    """Wait on the event loop until ``condition()`` holds; whether it came
    (``timeout``: a generous bound on a busy machine, not a speed asked for)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def test_play_trains_live_and_pause_stops_it():
    async def scenario():
        tr, runner, published, _ = make()     # made on the loop: the training thread wakes it
        runner.play()
        states = [(runner.state, runner.playing)]
        flowed = await until(lambda: len(published) >= 3)
        runner.pause()
        states.append((runner.state, runner.playing))
        stopped = tr.iteration
        await asyncio.sleep(0.2)
        runner.close()
        tr.close()
        return tr, published, states, flowed, stopped

    tr, published, states, flowed, stopped = asyncio.run(scenario())
    assert states == [("playing", True), ("paused", False)]
    assert flowed and stopped > 0
    iterations = [s.frame.iteration for s in published]
    assert iterations == sorted(iterations) and iterations[-1] > iterations[0]   # each frame newer
    assert tr.iteration == stopped                  # once paused, the trainer stands still


def test_a_publish_that_waits_does_not_space_the_frames():
    """The governor spaces a session's frames by what they cost the CPU. A
    publish that waits (here: sleeps, as when another thread holds the GIL
    or a page is read from disk) costs none, so the frames keep their pace."""
    def waiting(scene):
        time.sleep(0.25)
        published.append(scene)

    async def scenario():
        runner.play()
        flowed = await until(lambda: len(published) >= 3)
        interval = runner.worker.governor.frame_interval(runner.worker, runner.worker.fps)
        runner.close()
        return flowed, interval

    published = []
    tr = Trainer(seed=0)
    runner = Runner(tr, publish=waiting, notify=lambda text, level="info": None)
    flowed, interval = asyncio.run(scenario())
    tr.close()
    assert flowed
    assert interval < 0.1, f"one session alone spaced by {interval:.2f} s: the waits were counted as cost"


def test_the_state_says_where_the_runner_stands():
    tr, runner, _, _ = make()
    assert (runner.state, runner.playing) == ("paused", False)
    runner.playing = True                           # code may say so itself: the state follows
    assert runner.state == "playing"
    runner.pause()
    assert (runner.state, runner.playing) == ("paused", False)
    runner.close()
    runner.play()
    assert (runner.state, runner.playing, runner.closed) == ("closed", False, True)
    assert tr.iteration == 0


def test_tick_trains_a_frames_worth_and_publishes():
    tr, runner, published, _ = make()
    runner.iterations_per_frame = 7
    scene = asyncio.run(runner.tick())
    assert tr.iteration == 7 and scene.frame.iteration == 7
    assert published == [scene]


def test_gan_labs_pace_trains_sixty_iterations_a_second():
    tr, runner, published, _ = make()
    runner.iterations_per_frame = SPEEDS["GAN Lab's pace (60 it/s)"]
    per_frame = []
    for _ in range(runner.fps):     # one second of frames
        before = tr.iteration
        asyncio.run(runner.tick())
        per_frame.append(tr.iteration - before)
    assert tr.iteration == 60
    assert set(per_frame) <= {1, 2}  # a fraction per frame is carried over, never lumped


def test_steps_each_advance_the_counter_by_one():
    tr, runner, published, _ = make()
    asyncio.run(runner.step_d())
    assert (tr.iteration, tr.d_steps, tr.g_steps) == (1, 1, 0)
    asyncio.run(runner.step_g())
    assert (tr.iteration, tr.d_steps, tr.g_steps) == (2, 1, 1)
    asyncio.run(runner.step())
    assert (tr.iteration, tr.d_steps, tr.g_steps) == (3, 3, 2)
    assert [s.frame.iteration for s in published] == [1, 2, 3]


def test_slow_motion_plays_one_iteration_as_ten_sub_steps():
    tr, runner, published, _ = make()
    runner.slow = True
    seen = []
    for _ in range(10):
        asyncio.run(runner.slow_tick())
        seen.append((runner.substep, tr.d_steps, tr.g_steps, tr.iteration))
    assert [s[0] for s in seen] == list(range(1, 11))
    assert seen[3][1:] == (0, 0, 0)      # nothing trained before sub-step 5
    assert seen[4][1:] == (2, 0, 0)      # k_D = 2 discriminator updates at 5
    assert seen[8][1:] == (2, 0, 0)
    assert seen[9][1:] == (2, 1, 1)      # the generator update completes the iteration
    assert len(published) == 2
    assert [s.number for s in SLOW_STEPS] == list(range(1, 11))
    assert all(step.text for step in SLOW_STEPS)
    runner.slow = False
    assert runner.substep == 0


def test_a_step_in_slow_motion_plays_its_own_sub_steps():
    tr, runner, published, _ = make()
    runner.slow, runner.slow_period = True, 10
    seen = []
    states = set()
    runner.param.watch(lambda e: seen.append((e.new, tr.d_steps, tr.g_steps)), "substep")
    runner.param.watch(lambda e: states.add((runner.state, runner.playing)), "substep")
    asyncio.run(runner.step_slowly("d"))                 # D's half: one update, counted (GAN Lab)
    assert ("stepping", False) in states and runner.state == "paused"
    assert [s[0] for s in seen] == [1, 2, 3, 4, 5, 0]
    assert seen[3][1:] == (0, 0) and seen[4][1:] == (1, 0) and tr.iteration == 1
    seen.clear()
    asyncio.run(runner.step_slowly("g"))
    assert [s[0] for s in seen] == [6, 7, 8, 9, 10, 0] and (tr.d_steps, tr.g_steps, tr.iteration) == (1, 1, 2)
    seen.clear()
    asyncio.run(runner.step_slowly("both"))              # a whole iteration: k_D = 2, k_G = 1
    assert [s[0] for s in seen] == [*range(1, 11), 0] and (tr.d_steps, tr.g_steps, tr.iteration) == (3, 2, 3)
    assert [s.frame.iteration for s in published] == [1, 2, 2, 3]


def test_a_tick_while_busy_is_skipped_but_a_step_waits_its_turn():
    tr, runner, published, _ = make()

    async def scenario():
        first = asyncio.create_task(runner.tick())
        await asyncio.sleep(0)           # the first tick holds the worker
        skipped = await runner.tick()
        stepped = await runner.step()
        await first
        return skipped, stepped

    skipped, stepped = asyncio.run(scenario())
    assert skipped is None and stepped is not None
    assert tr.iteration == runner.iterations_per_frame + 1


def test_divergence_in_live_play_pauses_and_says_so():
    async def scenario():
        tr, runner, published, notes = make()
        tr.discriminator.weights[0][0, 0] = float("nan")
        runner.play()
        paused = await until(lambda: not runner.playing)
        scene = await runner.reset()
        runner.close()
        return tr, runner, published, notes, paused, scene

    tr, runner, published, notes, paused, scene = asyncio.run(scenario())
    assert paused and any(s.frame.diverged for s in published)
    assert notes and notes[-1][0] == "danger" and "diverged" in notes[-1][1]
    assert not tr.diverged and scene.frame.finite and published[-1] is scene


def test_closed_runner_neither_trains_nor_publishes():
    tr, runner, published, _ = make()
    runner.close()
    assert asyncio.run(runner.tick()) is None
    assert asyncio.run(runner.step()) is None
    assert tr.iteration == 0 and published == []


def test_play_takes_over_from_a_slow_step():
    async def scenario():
        tr, runner, published, _ = make()
        runner.slow, runner.slow_period = True, 50
        step = asyncio.create_task(runner.step_slowly("both"))
        await until(lambda: runner.substep >= 2)
        during = runner.state
        runner.play()                                   # Play, while the step's sub-steps show
        await step
        after = runner.state
        runner.close()
        return tr, during, after

    tr, during, after = asyncio.run(scenario())
    assert (during, after) == ("stepping", "playing")
    assert tr.iteration == 0                            # the step gave way before it trained


def test_a_worker_keeps_in_step_with_a_partner_that_stands_still():
    tr, other = Trainer(seed=0), Trainer(seed=1)
    worker = TrainingWorker(tr)                         # no Panel, no event loop: a thread and a mailbox
    worker.partner = SimpleNamespace(trainer=other, playing=True)
    ready = threading.Semaphore(0)

    def next_frame() -> int:
        while True:
            assert ready.acquire(timeout=60)
            scene = worker.take()
            if scene is not None:                       # None: that frame was taken already
                worker.shown()
                return scene.frame.iteration

    worker.start(wake=ready.release)
    try:
        frames = [next_frame()]
        while tr.iteration < LOCKSTEP_SLACK and len(frames) < 500:
            frames.append(next_frame())
        frames += [next_frame() for _ in range(3)]      # a few frames more: it stays where it is
    finally:
        worker.stop()
    assert tr.iteration == LOCKSTEP_SLACK and frames[-3:] == [LOCKSTEP_SLACK] * 3
    assert other.iteration == 0
