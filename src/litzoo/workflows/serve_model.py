"""A run folder's model for ``litzoo serve`` and ``litzoo predict --input``: loading and answering.

A :class:`Served` model turns what a person sends (nested lists, images, table rows, a prompt)
into the network's inputs, runs them through PyTorch or the run's exported ONNX file, and
turns the scores into answers: a class and its probabilities, values, or generated text.
Every input it refuses raises :class:`RequestError` with one line saying what was expected.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import yaml
from lightning import LightningDataModule, LightningModule

from litzoo.errors import ConfigError
from litzoo.run.checkpoints import load_hyperparameters
from litzoo.run.folders import best_point
from litzoo.systems.contract import Contract, contract_of

Backend = Literal["torch", "onnx"]


class RequestError(ValueError):
    """A request the model cannot answer; ``status`` is the HTTP status it gets."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Inputs:
    """Decoded request: ``x`` ``(N, *input_shape)`` (or prompts), and whether it was one sample."""

    x: torch.Tensor | list[str]
    single: bool
    max_new_tokens: int = 100


@dataclass
class Served:
    """A run's model, ready to answer.

    Attributes:
        run: the run folder.
        system: the trained system (on CPU, in eval mode).
        data: the run's data module (its preprocessing), not set up: no data is read.
        contract: what the system declares (input shape and dtype, output kind, classes).
        forward: inputs ``(B, *input_shape)`` -> scores ``(B, C)`` or ``(B, *output_shape)``.
        backend: ``torch`` or ``onnx``.
    """

    run: Path
    system: LightningModule
    data: LightningDataModule
    contract: Contract
    forward: Callable[[torch.Tensor], torch.Tensor] = field(repr=False)
    backend: Backend = "torch"

    @property
    def kind(self) -> str:
        """``text`` (a language model with ``generate``), ``classes`` or ``values``."""
        if callable(getattr(type(self.system), "generate", None)):
            return "text"
        return "classes" if self.contract.output == "classes" else "values"

    def decode(self, body: Any) -> Inputs:
        """A JSON body (already parsed) as model inputs; raises :class:`RequestError`."""
        if self.kind == "text":
            return self._prompt(body)
        if isinstance(body, dict) and "image" in body:
            return Inputs(self.images([decode_image(body["image"])]), single=True)
        if isinstance(body, dict) and "inputs" in body:
            body = body["inputs"]
        if _is_records(body):
            return self._records(body)
        return self.tensor(body)

    def tensor(self, values: Any) -> Inputs:
        """Nested lists as one sample ``input_shape`` or a batch ``(N, *input_shape)``."""
        shape, dtype = self.contract.input_shape, self.contract.input_dtype
        expected = f"numbers shaped {list(shape)} (one sample) or [N, {', '.join(map(str, shape))}] (a batch)"
        if not isinstance(values, list):
            raise RequestError(f"expected a JSON list of {expected}, got {type(values).__name__}")
        try:
            x = torch.tensor(values, dtype=dtype)
        except (TypeError, ValueError, RuntimeError):
            raise RequestError(f"expected {expected}: rectangular lists of numbers only") from None
        if tuple(x.shape) == shape:
            return Inputs(x.unsqueeze(0), single=True)
        if x.dim() == len(shape) + 1 and tuple(x.shape[1:]) == shape:
            if not len(x):
                raise RequestError(f"the batch is empty: send {expected}")
            return Inputs(x, single=False)
        if x.numel() == 0:
            raise RequestError(f"the batch is empty: send {expected}")
        raise RequestError(f"expected {expected}, got shape {list(x.shape)}")

    def images(self, images: list[Any]) -> torch.Tensor:
        """PIL images, resized and normalised as the run's data module did: ``(N, *input_shape)``."""
        encode = getattr(type(self.data), "encode_images", None)
        if not callable(encode):
            raise RequestError(f"this model reads {type(self.data).__name__} data, not images", 415)
        return self.data.encode_images(images)

    def _records(self, body: Any) -> Inputs:
        encode = getattr(type(self.data), "encode_records", None)
        if not callable(encode):
            name = type(self.data).__name__
            raise RequestError(f"this model reads {name} data, not table rows: send nested lists")
        records = [body] if isinstance(body, dict) else body
        if not records:
            raise RequestError("the batch is empty: send a row of named columns or a list of them")
        try:
            x = self.data.encode_records(records)
        except (KeyError, ValueError, TypeError) as err:
            raise RequestError(f"cannot read the rows: {str(err).strip(chr(39))}") from None
        return Inputs(x, single=isinstance(body, dict))

    def _prompt(self, body: Any) -> Inputs:
        prompts = body.get("prompt") if isinstance(body, dict) else body
        limit = body.get("max_new_tokens", 100) if isinstance(body, dict) else 100
        many = isinstance(prompts, list)
        prompts = prompts if many else [prompts]
        if not prompts or not all(isinstance(p, str) for p in prompts):
            raise RequestError('a language model reads {"prompt": "<text>", "max_new_tokens": 100}')
        if not isinstance(limit, int) or not 0 < limit <= 10_000:
            raise RequestError("max_new_tokens must be a whole number from 1 to 10000")
        return Inputs(prompts, single=not many, max_new_tokens=limit)

    def answer(self, requests: list[Inputs]) -> list[dict[str, Any]]:
        """One answer per request; tensor requests run through the network as one batch."""
        if self.kind == "text":
            return [self._texts(r) for r in requests]
        sizes = [len(r.x) for r in requests]
        with torch.inference_mode():
            scores = self.forward(torch.cat([r.x for r in requests])).float()
        return [self._encode(part, r.single) for part, r in zip(scores.split(sizes), requests, strict=True)]

    def _texts(self, request: Inputs) -> dict[str, Any]:
        texts = [self.system.generate(p, request.max_new_tokens) for p in request.x]
        return {"text": texts[0]} if request.single else {"predictions": [{"text": t} for t in texts]}

    def _encode(self, scores: torch.Tensor, single: bool) -> dict[str, Any]:
        if self.kind == "classes":
            rows = [{"class": int(s.argmax()), "probabilities": s.tolist()} for s in scores]
        else:
            rows = [{"values": s.tolist()} for s in scores]
        return rows[0] if single else {"predictions": rows}


