"""`/dashboard`: the operations page, a small folder of static files (vendored Chart.js, no CDN) that speaks
only the public API; it signs in with the same credentials (D14)."""

from __future__ import annotations

from pathlib import Path

from litestar import Controller, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

FOLDER = Path(__file__).resolve().parent.parent / "dashboard"
FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "i18n.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "vendor/chart.umd.js": "text/javascript; charset=utf-8",
    "vendor/chart.js-LICENSE.md": "text/plain; charset=utf-8",
}
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _file(name: str) -> Response[bytes]:
    if name not in FILES:
        raise NotFoundException("no such dashboard file")
    return Response(
        (FOLDER / name).read_bytes(),
        media_type=FILES[name],
        headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-cache"},
    )


class DashboardController(Controller):
    path = "/dashboard"
    include_in_schema = False

    @get("/")
    async def page(self) -> Response[bytes]:
        return _file("index.html")

    @get("/{name:path}")
    async def asset(self, name: FromPath[str]) -> Response[bytes]:
        return _file(name.lstrip("/"))
