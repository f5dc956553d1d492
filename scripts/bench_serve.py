"""Requests per second and latency of ``litzoo serve``: MLP and CNN, batching on/off, PyTorch vs ONNX.

A bounded closed loop on 127.0.0.1: ``--concurrency`` clients each send one request (one
MNIST-shaped sample as nested lists) and wait for its answer before the next, until
``--requests`` answers came back; then the server is stopped. Every server runs in its own
process, one after another, so each configuration has the machine to itself (as much as a
shared machine allows). Without ``--run``, tiny MLP and CNN runs (one epoch on random
MNIST-format files: speed does not depend on the weights) are trained and exported first.
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import torch

ROOT = Path(__file__).resolve().parents[1]


def train_runs(folder: Path) -> list[Path]:
    """One-epoch MLP and CNN runs on tiny MNIST-format files, each exported to ONNX."""
    from litzoo.run.cli import LitzooCLI
    from litzoo.testing.helpers import model_args

    runs = []
    os.chdir(folder)  # the run folders go to a temporary runs/
    for model in ("mlp", "cnn"):
        args = [*model_args(ROOT / "configs", model, folder / "data"), "--trainer.max_epochs=1"]
        cli = LitzooCLI(args=["fit", *args, "--test_after_fit=false"])
        runs.append(Path(cli.trainer.default_root_dir).resolve())
    return runs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(run: Path, fmt: str, max_batch: int, cwd: Path) -> tuple[subprocess.Popen, str]:
    """A server in its own process, once it answers /health."""
    port = free_port()
    options = ["--port", str(port), "--format", fmt, "--max-batch-size", str(max_batch)]
    server = subprocess.Popen(
        [sys.executable, "-m", "litzoo", "serve", str(run), *options],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{url}/health").text == "ok":
                return server, url
        except httpx.TransportError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit(f"bench_serve: the server for {run} ({fmt}) did not start")


def load(url: str, requests: int, concurrency: int) -> tuple[float, list[float]]:
    """(requests per second, latencies in seconds) of a closed loop of ``concurrency`` clients."""
    body = torch.rand(1, 28, 28).tolist()
    latencies: list[float] = []
    left = [requests]
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while True:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                started = time.perf_counter()
                answer = http.post("/predict", json=body)
                answer.raise_for_status()
                with lock:
                    latencies.append(time.perf_counter() - started)

    for _ in range(3):  # warm-up: the first answers load lazily imported code
        httpx.post(f"{url}/predict", json=body, timeout=60).raise_for_status()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, action="append", help="run folders (default: tiny MLP and CNN)")
    parser.add_argument("--requests", type=int, default=400, help="answers per configuration")
    parser.add_argument("--concurrency", type=int, default=16, help="clients, each waiting for its answer")
    parser.add_argument("--max-batch-size", type=int, default=32, help="server batching on: up to this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = [run.resolve() for run in args.run] if args.run else train_runs(folder)
        print(f"{'run':<28} {'format':<6} {'batching':<9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for run in runs:
            if not (run / "export" / "model.onnx").is_file():
                from litzoo.workflows.export import export_run

                export_run(run, "onnx")
            for fmt in ("torch", "onnx"):
                for max_batch in (1, args.max_batch_size):
                    server, url = serve(run, fmt, max_batch, folder)
                    try:
                        rate, latencies = load(url, args.requests, args.concurrency)
                    finally:
                        server.send_signal(signal.SIGTERM)
                        server.wait(timeout=60)
                    cuts = statistics.quantiles(latencies, n=100)
                    batching = f"<={max_batch}" if max_batch > 1 else "off"
                    name = "/".join(run.parts[-2:])
                    print(
                        f"{name:<28} {fmt:<6} {batching:<9} {rate:>8.1f} "
                        f"{cuts[49] * 1e3:>8.1f} {cuts[98] * 1e3:>8.1f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
