"""The default ``steepest train``: how long it takes, how much memory it needs, what it scores.

Runs the first command a reader types -- ``steepest train`` with no flags: the
lecture's 784-15-10 sigmoid network, 40 epochs of SGD at batch 32, BLAS threads
as the CLI chooses them -- once per seed, each in its own process, and records
for each

* training seconds: the sum of the epochs' times, as the CLI reports them
  (read back from the ``history.json`` it writes);
* the whole command's wall-clock seconds: start-up, loading MNIST, scoring the
  test set after each epoch, saving the model;
* its peak resident memory (the child's ``ru_maxrss``, from ``os.wait4``);
* its test accuracy.

Results: benchmarks/results/default_train.json and .md (record.py), which the
READMEs quote.

Run:  python benchmarks/bench_default_train.py [--seeds 0 1 2] [--quick]
      (--quick: seed 0 only, 4 epochs)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from record import Recorder, run_mode


def train_once(seed: int, epochs: int | None, directory: Path) -> dict:
    """Run ``steepest train --seed SEED`` in a child process; its times, memory and score."""
    model = directory / f"seed{seed}" / "model.npz"
    command = [sys.executable, "-m", "steepest", "train", "--seed", str(seed),
               "--output", str(model)]
    if epochs is not None:
        command += ["--epochs", str(epochs)]
    log = directory / f"seed{seed}.log"
    with open(log, "w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        # wait4, not proc.wait(): it also returns the child's own resource usage.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"steepest train --seed {seed} failed:\n{log.read_text()[-2000:]}")
    try:
        history = json.loads((model.parent / "history.json").read_text())
        training = sum(e["seconds"] for e in history["epochs"])
        accuracy = history["meta"]["result"]["test_accuracy"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"cannot read the run's history.json ({exc!r})") from None
    return {"seed": seed, "epochs": len(history["epochs"]), "training_s": training,
            "wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024,  # Linux: KiB
            "test_accuracy": accuracy}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="seed 0 only, 4 epochs")
    args = parser.parse_args()
    recorder = Recorder("default_train", run_mode(parser, args))
    seeds, epochs = ([0], 4) if args.quick else (args.seeds, None)

    print(f"steepest train{'' if epochs is None else f' --epochs {epochs}'}, seeds {seeds}; "
          f"load average {os.getloadavg()[0]:.2f} at start")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            run = train_once(seed, epochs, Path(tmp))
            runs.append(run)
            print(f"seed {seed}: {run['epochs']} epochs, {run['training_s']:.2f} s of training, "
                  f"{run['wall_s']:.2f} s in all, peak RSS {run['peak_rss_mb']:.0f} MB, "
                  f"test accuracy {100 * run['test_accuracy']:.2f} %")
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    path = recorder.write({"command": "steepest train" + ("" if epochs is None
                                                          else f" --epochs {epochs}"),
                           "runs": runs})
    print(f"results: {path} and {path.with_suffix('.md').name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
