"""Learning-rate schedules: ``lambda`` as a function of the update step.

A schedule maps the global step ``t = 0, 1, 2, ...`` (counted over the whole
run, so a resumed run picks up where it stopped) to the learning rate used
for that step.

* ``constant``: ``lambda_t = lambda``, the lecture's.
* ``step``: ``lambda_t = lambda * gamma ** floor(epoch / every)``, the classic
  "divide by 10 every 30 epochs" (here ``gamma`` and ``every`` are yours).
* ``cosine``: a linear warm-up from ``lambda / W`` to ``lambda`` over the first
  ``W`` steps (Goyal et al. 2017), then half a cosine towards 0 (Loshchilov &
  Hutter 2017, SGDR without restarts):
  ``lambda_t = lambda * (1 + cos(pi * (t - W) / (T - W))) / 2`` for ``T`` steps
  ``t = 0 .. T - 1``.  It would reach 0 at ``t = T``, one step after the last,
  so the last step still moves (by ``lambda * (1 - cos(pi / (T - W))) / 2``,
  tiny for long runs).
"""

from __future__ import annotations

import math
from collections.abc import Callable


def constant(base: float) -> Callable[[int], float]:
    """``lambda_t = lambda``.

    >>> constant(0.5)(1000)
    0.5
    """
    return lambda t: base


def step_decay(
    base: float, steps_per_epoch: int, every: int, gamma: float
) -> Callable[[int], float]:
    """Multiply by ``gamma`` every ``every`` epochs.

    >>> f = step_decay(1.0, steps_per_epoch=10, every=2, gamma=0.5)
    >>> [f(t) for t in (0, 19, 20, 39, 40)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    if every < 1:
        raise ValueError(f"step decay needs every >= 1 epoch, got {every!r}")
    if not 0 < gamma <= 1:
        raise ValueError(f"step decay gamma must be in (0, 1], got {gamma!r}")
    return lambda t: base * gamma ** ((t // steps_per_epoch) // every)


def cosine(base: float, total_steps: int, warmup_steps: int = 0) -> Callable[[int], float]:
    """Linear warm-up for ``warmup_steps``, then cosine decay that would reach 0 at ``total_steps``.

    Steps run from 0 to ``total_steps - 1``, so the rate never quite reaches 0.

    >>> f = cosine(1.0, total_steps=10, warmup_steps=2)
    >>> [round(f(t), 3) for t in (0, 1, 2, 6, 9)]
    [0.5, 1.0, 1.0, 0.5, 0.038]
    """
    if total_steps < 1:
        raise ValueError(f"cosine needs total_steps >= 1, got {total_steps!r}")
    warmup_steps = min(max(int(warmup_steps), 0), total_steps - 1)

    def f(t: int) -> float:
        if t < warmup_steps:
            return base * (t + 1) / warmup_steps
        progress = (t - warmup_steps) / (total_steps - warmup_steps)
        return base * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    return f


SCHEDULES = ("constant", "step", "cosine")


def make(
    name: str,
    base: float,
    *,
    steps_per_epoch: int,
    epochs: int,
    step_every: int = 10,
    step_gamma: float = 0.1,
    warmup_epochs: float = 0.0,
) -> Callable[[int], float]:
    """Build the schedule ``name`` for a run of ``epochs`` epochs.

    >>> round(make("cosine", 0.1, steps_per_epoch=100, epochs=10, warmup_epochs=1)(50), 4)
    0.051
    """
    if name == "constant":
        return constant(base)
    if name == "step":
        return step_decay(base, steps_per_epoch, step_every, step_gamma)
    if name == "cosine":
        return cosine(base, steps_per_epoch * epochs, round(warmup_epochs * steps_per_epoch))
    raise ValueError(f"unknown schedule {name!r}; choose one of: {', '.join(SCHEDULES)}")
