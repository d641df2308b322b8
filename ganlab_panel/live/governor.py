"""Sharing one process's CPU fairly among the sessions that play in it.

A served process may hold a whole classroom. Left alone, each playing session
would train for TRAIN_SHARE of every frame interval and make DEFAULT_FPS
frames a second, whatever else runs: eight sessions would ask for three cores
of training, and the frames of all of them (and the pages of newcomers) would
wait behind it. The :class:`Governor` of the process gives every playing
worker its part instead:

- **training**: a session playing alone trains for TRAIN_SHARE of its wall
  time; several share ``train_cores`` of CPU (each worker trains for at most
  ``train_cores / n`` of its wall time), but never so little that a session
  falls below GAN Lab's own pace (GANLAB_RATE iterations a second);
- **frames**: each frame's cost (CPU seconds to make it and to publish it,
  measured per worker) is paid from ``frame_cores`` shared evenly, so the
  frame rate of every session falls together as sessions join, and a session
  whose frames cost more (a bigger network, the density layer on) slows its
  own frames, not everyone's. A session that just pressed Play makes its
  first frame at its own pace (its cost is not measured yet), so its
  counter moves without waiting for a turn among the others.

A lone session trains for TRAIN_SHARE and makes DEFAULT_FPS frames. Workers
join when their thread starts and leave when it stops. Plain threads and
numbers: no event loop, no Panel.
"""

from __future__ import annotations

import statistics
import threading
import weakref

#: GAN Lab trains one iteration per animation frame: about 60 a second
GANLAB_RATE = 60

#: the share of each frame interval a session playing alone in its process
#: trains for at full speed; the rest of its core is left to making and
#: publishing its frames
TRAIN_SHARE = 0.7

#: CPU (cores) the training threads of one process share while several sessions play
TRAIN_CORES = 0.5

#: CPU (cores) making and publishing the frames of one process may take
FRAME_CORES = 1.0

#: live play pauses once nobody has seen it this long (s): a served page whose
#: tab was closed (Bokeh ends its session only a while later), a notebook
#: output that was removed
UNWATCHED_PAUSE = 3.0

#: a session whose frames cost more than this many times the median is spaced by its own cost
COSTLY = 2.0

#: how quickly a worker's measured frame cost follows a change (weight of the newest frame)
COST_WEIGHT = 0.2


class Governor:
    """The CPU shares of the workers playing in one process (see the module docstring)."""

    def __init__(self, train_cores: float = TRAIN_CORES, frame_cores: float = FRAME_CORES):
        self.train_cores, self.frame_cores = float(train_cores), float(frame_cores)
        self._lock = threading.Lock()
        #: playing worker -> its frame cost (CPU seconds a frame, smoothed; 0 until measured)
        self._costs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @property
    def playing(self) -> int:
        """How many workers play now."""
        return len(self._costs)

    def join(self, worker) -> None:
        """``worker`` starts playing."""
        with self._lock:
            self._costs.setdefault(worker, 0.0)

    def leave(self, worker) -> None:
        """``worker`` stops playing."""
        with self._lock:
            self._costs.pop(worker, None)

    def frame_cost(self, worker, seconds: float) -> None:
        """One of ``worker``'s frames cost ``seconds`` of CPU (making it, or publishing it)."""
        with self._lock:
            if worker in self._costs:
                old = self._costs[worker]
                self._costs[worker] = seconds if old == 0 else old + COST_WEIGHT * (seconds - old)

    def train_share(self, iterations_per_second: float = 0.0) -> float:
        """The share of its wall time a playing worker trains for, given how
        many iterations a second it trains at full speed (0: not known yet)."""
        playing = self.playing
        share = TRAIN_SHARE if playing <= 1 else min(TRAIN_SHARE, self.train_cores / playing)
        if iterations_per_second > 0:
            share = max(share, min(TRAIN_SHARE, GANLAB_RATE / iterations_per_second))
        return share

    def frame_interval(self, worker, fps: float) -> float:
        """Seconds between ``worker``'s frames: 1/``fps``, or longer while the
        frames of all would take more than ``frame_cores``. Sessions are
        spaced alike, by the median frame cost (one session's measurement is
        noisy while many share the CPU), except one whose frames cost more
        than COSTLY times that: it is spaced by its own cost."""
        with self._lock:
            costs = [c for c in self._costs.values() if c > 0]
            own = self._costs.get(worker, 0.0)
        if not costs or own == 0:   # nothing measured yet, or a session that just pressed Play: it
            return 1.0 / fps        # sees its counter move at once, and its first frames measure its cost
        typical = statistics.median(costs)
        cost = own if own > COSTLY * typical else typical
        return max(1.0 / fps, len(self._costs) * cost / self.frame_cores)


#: the process's governor, which every TrainingWorker plays under unless given another
GOVERNOR = Governor()
