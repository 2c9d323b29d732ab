"""The OpenAPI document a client generator can trust: problem responses on every operation, strict parameters,
`OPTIONS` that agrees with the document, and interactive docs that load nothing from outside."""

from __future__ import annotations

import re
from typing import Any

from tests.api.conftest import PROBLEM, Api, assert_problem

METHODS = {"get", "put", "post", "delete", "patch"}


def concrete(path: str, operation: dict[str, Any]) -> str:
    """The path with a well-formed value for each path parameter (routing checks their types)."""
    values = {
        p["name"]: "1" if p["schema"].get("type") == "integer" else "3f2a52f0-3f4b-4b8e-9a38-2f1a1d4c9e01"
        for p in operation.get("parameters", [])
        if p["in"] == "path"
    }
    return re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], path)


async def operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    document = (await api.client.get("/schema/openapi.json")).json()
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


async def test_every_api_operation_declares_its_errors_as_problems_with_an_example(api: Api) -> None:
    found = await operations(api)
    assert len(found) > 40
    for path, method, operation in found:
        errors = {status: r for status, r in operation["responses"].items() if status[0] in "45"}
        if path.startswith("/api/v1"):
            assert {"401", "503"} <= errors.keys(), (method, path)
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in errors, (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)
        for status, response in errors.items():
            content = response["content"]
            assert list(content) == [PROBLEM], (method, path, status)
            assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
            example = content[PROBLEM]["examples"][status]["value"]
            assert example["status"] == int(status)


async def test_operations_declare_what_their_metadata_implies(api: Api) -> None:
    by_key = {(method, path): op["responses"] for path, method, op in await operations(api)}
    assert {"403", "409", "412", "413", "422"} <= by_key["post", "/api/v1/orders/{order_id}/cancel"].keys()
    assert "429" in by_key["post", "/api/v1/auth/token"]
    assert {"200", "201"} <= by_key["post", "/api/v1/orders"].keys()  # success responses stay as they were
    assert "503" in by_key["get", "/health/ready"]
    assert by_key["get", "/health/live"].keys() == {"200"}


async def test_the_problem_schema_is_rfc_9457_with_field_errors(api: Api) -> None:
    schemas = (await api.client.get("/schema/openapi.json")).json()["components"]["schemas"]
    problem = schemas["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    assert problem["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert set(schemas["FieldError"]["required"]) == {"field", "message"}
    assert schemas["WarehouseIn"]["additionalProperties"] is False  # bodies refuse unknown fields, and say so


async def test_malformed_query_values_are_422_problems_naming_the_parameter(api: Api) -> None:
    for path, field in [
        ("/api/v1/audit/export?to=0.5", "to"),
        ("/api/v1/audit/export?from=1700000000", "from"),
        ("/api/v1/orders?limit=1e2", "limit"),
        ("/api/v1/orders?limit=501", "limit"),
        ("/api/v1/orders?min_position=1.0", "min_position"),
        ("/api/v1/audit/streams/3f2a52f0-3f4b-4b8e-9a38-2f1a1d4c9e01/events?cursor=abc", "cursor"),
    ]:
        body = assert_problem(await api.get(path), 422, "validation_error")
        assert [e["field"] for e in body["errors"]] == [field], path


async def test_a_well_formed_time_window_is_accepted(api: Api) -> None:
    response = await api.get("/api/v1/audit/export?from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00%2B00:00")
    assert response.status_code == 200, response.text


async def test_options_lists_exactly_the_documented_methods(api: Api) -> None:
    documented: dict[str, set[str]] = {}
    examples: dict[str, str] = {}
    for path, method, operation in await operations(api):
        documented.setdefault(path, set()).add(method.upper())
        examples[path] = concrete(path, operation)
    for path, methods in documented.items():
        response = await api.client.options(examples[path])
        assert response.status_code == 204, (path, response.text)
        assert set(response.headers["allow"].split(", ")) == methods | {"OPTIONS"}, path


async def test_the_interactive_docs_load_only_assets_the_api_serves_itself(api: Api) -> None:
    page = await api.client.get("/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert len(urls) >= 3
    for url in urls:
        assert url.startswith("/schema/"), url
        asset = await api.client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 0
