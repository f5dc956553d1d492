"""``litzoo serve``: the real server in its own process, a real HTTP client; ``litzoo predict --input``."""

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import torch
from PIL import Image

from litzoo.run.cli import LitzooCLI
from litzoo.workflows.serve_model import load_run

from conftest import make_idx_dataset, model_args, run_main

ONE = [[[0.0] * 28] * 28]  # one MNIST-shaped sample, [1, 28, 28]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny MLP run on tiny MNIST files, trained once for the module."""
    folder = tmp_path_factory.mktemp("serve")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("WANDB_MODE", "offline")
        data = make_idx_dataset(folder / "data")
        args = [*model_args("mlp", data), "--model.init_args.net.init_args.hidden=[16]"]
        cli = LitzooCLI(args=["fit", *args, "--trainer.max_epochs=1"])
        return (folder / cli.trainer.default_root_dir).resolve()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(run: Path, cwd: Path, *options: str) -> tuple[subprocess.Popen, httpx.Client]:
    """``litzoo serve RUN`` in its own process, once it answers /health."""
    port = free_port()
    command = [sys.executable, "-m", "litzoo", "serve", str(run), "--port", str(port), *options]
    server = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read()
        try:
            if client.get("/health").text == "ok":
                return server, client
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    server.kill()
    raise AssertionError("the server did not answer /health in 120 s")


def stop(server: subprocess.Popen) -> tuple[int, str]:
    server.send_signal(signal.SIGTERM)
    out, _ = server.communicate(timeout=60)
    return server.returncode, out


@pytest.fixture(scope="module")
def served(run: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """One server for the module, batching up to 8 requests."""
    server, client = start(run, tmp_path_factory.mktemp("cwd"), "--max-batch-size", "8")
    yield client
    if server.poll() is None:
        stop(server)


def png(value: int, size: int = 28) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (size, size), value).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.slow
def test_answers_equal_litzoo_predict_on_the_test_split(run: Path, served: httpx.Client) -> None:
    with pytest.raises(SystemExit, match="0"):
        from litzoo.__main__ import main

        main(["predict", "--run", str(run), "--trainer.logger=false"])
    expected = torch.load(run / "predictions.pt", weights_only=True)
    model = load_run(run)
    model.data.setup("test")
    images = torch.cat([x for x, _ in model.data.test_dataloader()])
    answer = served.post("/predict", json=images.tolist())
    assert answer.status_code == 200
    got = torch.tensor([p["probabilities"] for p in answer.json()["predictions"]])
    assert torch.allclose(got, expected, atol=1e-5)
    assert [p["class"] for p in answer.json()["predictions"]] == expected.argmax(1).tolist()
    one = served.post("/predict", json=images[0].tolist()).json()  # rank tells one sample from a batch
    assert one["class"] == int(expected[0].argmax()) and len(one["probabilities"]) == 10


@pytest.mark.slow
def test_an_uploaded_png_gets_what_predict_writes_for_the_same_file(
    run: Path, served: httpx.Client, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "grey.png").write_bytes(png(90, size=40))  # resized to 28x28 as in training
    code, out, _ = run_main(capsys, "predict", "--run", str(run), "--input", str(folder))
    assert code == 0 and "1 predictions" in out
    rows = (run / "predictions-mine.csv").read_text().splitlines()
    assert rows[0].startswith("name,prediction,p_0,") and rows[1].startswith("grey.png,")
    answer = served.post("/predict", content=png(90, size=40), headers={"content-type": "image/png"})
    assert answer.status_code == 200
    written = [float(p) for p in rows[1].split(",")[2:]]
    assert answer.json()["class"] == int(rows[1].split(",")[1])
    assert torch.allclose(torch.tensor(answer.json()["probabilities"]), torch.tensor(written), atol=1e-5)


