"""``litzoo serve RUN`` (``make serve``): a run's best model answering ``POST /predict`` with LitServe.

The body is JSON (nested lists, ``{"image": <base64>}``, a table row of named columns, or
``{"prompt": …}``) or the bytes of a PNG/JPEG image. Requests are batched on the server
(``--max-batch-size``, ``--batch-timeout``). A bad request gets a 4xx with ``{"error": …}``,
and only that request does: it never fails the other requests of its batch.
"""

import argparse
import base64
import json
import multiprocessing
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import litserve as ls
import torch
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from litzoo.errors import ConfigError
from litzoo.workflows.serve_model import Backend, Inputs, RequestError, Served, load_run

HOSTS = ("127.0.0.1", "0.0.0.0", "::")  # what LitServe can bind
MAX_BODY = 8 * 2**20  # bytes: a few thousand MNIST images as JSON
IMAGE_TYPES = ("image/png", "image/jpeg", "application/octet-stream")
JSON_TYPES = ("application/json", "application/x-www-form-urlencoded")  # the second: curl -d's default


class RunAPI(ls.LitAPI):
    """LitServe's API over a run folder; the model is loaded in each inference worker."""

    def __init__(
        self, run: Path, backend: Backend, max_batch_size: int, batch_timeout: float, threads: int = 1
    ) -> None:
        super().__init__(max_batch_size=max_batch_size, batch_timeout=batch_timeout)
        self.run, self.backend, self.threads = run, backend, threads
        self.served: Served | None = None

    def setup(self, device: str) -> None:
        # One request's operations are small: threads of one worker spin against each other
        # more than they help (a CNN request: 312 ms on 2 threads, 6 ms on 1, on a loaded machine).
        torch.set_num_threads(self.threads)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the main process stops this worker
        self.served = load_run(self.run, self.backend)

    def decode_request(self, request: Request) -> Inputs | RequestError:
        # The annotation makes LitServe hand over the parsed JSON body (RequestBody checked it).
        # A refusal is returned, not raised: LitServe fails a whole batch when one request raises.
        try:
            return self.served.decode(request)
        except RequestError as err:
            return err

    def batch(self, inputs: list[Inputs | RequestError]) -> list[Inputs | RequestError]:
        return list(inputs)  # requests hold N samples each: predict concatenates them

    def predict(self, x: Inputs | RequestError | list[Inputs | RequestError]) -> Any:
        requests = x if isinstance(x, list) else [x]
        good = [r for r in requests if isinstance(r, Inputs)]
        answers = iter(self.served.answer(good) if good else [])
        out = [r if isinstance(r, RequestError) else next(answers) for r in requests]
        return out if isinstance(x, list) else out[0]

    def unbatch(self, output: list[Any]) -> list[Any]:
        return output

    def encode_response(self, output: dict[str, Any] | RequestError) -> Response:
        if isinstance(output, RequestError):
            return JSONResponse({"error": str(output)}, status_code=output.status)
        return JSONResponse(output)


