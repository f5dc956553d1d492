"""Read a W&B offline ``.wandb`` transaction log back (for tests).

The file is a LevelDB-style log: a 7-byte header, then 32 KiB blocks of records, each
with a 7-byte header (crc32, length, type) and a slice of a protobuf ``Record``.
"""

import json
import struct
from pathlib import Path

from wandb.proto import wandb_internal_pb2 as pb

_BLOCK = 32 * 1024
_HEADER = struct.Struct("<IHB")
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def _payloads(data: bytes):
    pos, chunks = 7, []
    while pos + _HEADER.size <= len(data):
        left = _BLOCK - (pos % _BLOCK)
        if left < _HEADER.size:
            pos += left
            continue
        _, length, kind = _HEADER.unpack_from(data, pos)
        pos += _HEADER.size
        chunk, pos = data[pos : pos + length], pos + length
        if kind == 0 and length == 0:
            continue
        chunks.append(chunk)
        if kind in (_FULL, _LAST):
            yield b"".join(chunks)
            chunks = []


def read_run(path: Path) -> tuple[dict, list[dict]]:
    """Return the run's config (nested dict) and its history rows."""
    config: dict = {}
    history: list[dict] = []
    for payload in _payloads(path.read_bytes()):
        record = pb.Record()
        record.ParseFromString(payload)
        kind = record.WhichOneof("record_type")
        if kind == "config":
            for item in record.config.update:
                config[item.key] = json.loads(item.value_json)
        elif kind == "history":
            row = {(i.key or "/".join(i.nested_key)): json.loads(i.value_json) for i in record.history.item}
            history.append(row)
    return config, history
