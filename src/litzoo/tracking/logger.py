"""Weights & Biases: a set-up that never prompts and never hangs, and checkpoints as artifacts."""

import os
import socket
from urllib.parse import urlsplit

from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import WandbLogger as _LightningWandbLogger

from litzoo.errors import ConfigError

# The modes in which wandb.init talks to a server (run and shared are online too).
ONLINE_MODES = ("online", "run", "shared")


def _server() -> str:
    """The URL wandb.init talks to: ``WANDB_BASE_URL`` (e.g. a self-hosted server) or wandb's default."""
    import wandb  # only a run with the W&B logger pays for the import

    return os.environ.get("WANDB_BASE_URL") or wandb.Settings().base_url


def _has_credentials(url: str) -> bool:
    """An API key in the environment or, as ``wandb login`` writes it, in .netrc for ``url``."""
    from wandb.errors import AuthenticationError
    from wandb.sdk.lib.wbauth import read_netrc_auth

    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_IDENTITY_TOKEN_FILE"):
        return True
    try:
        return read_netrc_auth(host=url) is not None
    except AuthenticationError:  # an entry that is not a W&B key
        return False


def _reachable(url: str, timeout_s: float = 3.0) -> bool:
    """Whether a TCP connection to the server of ``url`` opens within ``timeout_s``."""
    parts = urlsplit(url)
    port = parts.port or (80 if parts.scheme == "http" else 443)
    try:
        with socket.create_connection((parts.hostname or url, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def choose_wandb_mode() -> str:
    """Set ``WANDB_MODE`` to offline unless credentials exist and W&B is reachable.

    An explicit ``WANDB_MODE`` is respected, but an online one is checked the same way
    first: wandb.init would otherwise raise without credentials, or wait about 100 s for a
    server it cannot reach. Returns the mode in force.

    Raises:
        ConfigError: ``WANDB_MODE`` asks for online W&B, which has no credentials or no server.
    """
    url = _server()
    mode = os.environ.get("WANDB_MODE")
    if mode is None:
        online = _has_credentials(url) and _reachable(url)
        os.environ["WANDB_MODE"] = "online" if online else "offline"
    elif mode in ONLINE_MODES:
        _check_online(mode, url)
    return os.environ["WANDB_MODE"]


def _check_online(mode: str, url: str) -> None:
    offline = "or unset WANDB_MODE to log offline (wandb sync uploads later)"
    if not _has_credentials(url):
        raise ConfigError(
            f"WANDB_MODE={mode} needs W&B credentials: set WANDB_API_KEY or run `wandb login`, {offline}"
        )
    if not _reachable(url):
        raise ConfigError(
            f"WANDB_MODE={mode}, but the W&B server {url} cannot be reached: check the network, {offline}"
        )


def is_wandb(logger: object) -> bool:
    """Whether a logger, or a logger's config section (``class_path``: a dict or a Namespace), is W&B's.

    The one check of "is this the W&B logger" for run set-up, sweeps, reports and pictures.
    """
    if isinstance(logger, _LightningWandbLogger):
        return True
    get = getattr(logger, "get", None)
    return callable(get) and str(get("class_path") or "").endswith("WandbLogger")


class WandbLogger(_LightningWandbLogger):
    """Lightning's W&B logger; with ``log_model: true`` it logs the best and the last checkpoint.

    Lightning logs, when a fit ends, the checkpoints of every ``ModelCheckpoint`` as versions
    of one ``model-<run id>`` artifact, aliased ``best`` and ``latest``. The periodic step
    checkpoints (``every_n_train_steps``) exist to bound what a kill loses: logged too, they
    would take the ``best`` alias (they are ranked by step) and add versions without bound.
    """

    def after_save_checkpoint(self, checkpoint_callback: ModelCheckpoint) -> None:
        if getattr(checkpoint_callback, "_every_n_train_steps", 0):
            return
        super().after_save_checkpoint(checkpoint_callback)
