"""Training throughput: steepest's own loop, at 1 and 2 BLAS threads, against the matmul peak
and against PyTorch.

Goals (issue 2):

* the lecture's 784-15-10 network at batch 32 trains **>= 8x** as many samples/s as
  the same network trained the same way in PyTorch;
* 784-800-800-10 (ReLU, He init) at batch 128 reaches **>= 75 %** of this
  machine's float32 matmul peak.

What it does, in this order:

1. measures the float32 matmul peak: a large square ``sgemm`` (``A @ B``),
   best of several, at each thread count;
2. for each network below, times whole epochs of :func:`steepest.training.train`
   -- shuffle, uint8 -> float32 batches, forward, NLL, backward, SGD step --
   on the first ``n`` MNIST training images, alternating 1 and 2 BLAS threads
   (threadpoolctl) so that both see the same load, and keeps the best epoch;
3. counts the matmul FLOPs of one training sample -- forward ``2 n_in n_out``
   per layer, backward twice that, minus the first layer's ``dL/dx``, which
   steepest never computes -- and prints the achieved GFLOP/s and share of peak;
4. if ``import torch`` works, runs ``benchmarks/_torch_train.py`` in a
   separate process, which trains the same networks the same way in PyTorch
   (same sizes, same initial weights, plain SGD, same batch size and learning
   rate, float32, the same images as float32 tensors) with
   ``torch.set_num_threads`` matched, and prints steepest / PyTorch.

Timing notes: the machine has 2 cores shared with other people, so every
figure is the best of several epochs (the least disturbed one).  A 2-thread
OpenBLAS next to any other busy thread can slow a small matmul ~50x, so both
thread counts are measured and the faster is "chosen" for each network; the
last column says which.  ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` are left
as the environment sets them; the kernel in use is printed at the top.

Results: benchmarks/results/training.json and .md (record.py), which the READMEs quote.

Run:  python benchmarks/bench_training.py [--quick] [--threads 1,2] [--repeat N] [--no-torch]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from record import Recorder, run_mode
from steepest.blas import limit_blas_threads as blas_threads
from steepest.datasets import mnist
from steepest.network import Network
from steepest.optimizers import SGD
from steepest.training import train

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # the benchmark still runs, at the library's default thread count
    threadpool_info = threadpool_limits = None

HERE = Path(__file__).resolve().parent
TORCH_HELPER = HERE / "_torch_train.py"

#: Goals, checked at the end.
LECTURE_VS_TORCH = 8.0  # lecture net at batch 32: steepest samples/s >= 8x PyTorch's
BIG_SHARE_OF_PEAK = 0.75  # 784-800-800-10 at batch 128: >= 75 % of the sgemm peak


@dataclass(frozen=True)
class Case:
    """One network and batch size to time."""

    name: str
    sizes: tuple[int, ...]
    activation: str
    init: str
    batch_size: int
    learning_rate: float
    samples: int  # training images per timed epoch
    quick_samples: int  # ... with --quick (keeps --quick well under 2 minutes)


CASES = [
    Case("lecture b10", (784, 15, 10), "sigmoid", "normal", 10, 1.0, 60_000, 10_000),
    Case("lecture b32", (784, 15, 10), "sigmoid", "normal", 32, 1.0, 60_000, 10_000),
    Case("lecture b128", (784, 15, 10), "sigmoid", "normal", 128, 1.0, 60_000, 10_000),
    Case("784-100-10 b32", (784, 100, 10), "sigmoid", "normal", 32, 1.0, 60_000, 10_000),
    Case("784-800-800-10 b128", (784, 800, 800, 10), "relu", "he", 128, 0.1, 7_680, 2_560),
]


def matmul_flops_per_sample(sizes: tuple[int, ...]) -> int:
    """Forward ``2 n_in n_out`` per layer; backward ``dL/dW`` and ``dL/dx`` as much again
    each, except the first layer's ``dL/dx`` (never needed, never computed)."""
    layers = [2 * n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return 3 * sum(layers) - layers[0]


def blas_kernel() -> str:
    if threadpool_info is None:
        return "unknown (threadpoolctl not installed)"
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(
        f"{i.get('internal_api')} {i.get('version')} kernel={i.get('architecture')} "
        f"max_threads={i.get('num_threads')}"
        for i in blas
    ) or "none found"


def sgemm_peak(threads: int, n: int, repeats: int) -> float:
    """Best float32 ``n x n`` matmul rate in GFLOP/s (``2 n^3`` FLOPs per product)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty((n, n), np.float32)
    best = np.inf
    with blas_threads(threads):
        np.matmul(a, b, out=c)  # warm-up: threads started, pages touched
        for _ in range(repeats):
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def choose_threads(rates: dict) -> int | None:
    """2 BLAS threads only if clearly faster (>= 1.3x): on 2 shared cores the second
    thread takes another person's core, and next to any busy thread it can make a
    small matmul 50x slower."""
    if 1 in rates and 2 in rates:
        return 2 if rates[2] >= 1.3 * rates[1] else 1
    return max(rates, key=lambda t: rates[t])


def time_steepest(case: Case, x, y, n: int, threads: list, repeats: int, budget: float) -> dict:
    """Best epoch time (s) per thread count, each with its own freshly built network.

    A thread count stops repeating once its epochs have taken ``budget`` seconds
    (a 2-thread BLAS next to a busy core can be 50x slower: don't wait for it).
    """
    runs = {}
    for t in threads:
        with blas_threads(t):
            net = Network(case.sizes, case.activation, case.init, rng=np.random.default_rng(0))
            opt = SGD(net.parameters(), case.learning_rate)
            # Warm-up epoch on a slice: first-call costs (buffers, BLAS threads) not timed.
            train(net, opt, x[: 4 * case.batch_size], y[: 4 * case.batch_size], epochs=1,
                  batch_size=case.batch_size, rng=np.random.default_rng(1))
        runs[t] = {"net": net, "opt": opt, "times": [], "cpu": [], "loss": None}
    shuffle = np.random.default_rng(2)
    for _ in range(repeats):
        for t in threads:  # alternate, so both thread counts see the same background load
            r = runs[t]
            if sum(r["times"]) > budget:
                continue
            with blas_threads(t):
                t0, c0 = time.perf_counter(), time.thread_time()
                (record,) = train(r["net"], r["opt"], x[:n], y[:n], epochs=1,
                                  batch_size=case.batch_size, rng=shuffle)
                r["cpu"].append(time.thread_time() - c0)
                r["times"].append(time.perf_counter() - t0)
            r["loss"] = record.train_loss
    # "cpu": this thread's CPU time -- with 1 BLAS thread all the work, so n / cpu is
    # the rate while the code has a core, whatever else runs on the machine.
    return {t: {"best": min(r["times"]), "median": float(np.median(r["times"])),
                "cpu": min(r["cpu"]), "runs": len(r["times"]), "loss": r["loss"]}
            for t, r in runs.items()}


def torch_available() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True)
    return probe.returncode == 0


def time_torch(
    cases: list[Case], ns: list[int], threads: list, repeats: int, budget: float
) -> list[dict]:
    """Run the PyTorch helper in its own process; one dict per case: thread -> best seconds."""
    spec = {
        "cases": [dict(asdict(c), samples=n) for c, n in zip(cases, ns)],
        "threads": [t if t is not None else 0 for t in threads],
        "repeats": repeats,
        "budget": budget,
    }
    proc = subprocess.run(
        [sys.executable, str(TORCH_HELPER)], input=json.dumps(spec), capture_output=True,
        text=True, timeout=900,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the PyTorch helper failed:\n{proc.stderr.strip()}")
    return json.loads(proc.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer images per epoch and fewer repeats (well under 2 minutes)")
    parser.add_argument("--threads", default="1,2", help="BLAS thread counts to compare")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed epochs per case and thread count (default 5, quick 3)")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    args = parser.parse_args(argv)
    recorder = Recorder("training", run_mode(parser, args), argv)

    repeats = args.repeat or (3 if args.quick else 5)
    budget = 3.0 if args.quick else 10.0  # seconds of timed epochs per case and thread count
    threads: list = [int(t) for t in args.threads.split(",")]
    if threadpool_limits is None:
        print("threadpoolctl not installed: measuring at the library's default thread count only")
        threads = [None]
    (x, y), _ = mnist.load_data()
    ns = [c.quick_samples if args.quick else c.samples for c in CASES]

    print(f"BLAS: {blas_kernel()}")
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    print(f"environment: {env or 'no OPENBLAS_* overrides'}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f}")
    peak_n = 1024 if args.quick else 2048
    peak = {t: max(sgemm_peak(t, peak_n, repeats + 2), sgemm_peak(t, peak_n // 2, repeats + 4))
            for t in threads}
    print("float32 matmul peak (best square sgemm): "
          + ", ".join(f"{_tn(t)}: {g:.0f} GFLOP/s" for t, g in peak.items()))
    print(f"each figure: best of up to {repeats} epochs of steepest.training.train "
          f"(a fresh shuffle each; threads alternated; at most ~{budget:.0f} s each)\n")

    results = []
    print(f"{'':<29}" + "".join(f"{_tn(t):-^30}  " for t in threads))
    print(f"{'case':<21} {'images':>7}"
          + f" {'samples/s':>11} {'GFLOP/s':>8} {'of peak':>7}  " * len(threads)
          + f"{'chose':<10} {'loss':>6}")
    for case, n in zip(CASES, ns):
        timing = time_steepest(case, x, y, n, threads, repeats, budget)
        rates = {t: n / timing[t]["best"] for t in threads}
        chosen = choose_threads(rates)
        gflops = {t: matmul_flops_per_sample(case.sizes) * rates[t] / 1e9 for t in threads}
        share = {t: gflops[t] / peak[t] for t in threads}
        results.append({"case": case, "n": n, "rates": rates, "chosen": chosen,
                        "share": share[chosen], "timing": timing})
        print(f"{case.name:<21} {n:>7,}"
              + "".join(f" {rates[t]:>11,.0f} {gflops[t]:>8.1f} {share[t]:>7.0%}  "
                        for t in threads)
              + f"{_tn(chosen):<10} {timing[chosen]['loss']:>6.3f}", flush=True)
    print("GFLOP/s: matmul FLOPs only; of peak: against the same thread count's sgemm peak; "
          "chose: 2 threads\nonly if >= 1.3x faster; loss: mean training NLL of the last "
          "timed epoch (a sanity check)")
    if 1 in threads:
        print("1 thread, per CPU-second of the training thread (what the code does while it has "
              "a core, whatever else runs):")
        for r in results:
            per_cpu = r["n"] / r["timing"][1]["cpu"]
            share = matmul_flops_per_sample(r["case"].sizes) * per_cpu / 1e9 / peak[1]
            print(f"  {r['case'].name:<21} {per_cpu:>10,.0f} samples/s  {share:>4.0%} of peak")

    print()
    torch_rates = torch_version = None
    if args.no_torch:
        print("PyTorch comparison skipped (--no-torch)")
    elif not torch_available():
        print("PyTorch not installed; skipped")
    else:
        torch_out = time_torch(CASES, ns, threads, repeats, budget)
        torch_version = torch_out[0]["version"]
        print(f"PyTorch {torch_out[0]['version']}, in a separate process: same initial weights, "
              "plain SGD, float32 tensors,\nbatches sliced from tensors shuffled before the "
              "timer, torch.set_num_threads matched; ratio = steepest / PyTorch samples/s")
        torch_rates = []
        print(f"{'case':<21} " + " ".join(f"{'torch ' + _tn(t):>15} {'ratio':>6}"
                                          for t in threads) + f"  {'loss':>6}")
        for r, tr in zip(results, torch_out):
            rates = {t: r["n"] / tr["best"][str(t if t is not None else 0)] for t in threads}
            torch_rates.append(rates)
            print(f"{r['case'].name:<21} " + " ".join(
                f"{rates[t]:>15,.0f} {r['rates'][t] / rates[t]:>5.1f}x" for t in threads)
                + f"  {tr['loss']:>6.3f}")

    print("\nGoals:")
    lecture = results[1]
    if torch_rates is not None:
        t = lecture["chosen"]
        ratio = lecture["rates"][t] / torch_rates[1][t]
        verdict = "met" if ratio >= LECTURE_VS_TORCH else "NOT met"
        print(f"  lecture net, batch 32, {_tn(t)}: {ratio:.1f}x PyTorch's samples/s "
              f"(goal >= {LECTURE_VS_TORCH:.0f}x): {verdict}")
    else:
        print("  lecture net vs PyTorch: not measured (no PyTorch)")
    big = results[-1]
    verdict = "met" if big["share"] >= BIG_SHARE_OF_PEAK else "NOT met"
    print(f"  784-800-800-10, batch 128, {_tn(big['chosen'])}: {big['share']:.0%} of the matmul "
          f"peak (goal >= {BIG_SHARE_OF_PEAK:.0%}): {verdict}")
    print(f"load average now {os.getloadavg()[0]:.2f} (2 cores): "
          "figures taken under load understate what the code does alone")
    settings = {"threads": [_tk(t) for t in threads], "repeats": repeats, "budget_s": budget,
                "peak_n": peak_n}
    path = recorder.write(figures(settings, peak, results, torch_rates, torch_version))
    print(f"results: {path} and {path.with_suffix('.md').name}")
    return 0


def figures(settings: dict, peak: dict, results: list, torch_rates, torch_version) -> dict:
    """What the run measured, for benchmarks/results/training.json (thread counts as keys)."""
    cases = []
    for i, r in enumerate(results):
        case, timing, rates = r["case"], r["timing"], r["rates"]
        flops = matmul_flops_per_sample(case.sizes)
        per_cpu = None
        if 1 in timing:
            cpu_rate = r["n"] / timing[1]["cpu"]
            per_cpu = {"samples_per_s": cpu_rate, "share_of_peak": flops * cpu_rate / 1e9 / peak[1]}
        cases.append({
            "case": case.name, "sizes": list(case.sizes), "activation": case.activation,
            "batch_size": case.batch_size, "images": r["n"],
            "samples_per_s": {_tk(t): v for t, v in rates.items()},
            "gflops": {_tk(t): flops * v / 1e9 for t, v in rates.items()},
            "share_of_peak": {_tk(t): flops * v / 1e9 / peak[t] for t, v in rates.items()},
            "epochs_timed": {_tk(t): timing[t]["runs"] for t in timing},
            "chosen_threads": _tk(r["chosen"]), "loss": timing[r["chosen"]]["loss"],
            "per_cpu_1_thread": per_cpu,
            "torch_samples_per_s": (None if torch_rates is None else
                                    {_tk(t): v for t, v in torch_rates[i].items()}),
        })
    return {"settings": settings, "peak_gflops": {_tk(t): g for t, g in peak.items()},
            "torch_version": torch_version, "cases": cases,
            "goals": {"lecture_vs_torch": LECTURE_VS_TORCH, "big_share_of_peak": BIG_SHARE_OF_PEAK}}


def _tk(t) -> str:
    """A thread count as a JSON key: "1", "2", or "default" (no threadpoolctl)."""
    return "default" if t is None else str(t)


def _tn(t) -> str:
    return "default threads" if t is None else f"{t} thread" + ("s" if t != 1 else "")


if __name__ == "__main__":
    sys.exit(main())