def load_run(run: Path, backend: Backend = "torch") -> Served:
    """A run folder's best checkpoint (and for ``onnx`` its ``export/model.onnx``), ready to answer.

    Raises:
        ConfigError: not a run folder, no checkpoint, no ONNX file, or a model that cannot answer.
    """
    if not (run / "config.yaml").is_file():
        raise ConfigError(f"RUN={run} is not a run folder (runs/<name>/<time>, holding config.yaml)")
    checkpoint = best_point(run)
    load_hyperparameters(str(checkpoint))  # a truncated or foreign file is one line
    _import_classes(run)
    try:
        system = LightningModule.load_from_checkpoint(checkpoint, map_location="cpu", weights_only=True)
        data = LightningDataModule.load_from_checkpoint(checkpoint, map_location="cpu", weights_only=True)
    except (ValueError, TypeError, RuntimeError, KeyError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"{checkpoint} cannot be loaded to serve: {reason}") from None
    system.eval()
    contract = contract_of(system, "serving")
    if contract.takes == "noise" or contract.output == "samples":
        raise ConfigError(f"{type(system).__name__} draws samples from noise: it has no inputs to answer")
    forward = _onnx_forward(run, contract) if backend == "onnx" else _torch_forward(contract)
    return Served(run, system, data, contract, forward, backend)


def _torch_forward(contract: Contract) -> Callable[[torch.Tensor], torch.Tensor]:
    net = contract.net.eval()
    return lambda x: contract.scores(net(x))


def _onnx_forward(run: Path, contract: Contract) -> Callable[[torch.Tensor], torch.Tensor]:
    path = run / "export" / "model.onnx"
    if not path.is_file():
        raise ConfigError(f"{path} does not exist: export the run first (make export RUN={run})")
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: contract.scores(torch.from_numpy(session.run(None, {name: x.numpy()})[0]))


def _import_classes(run: Path) -> None:
    """Import the system and data module classes the run's config names, as ``litzoo test --run`` does.

    Lightning loads a checkpoint only into classes already imported.
    """
    config = yaml.safe_load((run / "config.yaml").read_text()) or {}
    for part in ("model", "data"):
        path = str((config.get(part) or {}).get("class_path", ""))
        try:
            importlib.import_module(path.rpartition(".")[0] or "litzoo")
        except ImportError as err:
            raise ConfigError(f"the run's {part} class {path} cannot be imported: {err}") from None


def decode_image(data: Any) -> Any:
    """A PIL image from base64 text or bytes (PNG or JPEG); raises :class:`RequestError`."""
    import base64
    import binascii
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        raw = data if isinstance(data, bytes) else base64.b64decode(str(data), validate=True)
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (binascii.Error, UnidentifiedImageError, OSError, ValueError):
        raise RequestError("the upload is not a PNG or JPEG image", 415) from None
    if image.format not in ("PNG", "JPEG"):
        raise RequestError(f"the upload is a {image.format} image: send PNG or JPEG", 415)
    return image


def _is_records(body: Any) -> bool:
    if isinstance(body, dict):
        return True
    return isinstance(body, list) and bool(body) and all(isinstance(r, dict) for r in body)
