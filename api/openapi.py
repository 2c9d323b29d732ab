"""The OpenAPI document, finished from what each operation really does: its problem responses and strict inputs.

Litestar documents the success response; `finish_openapi` adds, per operation and derived from its metadata
(so new routes get them without a word), the `application/problem+json` answers it can give (see
`problem_statuses`) with the `Problem` schema and an example each, and tightens what Litestar leaves loose:
query parameters are never `null`, constraints of dependency parameters (`min_position`) are kept, optional
bodies are not required and bodies that refuse unknown fields say `additionalProperties: false`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar, Router
from litestar.handlers import HTTPRouteHandler
from litestar.middleware.rate_limit import RateLimitMiddleware
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    Example,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
)
from litestar.params import KwargDefinition
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.typing import FieldDefinition

from api.idempotency import IdempotencyMiddleware
from api.problems import HTTP_CODES, PROBLEM_JSON, TYPE_BASE
from api.security import API_PREFIX, Allow

DETAILS = {
    400: "the request body is not valid JSON",
    401: "a bearer token is required",
    403: "your role may not do this",
    404: "not found",
    409: "the record changed concurrently; retry",
    412: "the record is at version 4, not 3",
    413: "the request body is too large",
    422: "the request is not valid",
    429: "too many requests; retry later",
    503: "the database is unavailable; retry shortly",
}
RETRY_AFTER = OpenAPIHeader(schema=Schema(type=OpenAPIType.INTEGER), description="seconds to wait before retrying")
HEADERS: dict[int, dict[str, OpenAPIHeader | Reference]] = {
    401: {"WWW-Authenticate": OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING), description="Bearer")},
    409: {"Retry-After": RETRY_AFTER},
    429: {"Retry-After": RETRY_AFTER},
    503: {"Retry-After": RETRY_AFTER},
}
_CONSTRAINTS = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusive_minimum",
    "lt": "exclusive_maximum",
    "min_length": "min_length",
    "max_length": "max_length",
    "pattern": "pattern",
}


DOCS_ASSETS = Path(__file__).parent / "static" / "docs"  # swagger-ui-dist 5.32.0 (Apache-2.0, see LICENSE there)
DOCS_ASSETS_PATH = "/schema/assets"


def docs_assets() -> Router:
    """The interactive docs' scripts and styles, served by the app itself: the docs work offline (no CDN)."""
    return create_static_files_router(
        path=DOCS_ASSETS_PATH, directories=[DOCS_ASSETS], include_in_schema=False, name="docs_assets"
    )


def docs_plugin() -> SwaggerRenderPlugin:
    return SwaggerRenderPlugin(
        path="/",
        js_url=f"{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{DOCS_ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{DOCS_ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{DOCS_ASSETS_PATH}/favicon-32x32.png'>",
    )


def problem_schemas() -> dict[str, Schema]:
    """`Problem` (RFC 9457 plus the stable `code` and, for validation errors, `errors`) and `FieldError`."""
    text = Schema(type=OpenAPIType.STRING)
    field_error = Schema(
        type=OpenAPIType.OBJECT,
        required=["field", "message"],
        properties={"field": text, "message": text},
        title="FieldError",
    )
    problem = Schema(
        type=OpenAPIType.OBJECT,
        required=["type", "title", "status", "detail", "code"],
        properties={
            "type": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.URI, description=f"{TYPE_BASE}<code>"),
            "title": text,
            "status": Schema(type=OpenAPIType.INTEGER),
            "detail": Schema(type=OpenAPIType.STRING, description="for humans"),
            "code": Schema(type=OpenAPIType.STRING, description="stable; clients branch on it"),
            "errors": Schema(
                type=OpenAPIType.ARRAY,
                items=Reference("#/components/schemas/FieldError"),
                description="validation errors, one per field",
            ),
        },
        title="Problem",
        description="RFC 9457 problem details",
    )
    return {"Problem": problem, "FieldError": field_error}


def problem_example(status: int) -> dict[str, Any]:
    code = HTTP_CODES.get(status, "error")
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": DETAILS.get(status, HTTPStatus(status).description),
        "code": code,
    }
    if status == 422:
        body["errors"] = [{"field": "quantity", "message": "Expected `int` >= 1"}]
    return body


def problem_response(status: int) -> OpenAPIResponse:
    example = Example(summary=HTTPStatus(status).phrase, value=problem_example(status))
    media = OpenAPIMediaType(schema=Reference("#/components/schemas/Problem"), examples={str(status): example})
    return OpenAPIResponse(
        description=HTTPStatus(status).description, headers=HEADERS.get(status), content={PROBLEM_JSON: media}
    )


def _middleware_types(handler: HTTPRouteHandler) -> Iterator[type]:
    for item in handler.resolve_middleware():
        kind = getattr(item, "middleware", item)
        if isinstance(kind, type):
            yield kind


