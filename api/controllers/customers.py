"""Customer profiles assembled from orders and tickets; contact fields masked for every role but admin."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter

from api.params import NO_CONTROL, Db
from api.roles import CUSTOMER_READ, UNMASKED_CONTACT
from api.runtime import ApiRequest
from infrastructure.projections import customer_profile

MASK = "***"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{MASK}@{domain}" if domain else MASK


def mask_contact(profile: dict[str, Any]) -> dict[str, Any]:
    """ "john@example.com" → "j***@example.com", "Jane Doe" → "J***", phone keeps its last two digits."""
    masked = dict(profile)
    if masked.get("email"):
        masked["email"] = mask_email(str(masked["email"]))
    if masked.get("name"):
        masked["name"] = str(masked["name"])[:1] + MASK
    if masked.get("phone"):
        masked["phone"] = MASK + str(masked["phone"])[-2:]
    if masked.get("address"):
        address = masked["address"]
        masked["address"] = dict.fromkeys(address, MASK) if isinstance(address, dict) else MASK
    return masked


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
        return profile if UNMASKED_CONTACT.intersection(request.user.roles) else mask_contact(profile)