class RequestBody:
    """ASGI middleware for ``POST /predict``: caps the body, and checks it before a worker sees it.

    A body over ``max_bytes`` gets 413, bytes that are neither JSON nor an image 400/415; an
    image body goes on as ``{"image": <base64>}``. LitServe's own handler would answer 500.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY) -> None:
        self.app, self.max_bytes = app, max_bytes
        self._too_large = f"the body is over {max_bytes} bytes: send smaller batches"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/predict" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        kind = headers.get(b"content-type", b"application/json").decode().split(";")[0].strip().lower()
        if int(headers.get(b"content-length", b"0") or 0) > self.max_bytes:
            return await _error(send, 413, self._too_large)
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await _error(send, 413, self._too_large)
        if kind in IMAGE_TYPES:
            body = json.dumps({"image": base64.b64encode(body).decode()}).encode()
        elif kind not in JSON_TYPES:
            return await _error(send, 415, f"send application/json or a PNG/JPEG image, not {kind}")
        else:
            try:
                json.loads(body)
            except ValueError:
                return await _error(send, 400, "the body is not valid JSON")
        await self.app(_as_json(scope, len(body)), _replay(body), send)


def _as_json(scope: Scope, length: int) -> Scope:
    others = [(k, v) for k, v in scope["headers"] if k not in (b"content-type", b"content-length")]
    headers = [*others, (b"content-type", b"application/json"), (b"content-length", str(length).encode())]
    return {**scope, "headers": headers}


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def check_address(host: str, port: int) -> None:
    """Refuse an address LitServe cannot bind, or one in use, before anything is started."""
    if host not in HOSTS:
        raise ConfigError(f"HOST={host} cannot be served: use one of {', '.join(HOSTS)}")
    if not 1024 <= port <= 65535:
        raise ConfigError(f"PORT={port} cannot be served: use a port from 1024 to 65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            raise ConfigError(
                f"port {port} on {host} is in use: stop what holds it, or pick another PORT="
            ) from None


_MAIN_PID = os.getpid()


def _stopping(signum: int, frame: object) -> None:
    print("litzoo: already stopping the server's processes (a few seconds)", file=sys.stderr, flush=True)


def _interrupt(signum: int, frame: object) -> None:
    if os.getpid() == _MAIN_PID:
        # A second Ctrl-C would break LitServe's orderly shutdown half way (a traceback, workers
        # left to die on a closed queue); its waits are bounded (seconds), so later ones only wait.
        signal.signal(signal.SIGINT, _stopping)
        signal.signal(signal.SIGTERM, _stopping)
        raise KeyboardInterrupt  # LitServe's orderly shutdown of its processes
    if signum == signal.SIGTERM and not multiprocessing.current_process().name.startswith("SyncManager"):
        # A forked worker that LitServe is stopping ends here, as with no handler but exit code 0.
        # Not SystemExit: raised in uvicorn's event loop (which re-raises a SIGTERM it caught
        # while shutting down from a Ctrl-C, pressed twice say), it left a lifespan traceback.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    # Ctrl-C reaches every process of the terminal's group: only the main one acts on it. So
    # does a SIGTERM sent to every process (pkill -f, a container's or systemd's stop): the
    # manager of LitServe's queues outlives it, as LitServe stops that one last, by a message,
    # after the workers that read from it (killed first, it left them an EOFError traceback).


def main(argv: list[str]) -> int:
    """``litzoo serve RUN [--port 8000] [--host 127.0.0.1] [--format torch|onnx] …``."""
    parser = argparse.ArgumentParser(
        prog="litzoo serve",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("run", type=Path, help="a run folder, runs/<name>/<time>")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to answer other machines")
    parser.add_argument(
        "--format", choices=["torch", "onnx"], default="torch", help="onnx: RUN/export/model.onnx"
    )
    parser.add_argument("--max-batch-size", type=int, default=64, help="1 turns server batching off")
    parser.add_argument("--batch-timeout", type=float, default=0.005, help="seconds a batch waits to fill")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch/onnxruntime threads of the worker")
    parser.add_argument("--max-body", type=int, default=MAX_BODY, help="bytes; larger bodies get 413")
    args = parser.parse_args(argv)
    if args.max_batch_size < 1 or args.batch_timeout < 0 or args.threads < 1:
        raise ConfigError("--max-batch-size and --threads must be at least 1, --batch-timeout at least 0")
    served = load_run(args.run, args.format)  # every refusal comes before anything listens
    check_address(args.host, args.port)
    api = RunAPI(args.run, args.format, args.max_batch_size, args.batch_timeout, args.threads)
    server = ls.LitServer(
        api, accelerator="cpu", devices=1, middlewares=[(RequestBody, {"max_bytes": args.max_body})]
    )
    url = f"http://{'[::1]' if args.host == '::' else args.host}:{args.port}"
    print(
        f"litzoo: serving {args.run} ({served.kind}, {args.format}) at {url}/predict "
        f"(health: {url}/health); Ctrl-C stops it",
        flush=True,
    )
    # SIGTERM (a scheduler, docker stop) and Ctrl-C shut down alike: LitServe stops its workers.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    server.run(host=args.host, port=args.port, generate_client_file=False, log_level="warning")
    print("litzoo: server stopped", file=sys.stderr, flush=True)
    return 0
