"""Customer-service agents: skills (ticket categories), capacity and presence, used by automatic assignment."""

from __future__ import annotations

from litestar import Controller, Response, get, put
from litestar.params import JSONBody

from api.params import DEFAULT_LIMIT, AgentCode, Cmds, Cursor, Db, Limit, found
from api.roles import AGENT_READ, AGENT_WRITE
from api.runtime import etag
from api.schemas import AgentIn
from api.views import AgentOut, Page, agent_view, page
from infrastructure.readmodels import ticket_queue


class AgentController(Controller):
    path = "/agents"
    tags = ("tickets",)

    @put("/{agent_id:str}", guards=[AGENT_WRITE])
    async def put_agent(self, agent_id: AgentCode, data: JSONBody[AgentIn], commands: Cmds) -> Response[AgentOut]:
        result = await commands.run(
            commands.app.put_agent, agent_id, data.name, list(data.skills), data.capacity, data.online
        )
        return Response(agent_view(result), headers=etag(result.aggregate.version))

    @get("/{agent_id:str}", guards=[AGENT_READ])
    async def get_agent(self, agent_id: AgentCode, db: Db) -> Response[AgentOut]:
        return found(await ticket_queue.get_agent(db, agent_id), AgentOut, f"agent {agent_id}")

    @get("/", guards=[AGENT_READ])
    async def list_agents(self, db: Db, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[AgentOut]:
        return page(await ticket_queue.list_agents(db, limit=limit, cursor=cursor), AgentOut)
