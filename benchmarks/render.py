"""Results documents (record.py) as markdown: one table per benchmark, and the figures quoted.

Nothing here measures or rounds differently from one place to another: every
figure the READMEs and the site show is formatted here, from ``benchmarks/results/*.json``.
"""

from __future__ import annotations

from collections.abc import Callable

from steepest.machine import blas_label
from steepest.messages import plural

MODE_NOTE = {
    "full": "full run",
    "quick": "**quick run** (`--quick`: shorter and noisier than the full benchmark)",
    "custom": "**custom run** (not the benchmark's defaults: see the command)",
}


def threads_label(key: str) -> str:
    return "default threads" if key == "default" else plural(int(key), "thread")


def pct(share: float) -> str:
    return f"{100 * share:.0f} %"


def environment_line(doc: dict) -> str:
    """Where and how a run happened, in one sentence: date, command, mode, CPU, BLAS, load."""
    m, load = doc["machine"], doc["load_average"]
    limits = ", ".join(str(p.get("num_threads")) for p in m.get("blas", []))
    env = ", ".join(f"`{k}={v}`" for k, v in sorted(m.get("blas_env", {}).items()))
    return (
        f"Recorded {doc['started'][:16].replace('T', ' ')} UTC by `{doc['command']}`, "
        f"{MODE_NOTE[doc['mode']]}, {doc['seconds']:.0f} s; {m['cpu_model']}, "
        f"{m['logical_cores']} logical cores; {blas_label(m)}"
        + (f" (up to {limits} threads)" if limits else "")
        + (f", {env}" if env else "")
        + f"; NumPy {m['numpy']}, Python {m['python']}; load average {load['start'][0]:.2f} "
        f"at start, {load['end'][0]:.2f} at end."
    )


def run_label(doc: dict) -> str:
    """The short provenance each quoted figure carries: date, BLAS kernel, and the mode."""
    mode = "" if doc["mode"] == "full" else f", {doc['mode']} run"
    return f"{doc['started'][:10]}, {blas_label(doc['machine'])}{mode}"


# ---------------------------------------------------------------------------
# One table per benchmark


