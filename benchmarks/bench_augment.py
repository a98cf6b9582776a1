"""Does data augmentation slow training down?  Issue 3's bar: an augmented epoch
costs at most 1.5x a plain one on the big network.

Measures, on the 60,000 MNIST training images:

1. augmentation alone (``augmented_epoch``, the default ``AugmentConfig``:
   shifts, affine and Simard's elastic distortions), one thread: images/s;
2. epochs of 784-800-800-10 (ReLU, He init, batch 128, plain SGD), plain vs
   with :class:`steepest.augment.AugmentedEpochs` distorting the next epoch in
   a background thread, at 1 and 2 BLAS threads (threadpoolctl).

Plain and augmented epochs alternate (two networks, same seed), so a load
from other processes on a shared machine hits both alike; the ratio is given
of the means and of the minima (the least disturbed epochs).  An augmented
epoch is timed as ``train(..., epoch_data=prefetcher)`` records it: the wait
for its images, if any, is part of it, and the worker makes the next epoch
during it (and only then: it rests while the plain epoch runs).  The first
pair is a warm-up; the first augmented epoch, which has to wait for its own
images, is reported separately as the cold start.

Results: benchmarks/results/augment.json and .md (record.py), which the READMEs quote.

Run:  python benchmarks/bench_augment.py [--epochs 4] [--threads 1 2] [--quick]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from threadpoolctl import threadpool_limits

from record import Recorder, run_mode
from steepest.augment import AugmentConfig, AugmentedEpochs, augmented_epoch
from steepest.datasets import mnist
from steepest.network import Network
from steepest.optimizers import SGD
from steepest.training import train

GOAL_RATIO = 1.5  # issue 3: an augmented epoch costs at most 1.5x a plain one


def time_augmentation(x: np.ndarray, config: AugmentConfig, repeats: int) -> list[float]:
    """Seconds to augment all of ``x`` once, on one thread, ``repeats`` times."""
    times = []
    with threadpool_limits(1):
        for r in range(repeats):
            t0 = time.perf_counter()
            augmented_epoch(x, config, seed=0, epoch=r + 1)
            times.append(time.perf_counter() - t0)
    return times


class Run:
    """The big network and its optimizer, trained one epoch at a time."""

    def __init__(self, x, y, lr: float, seed: int, epoch_data=None) -> None:
        self.x, self.y, self.epoch_data = x, y, epoch_data
        self.rng = np.random.default_rng(seed)
        self.net = Network((784, 800, 800, 10), activation="relu", init="he", rng=self.rng)
        self.opt = SGD(self.net.parameters(), lr)

    def epoch(self, epoch: int) -> float:
        (record,) = train(
            self.net, self.opt, self.x, self.y, epochs=1, batch_size=128, rng=self.rng,
            start_epoch=epoch, epoch_data=self.epoch_data,
        )  # fmt: skip
        return record.seconds


def paired_epochs(x, y, config, *, epochs: int, lr: float, seed: int):
    """Seconds per epoch (plain, augmented; warm-up pair dropped), cold start, the two runs."""
    plain, augmented = [], []
    with AugmentedEpochs(x, config, seed=seed) as prefetcher:
        runs = Run(x, y, lr, seed), Run(x, y, lr, seed, epoch_data=prefetcher)
        runs[0].epoch(1)  # warm-up
        cold = runs[1].epoch(1)  # waits for epoch 1's images, made while nothing else runs
        for e in range(2, epochs + 2):
            plain.append(runs[0].epoch(e))
            augmented.append(runs[1].epoch(e))
    return plain, augmented, cold, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=4, help="timed epoch pairs per setting")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="BLAS threads")
    parser.add_argument("--repeats", type=int, default=3, help="augmentation-only repeats")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="1 timed pair, 1 BLAS thread, 1 augmentation repeat (about 40 s)")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    recorder = Recorder("augment", run_mode(parser, args))
    if args.quick:
        args.epochs, args.threads, args.repeats = 1, [1], 1

    (x, y), (x_test, y_test) = mnist.load_data()
    config = AugmentConfig()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    print(f"augmentation: {config}")

    aug_times = time_augmentation(x, config, args.repeats)
    best = min(aug_times)
    print(
        f"augment {len(x):,} images, 1 thread: best {best:.2f} s "
        f"({len(x) / best:,.0f} images/s), all: {', '.join(f'{t:.2f}' for t in aug_times)} s"
    )

    print("\n784-800-800-10 relu/he, batch 128, SGD; seconds per epoch")
    print("| BLAS threads | plain | augmented | cold start | ratio | pairs plain/augmented |")
    print("|---|---|---|---|---|---|")
    rows = []
    for n in args.threads:
        with threadpool_limits(n):
            plain, augmented, cold, runs = paired_epochs(
                x, y, config, epochs=args.epochs, lr=args.lr, seed=args.seed
            )
        p, a = float(np.mean(plain)), float(np.mean(augmented))
        p_min, a_min = min(plain), min(augmented)
        pairs = ", ".join(f"{u:.1f}/{v:.1f}" for u, v in zip(plain, augmented))
        print(
            f"| {n} | {p:.2f} (min {p_min:.2f}) | {a:.2f} (min {a_min:.2f}) | {cold:.2f} "
            f"| {a / p:.2f}x (min/min {a_min / p_min:.2f}x) | {pairs} |"
        )
        rows.append({"threads": n, "plain_s": plain, "augmented_s": augmented, "cold_start_s": cold,
                     "ratio_means": a / p, "ratio_minima": a_min / p_min,
                     "test_accuracy": {"plain": runs[0].net.accuracy(x_test, y_test),
                                       "augmented": runs[1].net.accuracy(x_test, y_test)}})
    for row in rows:
        acc = row["test_accuracy"]
        print(
            f"sanity, {row['threads']} BLAS thread(s), after {args.epochs + 1} epochs: test "
            f"accuracy plain {acc['plain']:.2%}, augmented {acc['augmented']:.2%}"
        )
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    settings = {k: getattr(args, k) for k in ("epochs", "threads", "repeats", "lr", "seed")}
    path = recorder.write({
        "settings": settings, "goal_ratio": GOAL_RATIO,
        "augment_only": {"images": len(x), "seconds": aug_times, "images_per_s": len(x) / best},
        "epochs": rows,
    })
    print(f"results: {path} and {path.with_suffix('.md').name}")


if __name__ == "__main__":
    main()
