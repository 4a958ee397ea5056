"""The Dash app factory: ``create_app(settings, store=None) -> dash.Dash``.

Pages live in ``app/pages/`` and register themselves with ``dash.register_page``; their callbacks
use ``dash.callback`` and reach the store through :func:`app.state.current_state`, so no page
imports the app. Errors are translated at this edge: any exception a callback raises is turned
into one line in the shared error banner (:func:`app.helpers.banner_for`), never a traceback.

Access (:mod:`app.access`, :mod:`app.login`) is wired here too: every page's layout is wrapped so
a user whose roles do not open it sees a plain explanation instead, the navbar lists only the
pages the user may open, and says who is signed in (or that the app runs in local mode).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import dash
import flask
from dash import Input, Output, State, dcc, html, set_props

from app import ids
from app.access import Access, build_access, can_open, current_user, denial_text, session_secret
from app.health import register_health
from app.helpers import banner_for
from app.job_records import JobRecords
from app.jobs import JobRunner
from app.jobs import install as install_jobs
from app.login import csrf_token, install_login
from app.state import AppState, install
from graph.errors import PartnerGraphError
from graph.settings import Settings
from graph.store.base import GraphStore

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"
ASSETS = HERE / "assets"

BACKEND_NAMES = {"falkordb": "FalkorDB-lite (embedded)", "neo4j": "Neo4j"}


def create_app(settings: Settings, store: GraphStore | None = None, *,
               access: Access | None = None) -> dash.Dash:
    """Build the Dash app on ``settings``.

    ``store`` is the one graph store the app uses; without it, the store named by the settings
    is opened on first use (and the health endpoint reports 503 while it cannot be). ``access``
    is the sign-in mode and users; without it, it is built from ``settings`` (users file, admin
    from the settings).
    """
    app = dash.Dash(
        "app",
        use_pages=True,
        pages_folder=str(PAGES),
        assets_folder=str(ASSETS),
        title="PartnerGraph",
        update_title="",
        suppress_callback_exceptions=True,
        on_error=_show_error,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    _drop_stale_page_callbacks()
    _guard_pages()
    server = app.server
    access = access if access is not None else build_access(settings)
    install_login(server, access, session_secret(settings))
    install(server, AppState(settings, store))
    install_jobs(server, JobRunner(JobRecords.under(settings.home)))
    register_health(server)
    app.layout = _layout
    _register_banner(app)
    return app


def _drop_stale_page_callbacks() -> None:
    """Keep one registration per output in Dash's global ``dash.callback`` list.

    Every ``dash.Dash(use_pages=True)`` re-executes the page modules, which registers their
    callbacks again; an app built earlier but never served (tests, factories called twice)
    leaves its copies in the global list, and the next app would then send the browser
    duplicate outputs. The global map already keeps only the newest, so the list follows it.
    (Dash has no public API for this; one live app per process is the supported case.)
    """
    from dash import _callback

    seen: set[str] = set()
    newest_first = []
    for spec in reversed(_callback.GLOBAL_CALLBACK_LIST):
        if spec["output"] in seen:
            continue
        seen.add(spec["output"])
        newest_first.append(spec)
    _callback.GLOBAL_CALLBACK_LIST[:] = newest_first[::-1]


def _guard_pages() -> None:
    """Wrap every page's layout: a user whose roles do not open the page gets a plain message."""
    for page in dash.page_registry.values():
        inner = page.get("layout")
        if getattr(inner, "_pg_guarded", False):
            continue
        page["layout"] = _guarded(page["relative_path"], page["name"], inner)


def _guarded(path: str, name: str, inner: Any) -> Any:
    def layout(**query: Any) -> Any:
        user = current_user()
        if not can_open(user, path):
            return denied_layout(denial_text(user, path=path, page_name=name))
        return inner(**query) if callable(inner) else inner

    layout._pg_guarded = True  # type: ignore[attr-defined]
    return layout


