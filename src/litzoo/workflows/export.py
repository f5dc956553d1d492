"""Export what a run trained: ``litzoo export RUN [--format onnx|pt2]`` (``make export``).

The best checkpoint's network (a GAN's generator) goes through ``torch.export`` with a dynamic
batch axis; ONNX uses the dynamo exporter. The file is then checked against the PyTorch model
at three batch sizes, and ``<file>.json`` beside it records the shapes and the differences.
"""

import argparse
import importlib
import json
import time
from pathlib import Path
from typing import Literal

import torch
from lightning import LightningModule

from litzoo.errors import LitzooError
from litzoo.run.folders import best_point
from litzoo.systems.contract import contract_of

Format = Literal["onnx", "pt2"]
BATCH_SIZES = (1, 7, 64)
TOLERANCE = 1e-5  # fp32: the exported graph computes the same operations


def network(model: LightningModule) -> tuple[torch.nn.Module, tuple[int, ...]]:
    """What gets exported (the network the system's contract names) and one input's shape."""
    contract = contract_of(model, "export")
    return contract.net.eval(), contract.input_shape


def export(module: torch.nn.Module, sample: tuple[int, ...], fmt: Format, path: Path) -> dict:
    """Export ``module`` (inputs ``(B, *sample)``) to ``path`` and check it at three batch sizes.

    Raises:
        LitzooError: an output differs from PyTorch's by more than ``TOLERANCE``.
    """
    started = time.perf_counter()
    example = (torch.randn(2, *sample),)
    batch = torch.export.Dim("batch", min=1, max=4096)
    program = torch.export.export(module, example, dynamic_shapes=({0: batch},))
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pt2":
        torch.export.save(program, str(path))
        run = _pt2_runner(path)
    else:
        torch.onnx.export(program, example, str(path), dynamo=True, external_data=False)
        run = _onnx_runner(path)
    differences = {}
    with torch.no_grad():
        for size in BATCH_SIZES:
            x = torch.randn(size, *sample, generator=torch.Generator().manual_seed(size))
            differences[size] = float((run(x) - module(x)).abs().max())
    report = {
        "format": fmt,
        "file": str(path),
        "input": ["batch", *sample],
        "max_abs_difference": differences,
        "tolerance": TOLERANCE,
        "seconds": round(time.perf_counter() - started, 2),
    }
    path.with_suffix(path.suffix + ".json").write_text(json.dumps(report, indent=2) + "\n")
    worst = max(differences.values())
    if not worst <= TOLERANCE:
        raise LitzooError(f"the exported {fmt} differs from the PyTorch model by {worst:.2e} (> {TOLERANCE})")
    return report


def _pt2_runner(path: Path):  # noqa: ANN202 - a function of a tensor
    loaded = torch.export.load(str(path)).module()
    return lambda x: loaded(x)


def _onnx_runner(path: Path):  # noqa: ANN202 - a function of a tensor
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: torch.from_numpy(session.run(None, {name: x.numpy()})[0])


def export_run(run: Path, fmt: Format) -> dict:
    """Export a run folder's best checkpoint to ``<run>/export/model.<fmt>``."""
    checkpoint = best_point(run)
    _import_system(checkpoint)
    model = LightningModule.load_from_checkpoint(checkpoint, map_location="cpu", weights_only=True)
    module, sample = network(model)
    return export(module, sample, fmt, run / "export" / f"model.{fmt}")


def _import_system(checkpoint: Path) -> None:
    """Import the module of the system a checkpoint names, if it is one of this package's.

    Lightning loads only classes already imported; importing just this package's own modules
    keeps a checkpoint from naming code to run.
    """
    saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
    module = str(saved.get("hyper_parameters", {}).get("_class_path", "")).rpartition(".")[0]
    if module.split(".")[0] == __package__.split(".")[0]:  # litzoo.*, not litzoo.workflows.*
        importlib.import_module(module)


def main(argv: list[str]) -> None:
    """``litzoo export RUN --format onnx``."""
    parser = argparse.ArgumentParser(prog="litzoo export", description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path, help="a run folder, runs/<name>/<time>")
    parser.add_argument("--format", choices=["onnx", "pt2"], default="onnx")
    args = parser.parse_args(argv)
    report = export_run(args.run, args.format)
    diffs = ", ".join(f"batch {b}: {d:.1e}" for b, d in report["max_abs_difference"].items())
    print(f"litzoo: exported {report['file']} (max abs difference {diffs}); report beside it")
