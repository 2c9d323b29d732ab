"""The broker for this process, configured before any actor is declared (Dramatiq's convention)."""

from infrastructure.bootstrap import open_broker
from infrastructure.settings import get_settings

broker = open_broker(get_settings())
