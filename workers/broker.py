"""The broker for this process, configured before any actor is declared (Dramatiq's convention)."""

from infrastructure.jobs.broker import make_broker
from infrastructure.settings import get_settings

broker = make_broker(get_settings().redis_url)
