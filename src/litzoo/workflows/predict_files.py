"""``litzoo predict --run RUN --input PATH`` (``make predict INPUT=…``): predictions for your own files.

``PATH`` is a folder of PNG/JPEG images (an image model), a CSV file (a table model's named
columns, or numbers that fill one sample each), or a text file (one prompt a line, a language
model). One row per file, CSV row or line, named, goes to ``RUN/predictions-<input>.csv``, beside
the test split's ``predictions.csv``.
"""

import argparse
import csv
from pathlib import Path
from typing import Any

import torch

from litzoo.errors import ConfigError
from litzoo.workflows.serve_model import Backend, Inputs, RequestError, Served, decode_image, load_run

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
CHUNK = 256  # samples per forward pass: bounded memory for a large folder


def read_input(served: Served, path: Path) -> tuple[list[str], Inputs]:
    """The names and model inputs of a folder, CSV or text file.

    Raises:
        ConfigError: the path is missing, empty, or of a kind this model does not read.
    """
    if not path.exists():
        raise ConfigError(f"INPUT={path} does not exist: give a folder of images, a CSV or a text file")
    try:
        if path.is_dir():
            return _images(served, path)
        if path.suffix.lower() == ".csv":
            return _table(served, path)
        if served.kind == "text":
            lines = [line for line in path.read_text().splitlines() if line.strip()]
            if not lines:
                raise ConfigError(f"INPUT={path} holds no prompt (one a line)")
            return [f"line {i + 1}" for i in range(len(lines))], Inputs(lines, single=False)
    except RequestError as err:
        raise ConfigError(f"INPUT={path}: {err}") from None
    raise ConfigError(f"INPUT={path} is not a folder or a .csv file, what a {served.kind} model reads")


def _images(served: Served, folder: Path) -> tuple[list[str], Inputs]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ConfigError(f"INPUT={folder} holds no {'/'.join(IMAGE_SUFFIXES)} image")
    images = []
    for file in files:
        try:
            images.append(decode_image(file.read_bytes()))
        except RequestError:
            raise ConfigError(f"{file} is not a PNG or JPEG image: remove it from INPUT") from None
    return [f.name for f in files], Inputs(served.images(images), single=False)


def _table(served: Served, path: Path) -> tuple[list[str], Inputs]:
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    if not rows:
        raise ConfigError(f"INPUT={path} holds no row under its header")
    names = [row.pop("name", None) or f"row {i + 1}" for i, row in enumerate(rows)]
    if callable(getattr(type(served.data), "encode_file", None)):  # typed columns, as in training
        return names, Inputs(served.data.encode_file(path), single=False)
    if callable(getattr(type(served.data), "encode_records", None)):
        return names, Inputs(served.data.encode_records(rows), single=False)
    try:  # numbers only: each row fills one sample
        values = torch.tensor([[float(v) for v in row.values()] for row in rows])
    except ValueError:
        raise ConfigError(f"INPUT={path}: every column but 'name' must hold numbers") from None
    shape = served.contract.input_shape
    if values.shape[1] != torch.Size(shape).numel():
        raise ConfigError(f"INPUT={path} has {values.shape[1]} number columns; one sample is {list(shape)}")
    return names, Inputs(values.reshape(len(rows), *shape).to(served.contract.input_dtype), single=False)


def predict(served: Served, inputs: Inputs) -> list[dict[str, Any]]:
    """Answers for every sample of ``inputs``, in chunks of ``CHUNK``."""
    answers = []
    for start in range(0, len(inputs.x), CHUNK):
        chunk = Inputs(inputs.x[start : start + CHUNK], single=False, max_new_tokens=inputs.max_new_tokens)
        answers += served.answer([chunk])[0]["predictions"]
    return answers


def write_csv(path: Path, names: list[str], answers: list[dict[str, Any]]) -> None:
    """One row per name: the class and its probabilities, the values, or the text."""
    first = answers[0]
    if "class" in first:
        header = ["prediction", *(f"p_{c}" for c in range(len(first["probabilities"])))]
        rows = [[a["class"], *(f"{p:.6g}" for p in a["probabilities"])] for a in answers]
    elif "values" in first:
        flat = [torch.tensor(a["values"]).flatten().tolist() for a in answers]
        header = ["prediction"] if len(flat[0]) == 1 else [f"y_{d}" for d in range(len(flat[0]))]
        rows = [[f"{v:.6g}" for v in row] for row in flat]
    else:
        header, rows = ["text"], [[a["text"]] for a in answers]
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["name", *header])
        writer.writerows([name, *row] for name, row in zip(names, rows, strict=True))
    partial.replace(path)  # a complete file or none


def main(argv: list[str]) -> int:
    """``litzoo predict --run RUN --input PATH [--format torch|onnx]``."""
    parser = argparse.ArgumentParser(
        prog="litzoo predict",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--run", type=Path, required=True, help="a run folder, runs/<name>/<time>")
    parser.add_argument("--input", type=Path, required=True, help="a folder of images, a CSV or a text file")
    parser.add_argument("--format", choices=["torch", "onnx"], default="torch")
    parser.add_argument("--max-new-tokens", type=int, default=100, help="a language model's answer length")
    args = parser.parse_args(argv)
    backend: Backend = args.format
    served = load_run(args.run, backend)
    names, inputs = read_input(served, args.input)
    inputs.max_new_tokens = args.max_new_tokens
    out = args.run / f"predictions-{args.input.stem or 'input'}.csv"
    write_csv(out, names, predict(served, inputs))
    print(f"litzoo: {len(names)} predictions for {args.input} written to {out}", flush=True)
    return 0