BAD = {
    "wrong shape": ({"json": [[1.0, 2.0]]}, 400, "got shape [1, 2]"),
    "wrong type": ({"json": [[["a"] * 28] * 28]}, 400, "lists of numbers"),
    "ragged lists": ({"json": [[[0.0] * 28] * 27 + [[0.0]]]}, 400, "rectangular"),
    "empty batch": ({"json": []}, 400, "empty"),
    "a string": ({"json": "seven"}, 400, "got str"),
    "not JSON": (
        {"content": b"{oops", "headers": {"content-type": "application/json"}},
        400,
        "not valid JSON",
    ),
    "non-image upload": (
        {"content": b"GIF89a...", "headers": {"content-type": "image/png"}},
        415,
        "PNG or JPEG",
    ),
    "unknown media": ({"content": b"7", "headers": {"content-type": "text/plain"}}, 415, "application/json"),
    "table row to an image model": ({"json": {"bill_length_mm": 39.1}}, 400, "not table rows"),
    "body over the limit": (
        {"content": b"[" + b"0," * (5 * 2**20) + b"0]", "headers": {"content-type": "application/json"}},
        413,
        "over",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_request_gets_a_one_line_4xx_and_the_server_answers_the_next(
    served: httpx.Client, case: str
) -> None:
    request, status, says = BAD[case]
    answer = served.post("/predict", **request)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert says in error and "\n" not in error
    assert served.post("/predict", json=ONE).status_code == 200


@pytest.mark.slow
def test_a_concurrent_burst_is_batched_and_only_bad_requests_fail(served: httpx.Client) -> None:
    samples = [torch.full((1, 28, 28), i / 10).tolist() for i in range(24)]
    alone = [served.post("/predict", json=s).json()["probabilities"] for s in samples[:3]]
    bodies = [s if i % 4 else [[1.0]] for i, s in enumerate(samples)]  # every 4th: a wrong shape
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda body: served.post("/predict", json=body), bodies))
    assert [a.status_code for a in answers] == [200 if i % 4 else 400 for i in range(24)]
    for i in (1, 2):  # inside a batch of others, the same answer as alone
        assert torch.allclose(
            torch.tensor(answers[i].json()["probabilities"]), torch.tensor(alone[i]), atol=1e-6
        )


@pytest.mark.slow
def test_sigterm_stops_the_server_cleanly_and_it_writes_no_client_file(run: Path, tmp_path: Path) -> None:
    server, client = start(run, tmp_path, "--max-batch-size", "1")
    assert client.post("/predict", json=ONE).status_code == 200
    code, out = stop(server)
    assert code == 0, out
    assert f"serving {run}" in out and "http://127.0.0.1:" in out and "Traceback" not in out
    assert not (tmp_path / "client.py").exists()
    with pytest.raises(httpx.TransportError):
        client.get("/health")


