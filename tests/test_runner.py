import asyncio

import torch

from ganlab_panel import Trainer
from ganlab_panel.ui.runner import SLOW_STEPS, SPEEDS, Runner


def make(**settings):
    published, notes = [], []
    tr = Trainer(seed=0, **settings)
    runner = Runner(tr, publish=published.append, notify=lambda text, level="info": notes.append((level, text)))
    return tr, runner, published, notes


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
    runner.param.watch(lambda e: seen.append((e.new, tr.d_steps, tr.g_steps)), "substep")
    asyncio.run(runner.step_slowly("d"))                 # D's half: one update, counted (GAN Lab)
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


def test_divergence_pauses_and_says_so():
    tr, runner, published, notes = make()
    runner.playing = True
    with torch.no_grad():
        tr.discriminator.weights[0][0, 0] = float("nan")
    scene = asyncio.run(runner.tick())
    assert scene.frame.diverged
    assert not runner.playing
    assert notes and notes[-1][0] == "danger" and "diverged" in notes[-1][1]
    asyncio.run(runner.reset())
    assert not tr.diverged and published[-1].frame.finite


def test_closed_runner_neither_trains_nor_publishes():
    tr, runner, published, _ = make()
    runner.close()
    assert asyncio.run(runner.tick()) is None
    assert asyncio.run(runner.step()) is None
    assert tr.iteration == 0 and published == []
