"""Customer profiles assembled from orders and tickets; contact fields masked for every role but admin."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter

from api.masking import mask_contact
from api.params import NO_CONTROL, Db
from api.roles import CUSTOMER_ERASE, CUSTOMER_READ, UNMASKED_CONTACT
from api.runtime import ApiRequest
from infrastructure.personal_data import CONTACT_FIELDS, erase, unseal
from infrastructure.projections import customer_profile


class CustomerController(Controller):
    path = "/customers"
    tags = ("customers",)

    @get("/{customer_id:str}", guards=[CUSTOMER_READ])
    async def get_customer(
        self,
        request: ApiRequest,
        customer_id: Annotated[str, PathParameter(min_length=1, max_length=100, pattern=NO_CONTROL)],
        db: Db,
    ) -> dict[str, Any]:
        profile = await customer_profile.get_customer(db, customer_id)
        if profile is None:
            raise NotFoundException("customer not found")
        sealed = profile.pop("sealed", None)
        contact = await unseal(db, {"id": customer_id, "sealed": sealed}) if sealed else None
        if contact:
            profile.update({k: contact.get(k) for k in CONTACT_FIELDS})
        return profile if UNMASKED_CONTACT.intersection(request.user.roles) else mask_contact(profile)

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
