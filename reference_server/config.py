"""Server configuration: one frozen dataclass, passed to worker processes as JSON in the environment."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

CONFIG_ENV = "REFERENCE_SERVER_CONFIG"
DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_CHUNK_MIN_LENGTH = 64 * 1024 * 1024  # clients hold a chunk in memory; S3's 5 MiB part minimum is typical


@dataclass(frozen=True)
class Config:
    """Everything the app needs to know; the CLI builds it from arguments."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 1
    delete_enabled: bool = True
    log_level: str = "warning"
    access_log: bool = False
    referrers_page_size: int = 100
    upload_timeout: float = 3600.0
    chunk_min_length: int | None = None  # OCI-Chunk-Min-Length; None advertises none (any size accepted)
    max_manifest_bytes: int = DEFAULT_MAX_MANIFEST_BYTES
    fsync: bool = False
    auth: str = "none"
    # auth options (reference_server/auth/cli.py explains them)
    users_file: str | None = None
    access_file: str | None = None
    token_realm: str | None = None
    token_service: str | None = None
    token_issuer: str | None = None
    token_ttl: int = 300
    token_key: str | None = None

    def to_json(self) -> str:
        """Serialise for worker processes."""
        data = asdict(self)
        data["data_dir"] = str(self.data_dir)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Config:
        """Inverse of `to_json`."""
        data = json.loads(text)
        data["data_dir"] = Path(data["data_dir"])
        return cls(**data)

    @classmethod
    def from_env(cls) -> Config:
        """The configuration the CLI put into the environment (worker processes)."""
        return cls.from_json(os.environ[CONFIG_ENV])