@pytest.mark.slow
@pytest.mark.parametrize("way", ["ctrl-c", "ctrl-c twice", "pkill"])
def test_a_signal_to_every_process_stops_them_all_without_a_traceback(
    run: Path, tmp_path: Path, way: str
) -> None:
    server, client = start(run, tmp_path)
    if way.startswith("ctrl-c"):
        os.killpg(server.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group at once
        if way == "ctrl-c twice":  # the second one while the processes are stopping
            time.sleep(0.05)
            os.killpg(server.pid, signal.SIGINT)
    else:  # SIGTERM to the main process and to those it forked (the same command line), in turn
        if shutil.which("pkill") is None:
            pytest.skip("no pkill here")
        subprocess.run(
            ["pkill", "-TERM", "-f", f"litzoo serve .* --port {client.base_url.port}$"], check=True
        )
    out, _ = server.communicate(timeout=60)
    # A second Ctrl-C that lands after the server stopped ends the exiting interpreter (-SIGINT,
    # 130 in a shell), as any Ctrl-C would; one that lands while it stops must only wait.
    codes = (0, -signal.SIGINT) if way == "ctrl-c twice" else (0,)
    assert server.returncode in codes and "server stopped" in out and "Traceback" not in out, out
    time.sleep(2)
    with pytest.raises(ProcessLookupError):
        os.killpg(server.pid, 0)  # no process of its group is left


@pytest.mark.slow
def test_the_onnx_format_serves_the_exported_file_with_the_same_answers(run: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="0"):
        from litzoo.__main__ import main

        main(["export", str(run)])
    samples = [torch.full((1, 28, 28), i / 3).tolist() for i in range(3)]
    expected = load_run(run).answer([load_run(run).decode(samples)])[0]["predictions"]
    server, client = start(run, tmp_path, "--format", "onnx")
    try:
        got = client.post("/predict", json=samples).json()["predictions"]
    finally:
        stop(server)
    for g, e in zip(got, expected, strict=True):
        assert g["class"] == e["class"]
        assert torch.allclose(torch.tensor(g["probabilities"]), torch.tensor(e["probabilities"]), atol=1e-5)


def test_a_folder_without_a_checkpoint_is_one_line_before_anything_listens(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.yaml").write_text("model: {}\n")
    code, out, err = run_main(capsys, "serve", str(tmp_path / "run"), "--port", str(free_port()))
    assert code == 2 and err.count("\n") == 1 and "holds no checkpoint" in err and "serving" not in out


def test_a_truncated_checkpoint_is_one_line(run: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "config.yaml").write_text((run / "config.yaml").read_text())
    best = next((run / "checkpoints").glob("best-*.ckpt"))
    (tmp_path / "run" / "checkpoints" / best.name).write_bytes(best.read_bytes()[:2000])
    code, out, err = run_main(capsys, "serve", str(tmp_path / "run"), "--port", str(free_port()))
    assert code == 2 and err.count("\n") == 1 and "is it a complete .ckpt file?" in err


def test_a_port_in_use_and_a_missing_onnx_file_are_one_line(run: Path, capsys: pytest.CaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, out, err = run_main(capsys, "serve", str(run), "--port", port)
    assert code == 2 and err.count("\n") == 1 and f"port {port} on 127.0.0.1 is in use" in err
    if not (run / "export" / "model.onnx").exists():
        code, _, err = run_main(capsys, "serve", str(run), "--format", "onnx", "--port", str(free_port()))
        assert code == 2 and "make export RUN=" in err
    code, _, err = run_main(capsys, "serve", str(run), "--host", "example.com")
    assert code == 2 and "HOST=example.com cannot be served" in err


def test_predict_on_a_csv_names_each_row_and_refuses_wrong_columns(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    table = tmp_path / "digits.csv"
    header = ",".join(["name", *(f"px{i}" for i in range(784))])
    table.write_text(f"{header}\nblank,{','.join(['0'] * 784)}\nfull,{','.join(['1'] * 784)}\n")
    code, out, _ = run_main(capsys, "predict", "--run", str(run), "--input", str(table))
    rows = (run / "predictions-digits.csv").read_text().splitlines()
    assert code == 0 and len(rows) == 3 and [r.split(",")[0] for r in rows[1:]] == ["blank", "full"]
    expected = load_run(run).answer([load_run(run).decode(torch.zeros(1, 1, 28, 28).tolist())])[0]
    assert int(rows[1].split(",")[1]) == expected["predictions"][0]["class"]
    (tmp_path / "narrow.csv").write_text("a,b\n1,2\n")
    code, _, err = run_main(capsys, "predict", "--run", str(run), "--input", str(tmp_path / "narrow.csv"))
    assert code == 2 and "2 number columns; one sample is [1, 28, 28]" in err
    assert not (run / "predictions-narrow.csv").exists()
    code, _, err = run_main(capsys, "predict", "--run", str(run), "--input", str(tmp_path / "none"))
    assert code == 2 and "does not exist" in err


@pytest.mark.slow
def test_bench_serve_prints_a_row_per_format_and_batching(run: Path, tmp_path: Path) -> None:
    script = Path(__file__).resolve().parents[1] / "scripts" / "bench_serve.py"
    command = [sys.executable, str(script), "--run", str(run), "--requests", "12", "--concurrency", "3"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=500)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line.split() for line in result.stdout.splitlines()[1:]]
    assert [(r[1], r[2]) for r in rows] == [
        ("torch", "off"),
        ("torch", "<=32"),
        ("onnx", "off"),
        ("onnx", "<=32"),
    ]
    assert all(float(r[3]) > 0 and float(r[4]) <= float(r[5]) for r in rows)


def test_a_fresh_litzoo_export_process_exports_what_format_onnx_serves(run: Path, tmp_path: Path) -> None:
    # Nothing of the system is imported yet in a fresh process: export must import it itself.
    command = [sys.executable, "-m", "litzoo", "export", str(run)]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (run / "export" / "model.onnx").is_file()
