"""Server settings: what `suite serve` was told, passed to each uvicorn worker process as JSON."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

ENV = "SUITE_SERVE_SETTINGS"


@dataclass
class Settings:
    models: dict[str, str] = field(default_factory=dict)  # domain name -> bundled name or model path
    token: str | None = None  # bearer token required on /v1/* when set
    max_upload_mb: float = 50.0  # larger request bodies get 413
    timeout_s: float = 60.0  # a request taking longer gets 504
    max_batch: int = 16  # micro-batching: most requests per model call (1 = off)
    max_wait_ms: float = 10.0  # micro-batching: longest wait for more requests
    device: str = "auto"
    threads: int | None = None  # torch threads per worker process

    def to_env(self) -> None:
        os.environ[ENV] = json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(**json.loads(os.environ.get(ENV, "{}")))