def denied_layout(text: str) -> html.Div:
    """What a page shows to a user whose roles do not open it."""
    return html.Div(
        className="pg-page",
        children=html.Section(
            className="pg-card pg-denied",
            children=[html.H2("Not available to your account"), html.P(text, id=ids.ACCESS_DENIED)],
        ),
    )


def _show_error(err: Exception) -> None:
    """Global callback error handler: log it, show one line in the banner, update nothing else."""
    if isinstance(err, PartnerGraphError):
        log.warning("callback failed: %s", err)
    else:
        log.error("callback failed", exc_info=err)
    set_props(ids.BANNER_TEXT, {"children": banner_for(err)})
    set_props(ids.BANNER, {"hidden": False})


def _aria(**attrs: str) -> dict[str, Any]:
    """``aria-*`` attributes as keyword arguments for Dash html components."""
    return {f"aria-{k}": v for k, v in attrs.items()}


def _nav_links() -> list[Any]:
    user = current_user()
    pages = sorted(dash.page_registry.values(), key=lambda p: (p.get("order") or 0, p["name"]))
    return [
        dcc.Link(p["name"], href=p["relative_path"], className="pg-nav-link", id=f"nav-{p['module'].rsplit('.', 1)[-1]}")
        for p in pages
        if can_open(user, p["relative_path"])
    ]


def _user_badge() -> Any:
    user = current_user()
    if user is None:
        return None
    if user.local:
        return html.Span(
            "Local mode · every role",
            id=ids.USER_BADGE,
            className="pg-badge pg-badge-local",
            title=("Bound to this machine with no users configured: you are the single local user, with "
                   "every role. Set PARTNERGRAPH_APP_USERS (or an admin from env) to require sign-in."),
        )
    return html.Form(
        method="post",
        action="/logout",
        className="pg-user",
        children=[
            html.Span([user.name, html.Span(" · " + ", ".join(sorted(user.roles)), className="pg-user-roles")],
                      id=ids.USER_BADGE, className="pg-user-name"),
            dcc.Input(type="hidden", name="csrf", value=csrf_token()),
            html.Button("Sign out", type="submit", id=ids.LOGOUT, className="pg-signout"),
        ],
    )


def _layout() -> Any:
    state = flask.current_app.extensions.get("partnergraph")
    backend = state.backend if isinstance(state, AppState) else ""
    return html.Div(
        className="pg-shell",
        children=[
            dcc.Location(id=ids.LOCATION, refresh=False),
            dcc.Location(id=ids.AUTH_REDIRECT, refresh=True),
            html.Header(
                id=ids.NAVBAR,
                className="pg-navbar",
                children=[
                    dcc.Link(
                        [html.Span("◆", className="pg-logo", **_aria(hidden="true")), "PartnerGraph"],
                        href="/",
                        className="pg-brand",
                    ),
                    html.Nav(_nav_links(), id=ids.NAV_LINKS, className="pg-nav", **_aria(label="Pages")),
                    html.Span(BACKEND_NAMES.get(backend, backend), id=ids.BACKEND_BADGE, className="pg-badge"),
                    _user_badge(),
                ],
            ),
            html.Div(
                id=ids.BANNER,
                className="pg-banner",
                role="alert",
                hidden=True,
                children=[
                    html.Span(id=ids.BANNER_TEXT, className="pg-banner-text"),
                    html.Button(
                        "Dismiss", id=ids.BANNER_CLOSE, className="pg-banner-close", n_clicks=0
                    ),
                ],
            ),
            html.Main(dash.page_container, id=ids.PAGE, className="pg-main"),
        ],
    )


def _register_banner(app: dash.Dash) -> None:
    @app.callback(
        Output(ids.BANNER, "hidden"),
        Input(ids.BANNER_CLOSE, "n_clicks"),
        Input(ids.LOCATION, "pathname"),
        State(ids.BANNER, "hidden"),
        prevent_initial_call=True,
    )
    def hide_banner(_clicks: int, _path: str, _hidden: bool) -> bool:
        """Dismissing the banner, or moving to another page, hides it."""
        return True