def problem_statuses(route: HTTPRoute, handler: HTTPRouteHandler, operation: Operation) -> set[int]:
    """What an operation can answer besides success, from its metadata (path, guards, inputs, middleware)."""
    names = {p.name for p in operation.parameters or () if isinstance(p, Parameter)}
    has_input = bool(names or operation.request_body)
    signature = handler.parsed_fn_signature.parameters
    middleware = set(_middleware_types(handler))
    statuses = {exc.status_code for exc in handler.raises or ()}  # what the handler declares itself
    rules = (
        # the database can always be unreachable; public routes check credentials or signatures instead
        (route.path.startswith(API_PREFIX), {401, 503}),
        (any(isinstance(g, Allow) for g in handler.resolve_guards()), {403}),
        (bool(route.path_parameters), {404}),
        (has_input, {400, 422}),
        (operation.request_body is not None, {413}),
        ("commands" in signature, {409}),
        ("If-Match" in names, {412}),
        ("min_position" in names, {422, 503}),
        (any(issubclass(m, IdempotencyMiddleware) for m in middleware), {409, 413, 422}),
        (any(issubclass(m, RateLimitMiddleware) for m in middleware), {429}),
    )
    for applies, codes in rules:
        if applies:
            statuses |= codes
    return statuses


def _fields(handler: HTTPRouteHandler) -> dict[str, FieldDefinition]:
    """The handler's parameters and those of its dependencies, by the name they have in the request."""
    found: dict[str, FieldDefinition] = {}
    providers = handler.resolve_dependencies()
    signatures = [handler.parsed_fn_signature, *(p.parsed_fn_signature for p in providers.values())]
    for signature in signatures:
        for name, field in signature.parameters.items():
            kwarg = field.kwarg_definition
            alias = getattr(kwarg, "query", None) or getattr(kwarg, "header", None) or getattr(kwarg, "name", None)
            found.setdefault(alias or name, field)
    return found


def _strict_parameter(parameter: Parameter, field: FieldDefinition | None) -> None:
    """A query value is a string: `null` is no value of it. Keep the constraints Litestar drops on optionals."""
    schema = parameter.schema
    if not isinstance(schema, Schema):
        return
    if schema.one_of:
        kept = [s for s in schema.one_of if not (isinstance(s, Schema) and s.type == OpenAPIType.NULL)]
        if len(kept) == 1 and isinstance(kept[0], Schema):
            outer = [f.name for f in dataclasses.fields(schema) if f.name != "one_of"]
            schema = dataclasses.replace(
                kept[0], **{k: getattr(schema, k) for k in outer if getattr(schema, k) is not None}
            )
    kwarg = field.kwarg_definition if field is not None else None
    if isinstance(kwarg, KwargDefinition):
        for source, target in _CONSTRAINTS.items():
            value = getattr(kwarg, source, None)
            if value is not None and getattr(schema, target) is None:
                schema = dataclasses.replace(schema, **{target: value})
    parameter.schema = schema


def _closed_structs(annotation: Any, seen: set[type]) -> Iterator[type[msgspec.Struct]]:
    """Structs reachable from a body annotation that refuse unknown fields."""
    for kind in _types_in(annotation):
        if isinstance(kind, type) and issubclass(kind, msgspec.Struct) and kind not in seen:
            seen.add(kind)
            if kind.__struct_config__.forbid_unknown_fields:
                yield kind
            for field in msgspec.structs.fields(kind):
                yield from _closed_structs(field.type, seen)


def _types_in(annotation: Any) -> Iterator[Any]:
    yield annotation
    for argument in getattr(annotation, "__args__", ()) or ():
        yield from _types_in(argument)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None:
        yield from _types_in(origin)


def _finish_body(operation: Operation, handler: HTTPRouteHandler, components: Components, seen: set[type]) -> None:
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None or not isinstance(operation.request_body, RequestBody):
        return
    if data.is_optional or data.has_default:
        operation.request_body.required = False
    schemas = components.schemas or {}
    for struct in _closed_structs(data.annotation, seen):
        for schema in schemas.values():
            if schema.title == struct.__name__:
                schema.additional_properties = False


def finish_openapi(app: Litestar) -> None:
    """Complete the app's OpenAPI document in place (built once here, so a broken document stops start-up)."""
    openapi = app.openapi_schema
    components = openapi.components
    components.schemas = {**(components.schemas or {}), **problem_schemas()}
    seen: set[type] = set()
    for route in app.routes:
        item = (openapi.paths or {}).get(route.path_format or "/") if isinstance(route, HTTPRoute) else None
        if item is None or not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            operation = getattr(item, method.lower(), None)
            if not isinstance(operation, Operation):
                continue
            fields = _fields(handler)
            for parameter in operation.parameters or ():
                if isinstance(parameter, Parameter):
                    _strict_parameter(parameter, fields.get(parameter.name))
            _finish_body(operation, handler, components, seen)
            _declare_csv(operation)
            _declare_problems(route, handler, operation)


def _declare_csv(operation: Operation) -> None:
    """Operations with a `format` query parameter (the reports) also answer their 200 as CSV."""
    if not any(isinstance(p, Parameter) and p.name == "format" for p in operation.parameters or ()):
        return
    ok = (operation.responses or {}).get("200")
    if isinstance(ok, OpenAPIResponse):
        ok.content = {**(ok.content or {}), "text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))}


def _declare_problems(route: HTTPRoute, handler: HTTPRouteHandler, operation: Operation) -> None:
    """Every 4xx/5xx is a problem document: Litestar's own error schema (`status_code`, `extra`) is replaced."""
    declared = {int(status) for status in handler.responses or {} if int(status) >= 400}
    responses = {k: v for k, v in (operation.responses or {}).items() if not k.startswith(("4", "5"))}
    for status in sorted(problem_statuses(route, handler, operation) | declared):
        responses[str(status)] = problem_response(status)
    operation.responses = responses
