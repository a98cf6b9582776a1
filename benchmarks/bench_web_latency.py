"""Latency of the web lab's predict endpoint under load, while a training job runs.

Goal (issue 4): 32 concurrent clients on loopback get their predictions with
**p99 <= 20 ms** while the server trains a network.

What it does, all on 127.0.0.1 and bounded in time:

1. trains a small model (the lecture's network, 1 epoch) into a temporary directory;
2. starts the real server, ``python -m steepest serve MODEL --port 0``, in a subprocess;
3. starts a training job through the API (784-100-10 on all 60,000 images, so it
   outlasts the measurement) and waits for its first epoch;
4. runs 32 client threads for ``--duration`` seconds; each keeps one HTTP/1.1
   connection and sends the page's real request -- an MNIST test digit drawn
   dark-on-white on a 112x112 canvas -- every ``--interval`` seconds (0.1 s,
   like a page predicting while someone draws), each client starting at a
   random phase of the interval (seeded), as independent people would;
   ``--interval 0`` sends back-to-back, a harsher closed loop;
5. checks the job was still training at the end, cancels it, stops the server,
   and prints p50/p95/p99/max latency and whether p99 <= 20 ms (exit status 1 if not).

Results: benchmarks/results/web_latency.json and .md (record.py), which the READMEs quote.

Run:  python benchmarks/bench_web_latency.py [--clients 32] [--duration 10] [--interval 0.1]
      [--quick]  (3 s of load instead of 10)
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from record import Recorder, run_mode

GOAL_MS = 20.0
HOST = "127.0.0.1"


def make_model(directory: Path) -> Path:
    from steepest.datasets import mnist
    from steepest.modelfile import save_model
    from steepest.training import TrainConfig, fit

    config = TrainConfig(epochs=1)
    net, history = fit(config, mnist.load_data())
    path = directory / "bench-model.npz"
    save_model(path, net, {"config": config.to_dict(), "history": [h.to_dict() for h in history]})
    return path


def canvas_request(side: int = 112) -> bytes:
    """The body the page sends: a test digit, dark ink on white, ``side`` x ``side`` gray levels."""
    from steepest.datasets import mnist

    _, (x_test, _) = mnist.load_data()
    digit = Image.fromarray(255 - x_test[0]).resize((side, side), Image.Resampling.BILINEAR)
    encoded = base64.b64encode(np.asarray(digit, dtype=np.uint8).tobytes()).decode()
    return json.dumps({"width": side, "height": side, "pixels_base64": encoded}).encode()


def start_server(model: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "steepest", "serve", str(model), "--host", HOST, "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "http://" in line:
            port = int(line.split("http://")[1].split("/")[0].rsplit(":", 1)[1])
            return proc, port
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("the server did not start")


def call(port: int, method: str, path: str, body: dict | None = None) -> dict:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def _epochs_done(port: int) -> int:
    job = call(port, "GET", "/api/train")["job"]
    return job["epochs_done"] if job else 0


def client(port: int, body: bytes, start_at: float, stop_at: float, interval: float,
           out: list, errors: list) -> None:
    """One page: a keep-alive connection, a prediction every ``interval`` s from ``start_at``."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    headers = {"Content-Type": "application/json"}
    time.sleep(max(0.0, start_at - time.perf_counter()))
    next_at = time.perf_counter()
    while time.perf_counter() < stop_at:
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/api/predict", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
        except (OSError, http.client.HTTPException) as exc:
            errors.append(repr(exc))
            break
        out.append(time.perf_counter() - t0)
        next_at += interval
        pause = next_at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        else:
            next_at = time.perf_counter()  # running late: do not burst to catch up
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load")
    parser.add_argument("--interval", type=float, default=0.1,
                        help="seconds between one client's requests (0: back-to-back)")
    parser.add_argument("--no-training", action="store_true",
                        help="measure without a training job, for comparison")
    parser.add_argument("--quick", action="store_true", help="3 s of load instead of 10")
    args = parser.parse_args()
    recorder = Recorder("web_latency", run_mode(parser, args))
    if args.quick:
        args.duration = min(args.duration, 3.0)

    with tempfile.TemporaryDirectory() as tmp:
        model = make_model(Path(tmp))
        body = canvas_request()
        proc, port = start_server(model)
        try:
            if args.no_training:
                print(f"server on {HOST}:{port}; no training job (--no-training)")
            else:
                # 784-100-10 on all 60,000 images: long enough to outlast the measurement.
                job = call(port, "POST", "/api/train", {"hidden": [100], "epochs": 100})
                print(f"server on {HOST}:{port}; training job {job.get('id')} started "
                      f"({job.get('config', {}).get('hidden')} hidden, full MNIST)")
                while call(port, "GET", "/api/train")["job"]["epochs_done"] < 1:
                    time.sleep(0.2)  # measure while epochs are really being computed
            epochs_before = _epochs_done(port)
            latencies: list[float] = []
            errors: list = []
            # People do not click in step: each client starts at a random phase of the interval.
            phases = np.random.default_rng(0).uniform(0, args.interval, args.clients)
            begin = time.perf_counter() + 0.5
            stop_at = begin + args.duration
            threads = [threading.Thread(target=client, args=(port, body, begin + phase, stop_at,
                                                             args.interval, latencies, errors))
                       for phase in phases]
            for t in threads:
                t.start()
            for t in threads:
                t.join(args.duration + 30)
            epochs_after = _epochs_done(port)
            still_training = call(port, "GET", "/api/train")["running"]
            call(port, "POST", "/api/train/cancel")
        finally:
            proc.terminate()
            proc.wait(30)

    ms = np.array(latencies) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    ok = p99 <= GOAL_MS and not errors and (still_training or args.no_training)
    # The rate over the load window (every client sends from its phase until stop_at),
    # not over the 0.5 s lead-in and thread start-up before it.
    print(f"{args.clients} clients, interval {args.interval:g} s, {args.duration:g} s: "
          f"{len(ms):,} requests ({len(ms) / args.duration:.0f}/s), {len(errors)} errors")
    print(f"training during the measurement: epochs {epochs_before} -> {epochs_after}, "
          f"still running at the end: {still_training}")
    print(f"predict latency: p50 {p50:.2f} ms  p95 {p95:.2f} ms  p99 {p99:.2f} ms  "
          f"max {ms.max():.2f} ms")
    during = "without training" if args.no_training else "while training"
    print(f"p99 <= {GOAL_MS:g} ms {during}: {'yes' if ok else 'NO'}")
    path = recorder.write({
        "settings": {"clients": args.clients, "duration_s": args.duration,
                     "interval_s": args.interval, "training": not args.no_training},
        "goal_p99_ms": GOAL_MS, "met": bool(ok),
        "requests": len(ms), "requests_per_s": len(ms) / args.duration, "errors": len(errors),
        "latency_ms": {"p50": p50, "p95": p95, "p99": p99, "max": float(ms.max())},
        "epochs_during": [epochs_before, epochs_after], "still_training": bool(still_training),
    })
    print(f"results: {path} and {path.with_suffix('.md').name}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
