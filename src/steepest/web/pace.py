"""Play, pause and step a training run, and set its pace: the Train tab's controls.

At full speed an epoch of the lecture's network takes a fraction of a second
(``benchmarks/results/training.md``): too fast to watch.  A
:class:`Pace` is shared by the server, which sets it when the page asks, and
the training process, which obeys it between two mini-batches:

* *paused*: the process waits before its next mini-batch;
* a *step* lets a paused run take one mini-batch (or finish its epoch), then
  wait again;
* the *rate*: at most this many mini-batches per second (``None``: full speed),
  with a *frame* -- the weight images and the gallery's predictions -- every
  :meth:`Pace.frame_every` mini-batches, about :data:`FRAMES_PER_SECOND` a second.

The process waits on a :class:`multiprocessing.Condition` that every change
notifies, never in a busy loop; it wakes every :data:`POLL` seconds anyway to
ask its ``check`` whether the run was cancelled or its server is gone, so a
paused job still stops when it is cancelled or times out.

>>> pace = Pace(paused=True)
>>> pace.step()                     # the server: one mini-batch, please
>>> pace.holding()                  # the process: go on
False
>>> pace.tick(end_of_epoch=False)   # ... it trained the mini-batch
>>> pace.holding()                  # and waits again
True
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable

#: Seconds a waiting training process sleeps at most before it checks for cancellation.
POLL = 0.5
#: Frames (weight images and gallery predictions) a second at a slow pace.
FRAMES_PER_SECOND = 5
#: Slowest and fastest pace the lab accepts, in mini-batches per second.
MIN_RATE, MAX_RATE = 0.5, 1000.0
#: What the page can ask of a running job.
ACTIONS = ("pause", "play", "step_batch", "step_epoch")
#: A step's budget that means "to the end of this epoch".
TO_EPOCH_END = -1
#: Seconds the server waits for the lock it shares with the training process.  The
#: process holds it for a moment only, but a process killed in that moment never lets go.
LOCK_TIMEOUT = 2.0


class Pace:
    """Pause, play, step and pace state, shared between the server and a training process.

    Pass it to the training process when starting it (it pickles only then).
    The server calls :meth:`apply` and :meth:`state`; the process calls
    :meth:`tick` after each mini-batch, :meth:`holding` and :meth:`frame_every`
    to decide what to show, and :meth:`wait` before the next mini-batch.

    Parameters
    ----------
    ctx : multiprocessing context, optional
        the one that starts the process (default: *spawn*, as :mod:`.jobs` uses).
    paused : bool
        start paused: the run waits before its first mini-batch.
    rate : float or None
        mini-batches per second; None for full speed.
    """

    def __init__(self, ctx=None, *, paused: bool = False, rate: float | None = None) -> None:
        ctx = ctx or mp.get_context("spawn")
        self._cond = ctx.Condition()
        # Raw shared values, changed only under _cond; the process may read them without it.
        self._paused = ctx.Value("b", int(paused), lock=False)
        self._budget = ctx.Value("q", 0, lock=False)  # mini-batches a paused run may still take
        self._rate = ctx.Value("d", float(rate or 0.0), lock=False)  # 0: full speed
        self._last = 0.0  # (process side) when the last mini-batch was let through

    # -- the server's side ---------------------------------------------------

    def state(self) -> dict:
        """``{"paused", "rate", "stepping"}``, as the API reports it (read without the lock:
        it answers even for a process that died holding it)."""
        return {"paused": bool(self._paused.value), "rate": self._rate.value or None,
                "stepping": self._budget.value != 0}

    def apply(self, action: str | None, rate: float | None = None, *,
              set_rate: bool = False) -> None:
        """Do one of :data:`ACTIONS` (or nothing), and change the rate if ``set_rate``.

        Raises :class:`TimeoutError` when the lock stays taken for :data:`LOCK_TIMEOUT` s.
        """
        if not self._cond.acquire(timeout=LOCK_TIMEOUT):
            raise TimeoutError("the training process does not let go of its controls")
        try:
            if action is not None:
                paused, budget = {"pause": (1, 0), "play": (0, 0), "step_batch": (1, 1),
                                  "step_epoch": (1, TO_EPOCH_END)}[action]
                self._paused.value, self._budget.value = paused, budget
            if set_rate:
                self._rate.value = float(rate or 0.0)
            self._cond.notify_all()
        finally:
            self._cond.release()

    def pause(self) -> None:
        self.apply("pause")

    def play(self) -> None:
        self.apply("play")

    def step(self, *, epoch: bool = False) -> None:
        """Pause after one more mini-batch, or (``epoch=True``) at the end of this epoch."""
        self.apply("step_epoch" if epoch else "step_batch")

    def wake(self) -> None:
        """Wake a waiting process now (it is being cancelled); it polls anyway, so a lock
        that stays taken is let be."""
        if self._cond.acquire(timeout=LOCK_TIMEOUT):
            self._cond.notify_all()
            self._cond.release()

    # -- the training process's side -------------------------------------------

    def tick(self, end_of_epoch: bool) -> None:
        """A mini-batch is done: count it against the step it belongs to, if any."""
        if not self._paused.value:  # full speed or a slow pace: nothing to count
            return
        with self._cond:
            budget = self._budget.value
            if budget > 0:
                self._budget.value = budget - 1
            elif budget == TO_EPOCH_END and end_of_epoch:
                self._budget.value = 0

    def holding(self) -> bool:
        """True when the run must wait: paused, with no step to take."""
        return bool(self._paused.value) and self._budget.value == 0

    def frame_every(self) -> int | None:
        """Mini-batches between two frames at this rate; None at full speed.

        >>> Pace(rate=50).frame_every(), Pace(rate=2).frame_every(), Pace().frame_every()
        (10, 1, None)
        """
        rate = self._rate.value
        return max(1, round(rate / FRAMES_PER_SECOND)) if rate else None

    def wait(self, check: Callable[[], None], on_hold: Callable[[], None] | None = None) -> None:
        """Block until the next mini-batch may start: not held, and ``1 / rate`` s after the last.

        ``check`` is called before each wait and after each wake-up, at least every
        :data:`POLL` seconds: it raises to stop the run.  ``on_hold`` is called once,
        when the wait starts to hold (paused), before it blocks: to show where it stopped.
        """
        if not self._paused.value and not self._rate.value:  # full speed: no lock, no wait
            return
        with self._cond:
            while True:
                rate = self._rate.value
                if self.holding():
                    delay = POLL
                elif rate:
                    delay = min(POLL, self._last + 1 / rate - time.monotonic())
                else:
                    delay = 0
                if delay <= 0:
                    break
                if on_hold is not None and self.holding():
                    on_hold()  # under the lock: a pause is shown before it holds, exactly once
                    on_hold = None
                check()
                self._cond.wait(delay)
                check()
        self._last = time.monotonic()
