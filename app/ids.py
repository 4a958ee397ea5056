"""Every Dash component id of the app, in one place.

Pages and callbacks import ids from here, so a renamed component breaks at import time and the
browser tests find components by the same names.
"""

from __future__ import annotations

# Shared layout (app/factory.py)
LOCATION = "pg-location"
NAVBAR = "pg-navbar"
NAV_LINKS = "pg-nav-links"
BACKEND_BADGE = "pg-backend-badge"
BANNER = "pg-error-banner"
BANNER_TEXT = "pg-error-banner-text"
BANNER_CLOSE = "pg-error-banner-close"
PAGE = "pg-page"

# Overview page (app/pages/overview.py)
OVERVIEW_REFRESH = "overview-refresh"
OVERVIEW_UPDATED = "overview-updated"
OVERVIEW_KPIS = "overview-kpis"
OVERVIEW_KPI_NODES = "overview-kpi-nodes"
OVERVIEW_KPI_RELS = "overview-kpi-rels"
OVERVIEW_KPI_SCHEMA = "overview-kpi-schema"
OVERVIEW_KPI_BACKEND = "overview-kpi-backend"
OVERVIEW_CHART = "overview-chart"
OVERVIEW_TABLE = "overview-table"
OVERVIEW_TABLE_BODY = "overview-table-body"
OVERVIEW_STAGES = "overview-stages"