def training_table(f: dict) -> str:
    threads = f["settings"]["threads"]
    torch = f["torch_version"] is not None
    head = (["case", "images/epoch"] + [f"samples/s, {threads_label(t)}" for t in threads]
            + ["chosen", "GFLOP/s, share of peak"])
    if torch:
        head += ["PyTorch samples/s (same threads)", "steepest / PyTorch"]
    lines = ["| " + " | ".join(head) + " |", "|---|---:|" + "---:|" * len(threads) + "---|---|"
             + ("---:|---:|" if torch else "")]
    for c in f["cases"]:
        t = c["chosen_threads"]
        cells = [c["case"], f"{c['images']:,}"] + [f"{c['samples_per_s'][k]:,.0f}" for k in threads]
        cells += [threads_label(t), f"{c['gflops'][t]:.1f}, {pct(c['share_of_peak'][t])}"]
        if torch:
            ratio = c["samples_per_s"][t] / c["torch_samples_per_s"][t]
            cells += [f"{c['torch_samples_per_s'][t]:,.0f}", f"{ratio:.1f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    peak = ", ".join(f"{g:.0f} GFLOP/s on {threads_label(t)}" for t, g in f["peak_gflops"].items())
    lines += ["", f"Float32 matmul peak (best square sgemm): {peak}."]
    per_cpu = [c for c in f["cases"] if c["per_cpu_1_thread"]]
    if per_cpu:
        lines.append("On 1 thread, per CPU-second of the training thread: " + "; ".join(
            f"{c['case']} {c['per_cpu_1_thread']['samples_per_s']:,.0f} samples/s "
            f"({pct(c['per_cpu_1_thread']['share_of_peak'])} of peak)" for c in per_cpu) + ".")
    lecture, big = find_case(f, "lecture b32"), find_case(f, "784-800-800-10 b128")
    goal = f["goals"]
    if torch:
        ratio = torch_ratio(lecture)
        verdict = "met" if ratio >= goal["lecture_vs_torch"] else "not met"
        lecture_goal = f"{ratio:.1f}x, {verdict}"
    else:
        lecture_goal = "not measured (no PyTorch)"
    share = big["share_of_peak"][big["chosen_threads"]]
    verdict = "met" if share >= goal["big_share_of_peak"] else "not met"
    lines.append(
        f"Goals (issue 2): lecture net at batch 32 >= {goal['lecture_vs_torch']:g}x PyTorch: "
        f"{lecture_goal}; 784-800-800-10 at batch 128 >= {pct(goal['big_share_of_peak'])} of "
        f"the peak: {pct(share)}, {verdict}.")
    if torch:
        lines.append(f"PyTorch {f['torch_version']}.")
    return "\n".join(lines)


def find_case(f: dict, name: str) -> dict:
    return next(c for c in f["cases"] if c["case"] == name)


def torch_ratio(case: dict) -> float:
    t = case["chosen_threads"]
    return case["samples_per_s"][t] / case["torch_samples_per_s"][t]


def augment_table(f: dict) -> str:
    lines = ["| BLAS threads | plain epoch, mean / min | augmented epoch, mean / min | cold start "
             "| augmented / plain, means / minima | timed pairs |", "|---|---|---|---|---|---:|"]
    for r in f["epochs"]:
        p, a = r["plain_s"], r["augmented_s"]
        lines.append(
            f"| {r['threads']} | {sum(p) / len(p):.2f} s / {min(p):.2f} s "
            f"| {sum(a) / len(a):.2f} s / {min(a):.2f} s | {r['cold_start_s']:.2f} s "
            f"| **{r['ratio_means']:.2f}x** / {r['ratio_minima']:.2f}x | {len(p)} |")
    aug = f["augment_only"]
    lines += ["", f"Augmentation alone, 1 thread: {min(aug['seconds']):.2f} s per "
              f"{aug['images']:,} images ({aug['images_per_s']:,.0f} images/s), best of "
              f"{len(aug['seconds'])}. Test accuracy after {f['settings']['epochs'] + 1} epochs: "
              + "; ".join(f"{r['threads']} thread(s) plain {100 * r['test_accuracy']['plain']:.2f}"
                          f" %, augmented {100 * r['test_accuracy']['augmented']:.2f} %"
                          for r in f["epochs"]) + ".",
              f"Goal (issue 3): augmented / plain <= {f['goal_ratio']:g}x: " + "; ".join(
                  f"{r['ratio_means']:.2f}x at {r['threads']} thread(s), "
                  + ("met" if r["ratio_means"] <= f["goal_ratio"] else "not met")
                  for r in f["epochs"]) + "."]
    return "\n".join(lines)


def reached(epochs: list[dict], target: float) -> dict | None:
    """The first epoch at or above ``target`` test accuracy, if any."""
    return next((e for e in epochs if e["test_accuracy"] >= target), None)


def time_to_accuracy_table(f: dict) -> str:
    target = f"{100 * f['target']:.1f} %"
    lines = [f"| | epochs | training seconds to {target} | test accuracy then |",
             "|---|---:|---:|---:|"]
    sides = {"steepest": f["steepest"], "PyTorch": f["pytorch"]}
    for name, epochs in sides.items():
        if epochs is None:
            lines.append(f"| {name} | not measured (no PyTorch) | | |")
            continue
        hit = reached(epochs, f["target"])
        if hit is None:
            last = epochs[-1]
            lines.append(f"| {name} | {last['epoch']} | not reached ({last['seconds']:.1f} s "
                         f"run) | {100 * last['test_accuracy']:.2f} % |")
        else:
            lines.append(f"| {name} | {hit['epoch']} | {hit['seconds']:.1f} s "
                         f"| {100 * hit['test_accuracy']:.2f} % |")
    r = f["recipe"]
    lines += ["", f"Recipe: {'-'.join(map(str, r['sizes']))} {r['activation']}, {r['init']} init, "
              f"Adam lr {r['learning_rate']:g}, batch {r['batch_size']}, {r['threads']} thread, "
              f"seed {r['seed']}, at most {f['max_epochs']} epochs"
              + (f"; PyTorch {f['torch_version']}." if f["torch_version"] else ".")]
    return "\n".join(lines)


def web_latency_table(f: dict) -> str:
    s, ms = f["settings"], f["latency_ms"]
    lines = ["| clients | interval | load | requests | errors | p50 | p95 | p99 | max "
             f"| p99 <= {f['goal_p99_ms']:g} ms |", "|" + "---:|" * 9 + "---|",
             f"| {s['clients']} | {s['interval_s']:g} s | {s['duration_s']:g} s "
             f"| {f['requests']:,} ({f['requests_per_s']:.0f}/s) | {f['errors']} "
             f"| {ms['p50']:.2f} ms | {ms['p95']:.2f} ms | {ms['p99']:.2f} ms | {ms['max']:.2f} ms "
             f"| {'yes' if f['met'] else 'no'} |", ""]
    if s["training"]:
        before, after = f["epochs_during"]
        running = "yes" if f["still_training"] else "no"
        lines.append(f"A training job ran throughout: epochs {before} -> {after} during the "
                     f"measurement, still running at the end: {running}.")
    else:
        lines.append("No training job (`--no-training`).")
    return "\n".join(lines)


def default_train_table(f: dict) -> str:
    lines = ["| seed | epochs | training | in all | peak RSS | test accuracy |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in f["runs"]:
        lines.append(f"| {r['seed']} | {r['epochs']} | {r['training_s']:.2f} s "
                     f"| {r['wall_s']:.2f} s | {r['peak_rss_mb']:.0f} MB "
                     f"| {100 * r['test_accuracy']:.2f} % |")
    mean = sum(r["test_accuracy"] for r in f["runs"]) / len(f["runs"])
    lines += ["", f"`{f['command']}`, one process per seed; mean test accuracy {100 * mean:.2f} %."]
    return "\n".join(lines)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def sklearn_accuracy_gap(case: dict, n_test: int) -> tuple[float, float]:
    """steepest's mean accuracy minus MLPClassifier's, and two standard errors of it.

    The standard error is that of a difference of two accuracies on ``n_test``
    predictions each: ``sqrt(p1 (1 - p1) / n + p2 (1 - p2) / n)``.
    """
    p1 = _mean([r["accuracy"] for r in case["mlp"]])
    p2 = _mean([r["accuracy"] for r in case["steepest"]])
    return p2 - p1, 2 * ((p1 * (1 - p1) + p2 * (1 - p2)) / n_test) ** 0.5


def sklearn_speedup(case: dict, side: str = "mlp") -> float:
    """Mean fit seconds of ``side`` over SteepestClassifier's: how many times faster steepest is."""
    return _mean([r["fit_s"] for r in case[side]]) / _mean([r["fit_s"] for r in case["steepest"]])


def sklearn_table(f: dict) -> str:
    s = f["settings"]
    lines = ["| data | BLAS threads | MLPClassifier accuracy | SteepestClassifier accuracy "
             "| difference (2 SE) | MLPClassifier fit | SteepestClassifier fit "
             "| MLPClassifier / steepest |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for c in f["cases"]:
        gap, two_se = sklearn_accuracy_gap(c, s["n_test"][c["data"]])
        acc = {side: _mean([r["accuracy"] for r in c[side]]) for side in ("mlp", "steepest")}
        fit = {side: _mean([r["fit_s"] for r in c[side]]) for side in ("mlp", "steepest")}
        lines.append(
            f"| {c['data']} | {threads_label(c['threads'])} | {100 * acc['mlp']:.2f} % "
            f"| {100 * acc['steepest']:.2f} % | {100 * gap:+.2f} (±{100 * two_se:.2f}) "
            f"| {fit['mlp']:.2f} s | {fit['steepest']:.2f} s | **{sklearn_speedup(c):.2f}x** |")
    mnist = {c["threads"]: c for c in f["cases"] if c["data"] == "mnist"}
    lines.append("")
    if "mlp_float32" in mnist.get("1", {}):
        c = mnist["1"]
        lines.append(
            f"MLPClassifier on float32 X (1 thread), MNIST: fit "
            f"{_mean([r['fit_s'] for r in c['mlp_float32']]):.2f} s, accuracy "
            f"{100 * _mean([r['accuracy'] for r in c['mlp_float32']]):.2f} %, "
            f"{sklearn_speedup(c, 'mlp_float32'):.2f}x steepest's fit time.")
    r = f["recipe"]
    lines.append(
        f"Recipe: {'-'.join(map(str, r['hidden']))} hidden {r['activation']}, "
        f"{r['solver'].capitalize()} lr {r['learning_rate']:g}, batch {r['batch_size']}; "
        f"digits: {s['digits_epochs']} epochs, 5-fold CV (pixels / 16); MNIST: "
        f"{s['mnist_epochs']} epochs on {s['mnist_train']:,} training images, "
        f"{s['n_test']['mnist']:,} test images (pixels / 255); means of "
        f"{plural(s['repeats'], 'repeat')}; scikit-learn {f['sklearn_version']}.")
    verdicts = []
    for c in f["cases"]:
        gap, two_se = sklearn_accuracy_gap(c, s["n_test"][c["data"]])
        verdicts.append(f"{c['data']} at {threads_label(c['threads'])} "
                        + ("met" if gap >= -two_se else "not met"))
    speed = [f"{threads_label(t)} {sklearn_speedup(c):.2f}x, "
             + ("met" if sklearn_speedup(c) >= f["goal_speedup"] else "not met")
             for t, c in mnist.items()]
    lines.append(f"Goals (issue 8): accuracy equal within noise (2 SE) or better: "
                 f"{'; '.join(verdicts)}. MNIST fit >= {f['goal_speedup']:g}x faster than "
                 f"MLPClassifier: {'; '.join(speed)}.")
    if "table" in f:  # recorded since issue 14
        lines += sklearn_table_case(f["table"])
    return "\n".join(lines)


#: The table case's layouts of X, each with the C-ordered twin it is compared with.
SKLEARN_LAYOUTS = {
    "array": ("a C-ordered float64 array", "array"),
    "dataframe": ("the same values as a pandas DataFrame (column-major)", "array"),
    "scaled_array": ("StandardScaler's output, copied to C order", "scaled_array"),
    "scaled_dataframe": ("StandardScaler's output of the DataFrame (column-major)",
                         "scaled_array"),
}


def sklearn_layout_ratio(table: dict, name: str) -> float:
    """Mean fit seconds of layout ``name`` over its C-ordered twin's."""
    fit = table["fit_s"]
    return _mean(fit[name]) / _mean(fit[SKLEARN_LAYOUTS[name][1]])


def sklearn_table_case(t: dict) -> list[str]:
    """The DataFrame case: SteepestClassifier's fit per layout of X, then the pipeline."""
    lines = ["", f"A table: {t['rows']:,} MNIST rows as a DataFrame of {t['columns']} float64 "
             f"columns, {t['epochs']} epochs of the recipe.", "",
             "| X given to fit | SteepestClassifier fit | / the C-ordered array |",
             "|---|---:|---:|"]
    for name, (what, twin) in SKLEARN_LAYOUTS.items():
        ratio = sklearn_layout_ratio(t, name)
        shown = f"{ratio:.2f}x" if name == twin else f"**{ratio:.2f}x**"
        lines.append(f"| {what} | {_mean(t['fit_s'][name]):.2f} s | {shown} |")
    lines += ["", "| StandardScaler + classifier, 3-fold cross-validation on the DataFrame "
              "| BLAS threads | MLPClassifier | SteepestClassifier | MLPClassifier / steepest |",
              "|---|---|---:|---:|---:|"]
    for c in t["pipeline"]:
        acc = {side: _mean([r["accuracy"] for r in c[side]]) for side in ("mlp", "steepest")}
        wall = {side: _mean([r["seconds"] for r in c[side]]) for side in ("mlp", "steepest")}
        lines += [f"| wall time | {threads_label(c['threads'])} | {wall['mlp']:.2f} s "
                  f"| {wall['steepest']:.2f} s | **{wall['mlp'] / wall['steepest']:.2f}x** |",
                  f"| accuracy | {threads_label(c['threads'])} | {100 * acc['mlp']:.2f} % "
                  f"| {100 * acc['steepest']:.2f} % | |"]
    verdicts = [f"{name.replace('_', ' ')} {sklearn_layout_ratio(t, name):.2f}x, "
                + ("met" if sklearn_layout_ratio(t, name) <= t["goal_ratio"] else "not met")
                for name in ("dataframe", "scaled_dataframe")]
    lines += ["", f"Goal (issue 14): a column-major X fits in at most {t['goal_ratio']:g}x the "
              f"time of the same values in C order: {'; '.join(verdicts)}."]
    return lines


def sweep_table(f: dict) -> str:
    s, seq, sw, d, goal = f["settings"], f["sequential"], f["sweep"], f["derived"], f["goals"]
    n, m = s["trials"], d["mean"]
    lines = ["| how the trials ran | wall time | per trial | speed-up |", "|---|---:|---:|---:|",
             f"| one after another, in one process (no Dask, no Optuna) | {seq['wall_s']:.1f} s "
             f"| {seq['wall_s'] / n:.2f} s | 1.00x |",
             f"| sweep on {s['workers']} local workers: the trials | {sw['loop_s']:.1f} s "
             f"| {sw['loop_s'] / n:.2f} s | **{d['speedup_loop']:.2f}x** |",
             f"| sweep, with starting the cluster and sending the data | {sw['total_s']:.1f} s "
             f"| {sw['total_s'] / n:.2f} s | {d['speedup_total']:.2f}x |", ""]
    lines.append(
        f"{n} trials of {s['epochs']} epochs: {s['network']}, batch {s['batch_size']}, "
        f"{s['train_images']:,} training images, one learning rate each; "
        f"{m['train_s']:.2f} s of training per trial in the workers "
        f"({1000 * d['epoch_s']:.0f} ms per epoch).")
    lines.append(
        f"Overhead per trial ({s['workers']} workers x the trials' wall time, minus their "
        f"training time, per trial): **{d['overhead_per_trial_s']:.3f} s**, "
        f"{pct(d['overhead_share_of_trial'])} of these trials, "
        f"{100 * d['overhead_share_of_10s']:.1f} % of a 10-second trial. Measured parts: "
        f"storage calls {1000 * m['storage_s']:.0f} ms per trial "
        f"({1000 * d['storage_per_epoch_s']:.1f} ms per epoch: report and pruner), opening the "
        f"study on the worker {1000 * m['setup_s']:.0f} ms, submit-to-result beyond the trial "
        f"{1000 * d['scheduling_s']:.0f} ms; the driver's ask, submit, files and tell "
        f"{1000 * m['driver_s']:.0f} ms (while other trials run). Once per sweep: starting the "
        f"cluster {sw['cluster_start_s']:.1f} s, opening the storage {sw['storage_open_s']:.2f} s, "
        f"the training data to the workers {sw['data_to_workers_s']:.2f} s.")
    met = ("met" if d["speedup_loop"] >= goal["speedup"] else "not met",
           "met" if d["overhead_share_of_10s"] <= goal["overhead_share_of_10s"] else "not met")
    lines.append(
        f"Goals (issue 9): speed-up >= {goal['speedup']:g}x: {d['speedup_loop']:.3f}x on the "
        f"trials ({d['speedup_total']:.2f}x end to end), {met[0]}; overhead <= "
        f"{pct(goal['overhead_share_of_10s'])} of a 10-second trial: "
        f"{100 * d['overhead_share_of_10s']:.1f} %, {met[1]}.")
    return "\n".join(lines)


def sweep_limits(f: dict) -> tuple[float, float]:
    """Workers one scheduler's storage calls, and one driver, keep up with (busy share 1)."""
    d = f["derived"]
    trial_s = d["mean"]["train_s"] + d["mean"]["storage_s"] + d["mean"]["setup_s"]
    return d["epoch_s"] / d["storage_per_epoch_s"], trial_s / d["mean"]["driver_s"]


def sweep_projection(doc: dict, link: str) -> str:
    """The figures under "Scaling out" (docs/guide/sweeps.md): the measured overhead, projected
    to more workers; ``link`` is where the run's full record is, relative to that page."""
    f = doc["figures"]
    d, sw = f["derived"], f["sweep"]
    storage_max, driver_max = sweep_limits(f)
    once = sw["cluster_start_s"] + sw["storage_open_s"] + sw["data_to_workers_s"]
    lines = [f"Measured ([{run_label(doc)}]({link})): "
             f"**{d['overhead_per_trial_s']:.2f} s of overhead per trial** "
             f"({100 * d['overhead_share_of_10s']:.1f} % of a 10-second trial), and "
             f"{once:.1f} s once per sweep to start the cluster, open the storage and send "
             f"the data; {1000 * d['storage_per_epoch_s']:.1f} ms of storage calls per epoch, "
             f"{1000 * d['mean']['driver_s']:.0f} ms of driver time per trial. The share of "
             f"its time the scheduler would spend on storage calls, and the driver on trials:",
             "", "| workers | scheduler: storage calls | driver: these trials | driver: 10-s "
             "trials | these trials |", "|---:|---:|---:|---:|---|"]
    for p in d["projection"]:
        busy = max(p["storage_busy"], p["driver_busy"])
        verdict = ("measured" if p["workers"] == f["settings"]["workers"] else "keep up"
                   if busy < 0.7 else "near saturation" if busy < 1 else "saturated")
        lines.append(f"| {p['workers']} | {pct(p['storage_busy'])} | {pct(p['driver_busy'])} "
                     f"| {pct(p['driver_busy_10s'])} | {verdict} |")
    lines += ["", f"These trials: {d['mean']['train_s']:.1f} s each, {f['settings']['epochs']} "
              f"epochs of {1000 * d['epoch_s']:.0f} ms. One scheduler keeps up with about "
              f"{storage_max:,.0f} workers training such epochs, one driver with about "
              f"{driver_max:,.0f} workers running such trials, or {10 / d['mean']['driver_s']:,.0f}"
              f" running 10-second ones. Above 100 % workers wait: the sweep goes no faster "
              f"than that many workers would make it."]
    return "\n".join(lines)


def notebooks_table(f: dict) -> str:
    lines = ["| notebook | exercises | lines you write | untouched | solved |",
             "| --- | --- | ---: | ---: | ---: |"]
    for r in f["notebooks"]:
        lines.append(f"| {r['name']} | {', '.join(f'`{e}`' for e in r['exercises']) or '—'} "
                     f"| {r['lines']} | {r['untouched_s']:.1f} s | {r['solved_s']:.1f} s |")
    rows = f["notebooks"]
    lines.append(f"| all {len(rows)} | {sum(len(r['exercises']) for r in rows)} "
                 f"| {sum(r['lines'] for r in rows)} | {sum(r['untouched_s'] for r in rows):.1f} s "
                 f"| {sum(r['solved_s'] for r in rows):.1f} s |")
    lines += ["", "Seconds per notebook, kernel start included, in a Jupyter kernel (nbclient): "
              "untouched as a learner opens it, and with the reference solutions."]
    if f["capstone"]:
        lines.append(capstone_line(f))
    return "\n".join(lines)


def capstone_line(f: dict) -> str:
    c = f["capstone"]
    return (f"The capstone with the reference solutions: {100 * c['accuracies'][-1]:.2f} % test "
            f"accuracy after {len(c['accuracies'])} epochs, {c['seconds'][-1]:.1f} s of training "
            f"(90 % first reached after epoch "
            f"{next((i + 1 for i, a in enumerate(c['accuracies']) if a >= 0.9), '—')}).")


def course_summary(doc: dict, link: str) -> str:
    """The course page's sentence (docs/course/index.md): the notebooks' times and what the
    capstone reaches; ``link`` is where the run's full record is, relative to that page."""
    f = doc["figures"]
    solved = [r["solved_s"] for r in f["notebooks"]]
    text = (f"Measured ([{run_label(doc)}]({link})): each notebook runs "
            f"top to bottom in {min(solved):.0f}–{max(solved):.0f} s with the exercises solved, "
            f"all {len(solved)} in {sum(solved):.0f} s, Jupyter kernel start included; the "
            f"learner writes {sum(len(r['exercises']) for r in f['notebooks'])} functions, "
            f"{sum(r['lines'] for r in f['notebooks'])} lines in the reference solutions.")
    return text + (" " + capstone_line(f) if f["capstone"] else "")


RENDERERS: dict[str, Callable[[dict], str]] = {
    "default_train": default_train_table,
    "training": training_table,
    "time_to_accuracy": time_to_accuracy_table,
    "augment": augment_table,
    "web_latency": web_latency_table,
    "sklearn": sklearn_table,
    "sweep": sweep_table,
    "notebooks": notebooks_table,
}


def benchmark_markdown(doc: dict) -> str:
    """The ``<name>.md`` file: the benchmark's table, then its environment line."""
    return f"{RENDERERS[doc['benchmark']](doc['figures'])}\n\n{environment_line(doc)}\n"
