"""Sharing a process's CPU among the sessions playing in it (live/governor.py)."""

from __future__ import annotations

import time

from ganlab_panel import Trainer
from ganlab_panel.live.governor import GANLAB_RATE, TRAIN_SHARE, Governor
from ganlab_panel.live.worker import DEFAULT_FPS, TrainingWorker


class Session:
    """A stand-in for a playing worker: the governor only tells them apart."""


def crowd(governor: Governor, n: int, cost: float = 0.004) -> list[Session]:
    sessions = [Session() for _ in range(n)]
    for s in sessions:
        governor.join(s)
        governor.frame_cost(s, cost)
    return sessions


def test_a_lone_session_plays_as_fast_as_ever():
    g = Governor(train_cores=0.5, frame_cores=0.6)
    (s,) = crowd(g, 1)
    assert g.train_share() == TRAIN_SHARE
    assert g.frame_interval(s, DEFAULT_FPS) == 1 / DEFAULT_FPS


def test_sessions_share_the_training_cores_and_slow_their_frames_together():
    g = Governor(train_cores=0.5, frame_cores=0.6)
    sessions = crowd(g, 8, cost=0.006)
    assert g.playing == 8
    # eight sessions together train on half a core, not on eight times 0.4
    assert 8 * g.train_share() == 0.5
    intervals = {g.frame_interval(s, DEFAULT_FPS) for s in sessions}
    assert len(intervals) == 1
    # their frames take no more than the frame cores between them
    assert 8 * 0.006 / intervals.pop() <= 0.6 + 1e-9
    for s in sessions[1:]:
        g.leave(s)
    assert g.playing == 1 and g.train_share() == TRAIN_SHARE
    assert g.frame_interval(sessions[0], DEFAULT_FPS) == 1 / DEFAULT_FPS


def test_a_session_that_just_pressed_play_gets_its_first_frame_at_once():
    g = Governor(train_cores=0.5, frame_cores=0.6)
    others = crowd(g, 15, cost=0.030)        # a busy process: frames every 0.75 s each
    newcomer = Session()
    g.join(newcomer)
    assert g.frame_interval(newcomer, DEFAULT_FPS) == 1 / DEFAULT_FPS     # its counter moves at once
    g.frame_cost(newcomer, 0.030)            # its first frame went: from now on, spaced as the others
    assert g.frame_interval(newcomer, DEFAULT_FPS) == g.frame_interval(others[0], DEFAULT_FPS) == 16 * 0.030 / 0.6


def test_a_session_with_costly_frames_slows_its_own_not_the_others():
    g = Governor(train_cores=0.5, frame_cores=0.6)
    cheap = crowd(g, 7, cost=0.004)
    costly = crowd(g, 1, cost=0.040)[0]
    assert g.frame_interval(costly, DEFAULT_FPS) == 10 * g.frame_interval(cheap[0], DEFAULT_FPS)


def test_training_never_falls_below_gan_labs_pace():
    g = Governor(train_cores=0.5, frame_cores=0.6)
    sessions = crowd(g, 30)   # (kept: the governor forgets a worker nobody holds)
    assert g.playing == len(sessions)
    # a slow model (600 it/s at full speed) gets the share that trains 60 a second
    assert abs(g.train_share(iterations_per_second=600) * 600 - GANLAB_RATE) < 1e-9
    # a fast one gets its even part, which is far more than GAN Lab's pace
    assert g.train_share(iterations_per_second=30_000) == 0.5 / 30
    # and nobody more than a lone session's share
    assert g.train_share(iterations_per_second=10) == TRAIN_SHARE


def test_a_frame_cost_follows_its_measurements():
    g = Governor(train_cores=0.5, frame_cores=0.1)
    (s,) = crowd(g, 1, cost=0.01)
    assert abs(g.frame_interval(s, DEFAULT_FPS) - 0.1) < 1e-12
    for _ in range(40):
        g.frame_cost(s, 0.001)
    assert g.frame_interval(s, DEFAULT_FPS) == 1 / DEFAULT_FPS
    # a worker that does not play adds nothing
    g.frame_cost(Session(), 1.0)
    assert g.playing == 1


def test_a_worker_plays_under_its_governor_while_its_thread_runs():
    g = Governor()
    worker = TrainingWorker(Trainer(distribution="ring", seed=0), governor=g)
    worker.start()
    try:
        assert g.playing == 1
        deadline = time.time() + 60
        while worker.take() is None and time.time() < deadline:
            time.sleep(0.01)
        worker.shown(0.002)
        # what the frame cost (making it and publishing it) is counted
        assert g.frame_interval(worker, fps=1e9) >= 0.002 / g.frame_cores
    finally:
        worker.stop()
    assert g.playing == 0


def test_sessions_whose_measured_costs_differ_a_little_are_spaced_alike():
    g = Governor(train_cores=0.5, frame_cores=0.6)
    sessions = [s for cost in (0.004, 0.005, 0.006, 0.007) for s in crowd(g, 1, cost=cost)]
    assert len({g.frame_interval(s, DEFAULT_FPS) for s in sessions}) == 1
