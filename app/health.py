"""``GET /healthz`` on the app's Flask server.

Returns JSON ``{status, backend, store_reachable, schema_version, app_schema_version}`` with
HTTP 200 when the graph store answers and 503 when it does not (then ``error`` says why, in the
same one line the app's banner would show). For load balancers and ``partnergraph status``.
"""

from __future__ import annotations

import logging
from typing import Any

import flask

from app.helpers import banner_for
from app.state import current_state
from graph.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)


def health_report() -> tuple[dict[str, Any], int]:
    """The health document and its HTTP status, for the app serving this request."""
    state = current_state()
    body: dict[str, Any] = {
        "status": "ok",
        "backend": state.backend,
        "store_reachable": True,
        "schema_version": None,
        "app_schema_version": SCHEMA_VERSION,
    }
    try:
        body["schema_version"] = state.store().schema_version()
    except Exception as exc:  # any failure means "not reachable"; never a 500 from a probe
        log.warning("health check: store unreachable: %s", exc)
        body.update(status="unavailable", store_reachable=False, error=banner_for(exc))
        return body, 503
    return body, 200


def healthz() -> flask.Response:
    body, status = health_report()
    response = flask.jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def register_health(server: flask.Flask) -> None:
    server.add_url_rule("/healthz", endpoint="healthz", view_func=healthz, methods=["GET"])
