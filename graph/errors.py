"""The one error tree of PartnerGraph.

Every error a user can cause derives from :class:`PartnerGraphError`. Each carries a one-line
message that names what to fix; the CLI prints ``str(err)`` and exits with ``err.exit_code``,
the app shows it in a banner. Tracebacks are for bugs only.
"""

from __future__ import annotations


class PartnerGraphError(Exception):
    """Root of every expected error. ``hint`` says what to change."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(PartnerGraphError):
    """A setting is missing, malformed or contradictory."""

    exit_code = 2


class StoreUnavailable(PartnerGraphError):
    """The graph store cannot be reached or opened."""

    exit_code = 3


class AuthError(StoreUnavailable):
    """The store refused the credentials."""


class StoreLocked(StoreUnavailable):
    """The embedded database is locked by another server or is corrupt."""


class SchemaVersionError(PartnerGraphError):
    """The graph was written by a newer PartnerGraph than this one."""

    exit_code = 4


class QueryError(PartnerGraphError):
    """A query failed: syntax, timeout or a runtime error in the database."""

    exit_code = 5


class QueryRefused(QueryError):
    """The untrusted-query guard refused a query (writes, side effects, forbidden procedures)."""


class QueryTimeout(QueryError):
    """A query ran longer than its timeout."""


class InputError(PartnerGraphError):
    """A user-supplied file, parameter or value is invalid."""

    exit_code = 6


class NotBuilt(PartnerGraphError):
    """A stage that this version of PartnerGraph does not ship yet."""

    exit_code = 7
