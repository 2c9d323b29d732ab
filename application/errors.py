"""Application errors that edges map to HTTP problems (domain errors come from domain.base)."""

from domain.base import DomainError


class NotFoundError(DomainError):
    code = "not_found"


class ConcurrencyError(DomainError):
    """The stream kept moving under us after all retries (HTTP 409)."""

    code = "concurrency_conflict"


class VersionMismatchError(DomainError):
    """If-Match named a version that is no longer current (HTTP 412)."""

    code = "version_mismatch"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, the record is at version {actual}")
        self.expected = expected
        self.actual = actual
