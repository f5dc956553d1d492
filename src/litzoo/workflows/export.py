"""Export what a run trained: ``litzoo export RUN [--format onnx|pt2]`` (``make export``).

The best checkpoint's network (a GAN's generator) goes through ``torch.export`` with a dynamic
batch axis; ONNX uses the dynamo exporter. The file is then checked against the PyTorch model
at three batch sizes, and ``<file>.json`` beside it records the shapes and the differences.
"""

import argparse
import json
import time
from pathlib import Path
from typing import Literal

import torch
from lightning import LightningModule

from litzoo.errors import LitzooError
from litzoo.run.checkpoints import import_system
from litzoo.run.folders import best_point
from litzoo.systems.contract import contract_of

Format = Literal["onnx", "pt2"]
BATCH_SIZES = (1, 7, 64)
TOLERANCE = 1e-5  # fp32: the exported graph computes the same operations


def network(model: LightningModule) -> tuple[torch.nn.Module, tuple[int, ...]]:
    """What gets exported (the network the system's contract names) and one input's shape."""
    contract = contract_of(model, "export")
    return contract.net.eval(), contract.input_shape


def export(
    module: torch.nn.Module,
    sample: tuple[int, ...],
    fmt: Format,
    path: Path,
    dtype: torch.dtype = torch.float32,
) -> dict:
    """Export ``module`` (inputs ``(B, *sample)`` of ``dtype``) to ``path``; check it at three batch sizes.

    Raises:
        LitzooError: an output differs from PyTorch's by more than ``TOLERANCE``.
    """
    started = time.perf_counter()
    example = (_inputs(2, sample, dtype, 0),)
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
            x = _inputs(size, sample, dtype, size)
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


def _inputs(size: int, sample: tuple[int, ...], dtype: torch.dtype, seed: int) -> torch.Tensor:
    """Random inputs ``(size, *sample)``: normal values, or token ids 0 and 1 (valid in any vocabulary)."""
    generator = torch.Generator().manual_seed(seed)
    if dtype.is_floating_point:
        return torch.randn(size, *sample, generator=generator, dtype=dtype)
    return torch.randint(0, 2, (size, *sample), generator=generator, dtype=dtype)


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
    import_system(checkpoint)
    model = LightningModule.load_from_checkpoint(checkpoint, map_location="cpu", weights_only=True)
    module, sample = network(model)
    dtype = contract_of(model, "export").input_dtype
    return export(module, sample, fmt, run / "export" / f"model.{fmt}", dtype)


def main(argv: list[str]) -> None:
    """``litzoo export RUN --format onnx``."""
    parser = argparse.ArgumentParser(prog="litzoo export", description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path, help="a run folder, runs/<name>/<time>")
    parser.add_argument("--format", choices=["onnx", "pt2"], default="onnx")
    args = parser.parse_args(argv)
    report = export_run(args.run, args.format)
    diffs = ", ".join(f"batch {b}: {d:.1e}" for b, d in report["max_abs_difference"].items())
    print(f"litzoo: exported {report['file']} (max abs difference {diffs}); report beside it")
