"""Tickets, agents and customer profiles over HTTP: contract shapes, role limits and contact masking."""

from __future__ import annotations

from tests.api.conftest import Api, assert_problem, event_count

TICKET_FIELDS = {
    "id",
    "status",
    "category",
    "priority",
    "assignee",
    "order_id",
    "sla",
    "version",
    "position",
    "opened_at",
}
AGENT = {"name": "Li Wei", "skills": ["shipping", "refund"], "capacity": 5, "online": True}


def ticket_body(**overrides: object) -> dict[str, object]:
    return {"customer_id": "cust-1", "channel": "email", "subject": "包裹在哪里", "body": "我的订单还没到", **overrides}


async def test_agents_are_put_by_admin_ops_or_support_and_listed(api: Api) -> None:
    response = await api.put("/api/v1/agents/li", AGENT, role="support")
    assert response.status_code == 200
    agent = response.json()
    assert (agent["id"], agent["capacity"], agent["online"]) == ("li", 5, True)
    assert {"version", "position"} <= agent.keys()
    assert_problem(await api.put("/api/v1/agents/li", AGENT, role="finance"), 403)
    assert_problem(await api.put("/api/v1/agents/li", {**AGENT, "skills": ["cooking"]}), 422)
    assert_problem(await api.put("/api/v1/agents/li", {**AGENT, "capacity": -1}), 422)
    one = await api.seen("/api/v1/agents/li", agent["position"], role="ops")
    assert one.status_code == 200
    assert one.json()["id"] == "li"
    listed = await api.get("/api/v1/agents", role="auditor")
    assert [a["id"] for a in listed.json()["items"]] == ["li"]


async def test_a_ticket_is_opened_answered_assigned_resolved_and_reopened(api: Api) -> None:
    position = (await api.put("/api/v1/agents/li", AGENT)).json()["position"]
    opened = await api.post("/api/v1/tickets", ticket_body(), role="integration")
    assert opened.status_code == 201
    ticket = opened.json()
    assert ticket.keys() >= TICKET_FIELDS
    assert {"first_response_due", "resolution_due", "breached"} <= ticket["sla"].keys()
    assert ticket["status"] == "open"
    tid = ticket["id"]
    seen = await api.seen(f"/api/v1/tickets/{tid}", max(position, ticket["position"]), role="ops")
    assert seen.status_code == 200
    assert seen.json()["id"] == tid
    assert seen.headers["etag"] == f'"{seen.json()["version"]}"'
    assigned = await api.post(f"/api/v1/tickets/{tid}/assignment", {"agent_id": "li"}, role="support")
    assert assigned.status_code == 200
    assert assigned.json()["assignee"] == "li"
    replied = await api.post(f"/api/v1/tickets/{tid}/replies", {"author": "agent", "body": "已发货"}, role="support")
    assert replied.status_code == 201
    assert replied.json()["status"] == "waiting_customer"
    resolved = await api.post(f"/api/v1/tickets/{tid}/resolve", {"note": "delivered"}, role="support")
    assert (resolved.status_code, resolved.json()["status"]) == (200, "resolved")
    assert_problem(await api.post(f"/api/v1/tickets/{tid}/resolve", {}, role="support"), 409)
    reopened = await api.post(f"/api/v1/tickets/{tid}/reopen", role="support")
    assert (reopened.status_code, reopened.json()["status"]) == (200, "assigned")
    listed = await api.seen("/api/v1/tickets?assignee=li", reopened.json()["position"], role="auditor")
    assert [t["id"] for t in listed.json()["items"]] == [tid]


async def test_ticket_roles_and_bad_input_are_refused_without_recording_anything(api: Api) -> None:
    url = api.settings.require_database_url()
    before = event_count(url)
    for role in ("ops", "finance", "warehouse", "auditor"):
        assert_problem(await api.post("/api/v1/tickets", ticket_body(), role=role), 403)
    assert_problem(await api.get("/api/v1/tickets", role="finance"), 403)
    assert_problem(await api.post("/api/v1/tickets", ticket_body(subject="")), 422)
    assert_problem(await api.post("/api/v1/tickets", ticket_body(priority="urgent")), 422)
    unknown_order = ticket_body(order_id="00000000-0000-0000-0000-000000000001")
    assert_problem(await api.post("/api/v1/tickets", unknown_order), 422, "unknown_reference")
    assert event_count(url) == before
    opened = (await api.post("/api/v1/tickets", ticket_body())).json()
    assert_problem(await api.post(f"/api/v1/tickets/{opened['id']}/replies", {"author": "bot", "body": "x"}), 422)
    assert_problem(await api.post(f"/api/v1/tickets/{opened['id']}/assignment", {"agent_id": "nobody"}), 422)
    assert_problem(
        await api.post(f"/api/v1/tickets/{opened['id']}/replies", {"author": "agent", "body": "x"}, role="integration"),
        403,
    )


async def test_customer_contact_data_is_masked_for_everyone_but_admin(api: Api) -> None:
    await api.catalog("A")
    order = await api.place("C-1")
    admin = await api.seen("/api/v1/customers/cust-1", order["position"])
    assert admin.status_code == 200
    assert admin.json()["email"] == "jane@example.com"
    for role in ("ops", "support", "finance", "auditor"):
        masked = (await api.get("/api/v1/customers/cust-1", role=role)).json()
        assert masked["email"] == "j***@example.com"
        assert "Jane Doe" not in str(masked)
        assert "7946" not in str(masked)
    assert_problem(await api.get("/api/v1/customers/cust-1", role="warehouse", warehouses=("W1",)), 403)
    assert_problem(await api.get("/api/v1/customers/cust-1", role="integration"), 403)
    assert_problem(await api.get("/api/v1/customers/nobody"), 404)
