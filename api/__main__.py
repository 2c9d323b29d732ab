"""The HTTP API as a process: `python -m api [--host H] [--port P] [--workers N]` (what `shopops api` runs)."""

from __future__ import annotations

import argparse
import sys

import uvicorn


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m api", description="Run the shopops HTTP API (uvicorn).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1, help="API processes (stateless; each builds its own app)")
    args = parser.parse_args(argv)
    # uvicorn needs an import string to start several processes; it names this package's own factory.
    uvicorn.run(
        "api.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
