"""Customer profiles assembled from orders and tickets; contact fields masked for every role but admin."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import PathParameter, QueryParameter

from api.masking import mask_contact
from api.params import NO_CONTROL, Db
from api.roles import CUSTOMER_ERASE, CUSTOMER_READ, UNMASKED_CONTACT
from api.runtime import ApiRequest, request_id
from infrastructure.identity.personal_data import CONTACT_FIELDS, erase, record_pii_access, unseal
from infrastructure.readmodels import customer_profile


async def _may_see_contact(request: ApiRequest, db: Any, customer_id: str, *, unmask: bool, reason: str | None) -> bool:
    roles = set(request.user.roles)
    if UNMASKED_CONTACT & roles:
        return True
    if "auditor" in roles and unmask:
        if not reason:
            raise ValidationException("unmasking needs a reason")
        await record_pii_access(db, request.user.username, "auditor", customer_id, reason, request_id(request.scope))
        return True
    if "support" in roles:
        return bool(
            await db.fetchval(
                "SELECT EXISTS (SELECT 1 FROM ticket_queue WHERE customer_id = $1 AND assignee = $2 "
                "AND status NOT IN ('resolved', 'closed'))",
                customer_id,
                request.user.username,
            )
        )
    return False


class CustomerController(Controller):
    path = "/customers"
    tags = ("customers",)

    @get("/{customer_id:str}", guards=[CUSTOMER_READ])
    async def get_customer(
        self,
        request: ApiRequest,
        customer_id: Annotated[str, PathParameter(min_length=1, max_length=100, pattern=NO_CONTROL)],
        db: Db,
        unmask: Annotated[bool, QueryParameter(description="auditors: show contact data (recorded)")] = False,
        reason: Annotated[str | None, QueryParameter(min_length=3, max_length=500, pattern=NO_CONTROL)] = None,
    ) -> dict[str, Any]:
        """The profile. Contact data is shown to admins, to the support agent holding one of the customer's
        open tickets, and to an auditor who asks with `unmask=true&reason=...` — and that access is logged."""
        profile = await customer_profile.get_customer(db, customer_id)
        if profile is None:
            raise NotFoundException("customer not found")
        sealed = profile.pop("sealed", None)
        contact = await unseal(db, {"id": customer_id, "sealed": sealed}) if sealed else None
        if contact:
            profile.update({k: contact.get(k) for k in CONTACT_FIELDS})
        if await _may_see_contact(request, db, customer_id, unmask=unmask, reason=reason):
            return profile
        return mask_contact(profile)

    @post("/{customer_id:str}/erasure", guards=[CUSTOMER_ERASE], status_code=200)
    async def erase(
        self,
        request: ApiRequest,
        customer_id: Annotated[str, PathParameter(min_length=1, max_length=100, pattern=NO_CONTROL)],
        db: Db,
    ) -> dict[str, Any]:
        """Forget the customer: their key is deleted, so their name, e-mail, phone and address become
        unreadable in events, read models, exports and dumps; orders, stock and the audit chain stay intact."""
        erased_at = await erase(db, customer_id, request.user.username)
        return {"customer_id": customer_id, "erased_at": erased_at.isoformat()}
