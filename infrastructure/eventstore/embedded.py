"""The embedded default (D8): a PostgreSQL server installed as a Python package (pgserver), data under
`var/pg`, listening on a unix socket in its data directory; used by `shopops up` when DATABASE_URL is unset."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DATABASE = "shopops"


def start_embedded(data_dir: str) -> tuple[Any, str]:
    """Start (or reuse) the embedded server; returns the server handle and the URL of the `shopops` database.
    The server stops when this process exits."""
    if "XDG_RUNTIME_DIR" not in os.environ:  # pgserver keeps its lock file there; a private dir, as the spec asks
        runtime = Path(data_dir, "run").resolve()
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        runtime.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    import pgserver  # imported here: a heavy import only `shopops up` needs

    pgdata = Path(data_dir, "pg").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    url = urlsplit(server.get_uri())
    return server, urlunsplit(url._replace(path=f"/{DATABASE}"))
