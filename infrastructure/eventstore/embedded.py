"""The embedded default (D8): a PostgreSQL server installed as a Python package (pgserver), data under
`var/pg`, listening on a unix socket in its data directory; used by `shopops up` when DATABASE_URL is unset."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from infrastructure.settings import default_environment

DATABASE = "shopops"


def start_embedded(data_dir: str) -> tuple[Any, str]:
    """Start (or reuse) the embedded server; returns the server handle and the URL of the `shopops` database.
    The server stops when this process exits."""
    # pgserver keeps its lock file in XDG_RUNTIME_DIR; without one, a private dir (as the XDG spec asks).
    runtime = Path(default_environment("XDG_RUNTIME_DIR", str(Path(data_dir, "run").resolve())))
    if runtime == Path(data_dir, "run").resolve():
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        runtime.chmod(0o700)
    import pgserver  # imported here: a heavy import only `shopops up` needs

    pgdata = Path(data_dir, "pg").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    url = urlsplit(server.get_uri())
    return server, urlunsplit(url._replace(path=f"/{DATABASE}"))
