"""The role matrix of `reliability.md` as guards, one per kind of access, so it reads as one table.

Roles: admin, ops, warehouse, support, finance, auditor, integration. Where `warehouse` is admitted, its users
are further limited to their own warehouses by the handler (`api.security.require_warehouses`).
"""

from __future__ import annotations

from api.security import allow
from infrastructure.identity.users import ROLES

ANY_ROLE = allow(*ROLES)

CATALOG_WRITE = allow("admin", "ops")
AGENT_WRITE = allow("admin", "ops", "support")
AGENT_READ = allow("admin", "ops", "support", "auditor")

STOCK_READ = ANY_ROLE
STOCK_MOVE = allow("admin", "warehouse")  # receipts, adjustments, transfers: own warehouses only
STOCK_POLICY = allow("admin", "ops")

ORDER_CREATE = allow("admin", "ops", "integration")
ORDER_READ = allow("admin", "ops", "support", "finance", "auditor", "warehouse")
ORDER_PAY = allow("admin", "ops", "finance")
ORDER_CANCEL = allow("admin", "ops")
ORDER_SHIP = allow("admin", "ops", "warehouse")
ORDER_RETURN = allow("admin", "ops", "finance", "warehouse")

TICKET_CREATE = allow("admin", "support", "integration")
TICKET_READ = allow("admin", "support", "ops", "auditor")
TICKET_WRITE = allow("admin", "support")

REPLENISHMENT_READ = allow("admin", "ops", "warehouse", "finance", "auditor")
REPLENISHMENT_WRITE = allow("admin", "ops")
JOBS_ADMIN = allow("admin", "ops")
FORECAST_READ = REPLENISHMENT_READ
FORECAST_WRITE = REPLENISHMENT_WRITE

CUSTOMER_READ = allow("admin", "ops", "support", "finance", "auditor")
AUDIT_READ = allow("admin", "auditor")

CUSTOMER_ERASE = allow("admin")

# Who sees customer contact data unmasked (everyone else gets "j***@example.com").
UNMASKED_CONTACT = frozenset({"admin"})
# Orders also show it to ops, who fix addresses and talk to carriers.
ORDER_CONTACT_UNMASKED = UNMASKED_CONTACT | {"ops"}

# ---- insight (issue 12), reliability.md "Role matrix — v1.1 additions" ----
KPI_READ = allow("admin", "ops", "finance", "auditor", "support")  # support: the ticket figures only
SALES_REPORT = allow("admin", "ops", "finance", "auditor")
INVENTORY_REPORT = allow("admin", "ops", "finance", "auditor", "warehouse")  # warehouse: its own warehouses
ALERT_READ = allow("admin", "ops", "auditor", "warehouse", "support", "finance")  # each sees its departments' kinds
ALERT_WRITE = allow("admin", "ops")
ALERT_SUBSCRIBE = allow("admin")
# ---- v1.1 money (reliability.md "Role matrix — v1.1 additions") ----
REFUND_REQUEST = allow("admin", "ops", "finance", "support")  # support: only with a ticket it holds
REFUND_DECIDE = allow("admin", "finance")  # never the requester (four-eyes, in the domain)
REFUND_READ = allow("admin", "ops", "finance", "support", "auditor")
TICKET_ACTION = allow("admin", "ops", "support")  # support: on tickets it holds
TICKET_ACTION_READ = allow("admin", "ops", "support", "finance", "auditor")
RETURN_RECEIVE = allow("admin", "ops", "warehouse")  # warehouse: its own warehouses
SETTLEMENT_WRITE = allow("admin", "finance")
SETTLEMENT_READ = allow("admin", "finance", "ops", "auditor")
# ---- v1.1: checkout holds and channels (reliability.md "Role matrix — v1.1 additions") -------------------
HOLD_CREATE = allow("admin", "ops", "integration")  # place, release, extend
HOLD_READ = allow("admin", "ops", "auditor")
CHANNEL_WRITE = allow("admin", "ops")
CHANNEL_AVAILABILITY_READ = allow("admin", "ops", "warehouse", "finance", "auditor")
CHANNEL_SYNC_READ = allow("admin", "ops", "finance", "auditor")
