"""How the hub runs the dashboard under uvicorn, whoever starts it (the service, the demo).

uvicorn believes ``X-Forwarded-For`` and ``X-Forwarded-Proto`` from 127.0.0.1 unless told
otherwise, so anything on the host could claim any client address (and so dodge the login
throttle). Here they are believed only from the configured proxies, and ignored when there
are none.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from fastapi import FastAPI


def uvicorn_config(
    app: FastAPI, host: str, port: int, trusted_proxies: tuple[str, ...], **options: Any
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=list(trusted_proxies) if trusted_proxies else [],
        server_header=False,
        **options,
    )
