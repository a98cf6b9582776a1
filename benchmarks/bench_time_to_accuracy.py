"""Time to 98.0 % test accuracy: steepest against PyTorch, the same recipe on both.

Goal (issue 3): steepest reaches 98.0 % on the 10,000 MNIST test images in less
wall-clock training time than PyTorch trained the same way.

The recipe (one place, :data:`RECIPE`): 784-256-256-10, ReLU, He init, Adam
(lr 1e-3, betas 0.9/0.999, eps 1e-8), mini-batches of 64, the full 60,000
training images shuffled every epoch, at most 20 epochs, one BLAS / torch
thread (what ``steepest train`` picks for products this size; on 2 shared
cores a second thread is a gamble).  Both sides

* start from the same weights (a steepest ``Network`` built with the seed is
  copied into ``torch.nn.Linear`` layers, ``W`` transposed);
* see the same batches in the same order (each epoch's permutation comes from
  ``numpy.random.default_rng(seed)``, as in ``steepest.training``);
* stop the clock for scoring: after every epoch the test set is scored outside
  the timer, and the run stops at the first epoch >= 98.0 %.

PyTorch runs in a separate process (``_torch_time_to_accuracy.py``) so its
threads and allocator do not share a process with NumPy's.  Without torch it
prints "PyTorch not installed; skipped" and only steepest's figures.

Results: benchmarks/results/time_to_accuracy.json and .md (record.py), which the READMEs
quote.  ``--quick`` stops each side after 2 epochs, usually short of the target.

Run:  python benchmarks/bench_time_to_accuracy.py [--target 0.98] [--max-epochs 20] [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from record import Recorder, run_mode
from render import reached
from steepest.blas import limit_blas_threads
from steepest.datasets import mnist
from steepest.network import Network
from steepest.optimizers import Adam
from steepest.training import train

RECIPE = {
    "sizes": [784, 256, 256, 10],
    "activation": "relu",
    "init": "he",
    "learning_rate": 1e-3,
    "batch_size": 64,
    "seed": 0,
    "threads": 1,
}


def steepest_run(target: float, max_epochs: int) -> list[dict]:
    (x, y), (xt, yt) = mnist.load_data()
    r = RECIPE
    net = Network(r["sizes"], r["activation"], r["init"], rng=np.random.default_rng(r["seed"]))
    opt = Adam(net.parameters(), learning_rate=r["learning_rate"])
    rng = np.random.default_rng(r["seed"])  # the batch order, shared with the torch side
    epochs, clock = [], 0.0
    with limit_blas_threads(r["threads"]):
        for epoch in range(1, max_epochs + 1):
            t0 = time.perf_counter()
            train(net, opt, x, y, epochs=1, batch_size=r["batch_size"], rng=rng,
                  start_epoch=epoch)
            clock += time.perf_counter() - t0
            acc = net.accuracy(xt, yt)  # outside the clock
            epochs.append({"epoch": epoch, "seconds": clock, "test_accuracy": acc})
            if acc >= target:
                break
    return epochs


def torch_run(target: float, max_epochs: int) -> tuple[list[dict], str] | None:
    """PyTorch's epochs and torch's version, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    script = Path(__file__).with_name("_torch_time_to_accuracy.py")
    spec = {**RECIPE, "target": target, "max_epochs": max_epochs}
    out = subprocess.run([sys.executable, str(script)], input=json.dumps(spec),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout), torch.__version__


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", type=float, default=0.98)
    ap.add_argument("--max-epochs", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="at most 2 epochs a side (about 15 s)")
    args = ap.parse_args()
    recorder = Recorder("time_to_accuracy", run_mode(ap, args))
    if args.quick:
        args.max_epochs = min(args.max_epochs, 2)
    r = RECIPE
    print(f"recipe: {'-'.join(map(str, r['sizes']))} {r['activation']}, {r['init']} init, Adam "
          f"lr {r['learning_rate']:g}, batch {r['batch_size']}, {r['threads']} thread; target "
          f"{100 * args.target:.1f} % test accuracy")
    results = {"steepest": steepest_run(args.target, args.max_epochs)}
    torch_side = torch_run(args.target, args.max_epochs)
    if torch_side is None:
        print("PyTorch not installed; skipped")
    else:
        results["pytorch"] = torch_side[0]
    for name, epochs in results.items():
        trail = "  ".join(f"{e['epoch']}: {100 * e['test_accuracy']:.2f}% @ {e['seconds']:.1f}s"
                          for e in epochs)
        print(f"{name:>8}: {trail}")
    hit = {name: reached(epochs, args.target) for name, epochs in results.items()}
    for name, e in hit.items():
        if e is None:
            print(f"{name:>8}: did not reach {100 * args.target:.1f} % in {args.max_epochs} epochs")
        else:
            print(f"{name:>8}: reached {100 * e['test_accuracy']:.2f} % after {e['epoch']} "
                  f"epochs, {e['seconds']:.1f} s of training")
    if hit.get("steepest") and hit.get("pytorch"):
        ratio = hit["pytorch"]["seconds"] / hit["steepest"]["seconds"]
        verdict = "steepest is faster" if ratio > 1 else "PyTorch is faster"
        print(f"time to {100 * args.target:.1f} %: PyTorch / steepest = {ratio:.2f}x ({verdict})")
    path = recorder.write({
        "recipe": RECIPE, "target": args.target, "max_epochs": args.max_epochs,
        "torch_version": None if torch_side is None else torch_side[1],
        "steepest": results["steepest"], "pytorch": results.get("pytorch"),
    })
    print(f"results: {path} and {path.with_suffix('.md').name}")


if __name__ == "__main__":
    main()
