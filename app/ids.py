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

# Explore page (app/pages/explore.py)
EXPLORE_SEARCH = "explore-search"
EXPLORE_SEARCH_GO = "explore-search-go"
EXPLORE_RESULTS = "explore-results"
EXPLORE_RESULT = "explore-result"  # pattern-matching: {"type": EXPLORE_RESULT, "index": node id}
EXPLORE_TYPES = "explore-types"
EXPLORE_SIZE_BY = "explore-size-by"
EXPLORE_GRAPH = "explore-graph"
EXPLORE_ELEMENTS = "explore-elements"  # dcc.Store: every element loaded so far
EXPLORE_START = "explore-start"  # dcc.Store: the ?id= the page was opened with
EXPLORE_STATUS = "explore-status"
EXPLORE_DETAILS = "explore-details"
EXPLORE_RESET = "explore-reset"
EXPLORE_LEGEND = "explore-legend"

# Partner profile page (app/pages/profile.py)
PROFILE_SEARCH = "profile-search"
PROFILE_SEARCH_GO = "profile-search-go"
PROFILE_PICK = "profile-pick"
PROFILE_RESULTS = "profile-results"
PROFILE_BODY = "profile-body"
PROFILE_TITLE = "profile-title"
PROFILE_IDENTITY = "profile-identity"
PROFILE_PROVENANCE = "profile-provenance"
PROFILE_TOPICS = "profile-topics"
PROFILE_AUDIENCES = "profile-audiences"
PROFILE_SOCIAL = "profile-social"
PROFILE_SELLERS = "profile-sellers"
PROFILE_PERFORMANCE = "profile-performance"
PROFILE_PERF_TOTALS = "profile-perf-totals"
PROFILE_CAMPAIGNS = "profile-campaigns"
PROFILE_SIMILAR = "profile-similar"

# Cypher console page (app/pages/console.py)
CONSOLE_SAVED = "console-saved"
CONSOLE_SAVED_PURPOSE = "console-saved-purpose"
CONSOLE_PARAMS = "console-params"
CONSOLE_PARAM = "console-param"  # pattern-matching: {"type": CONSOLE_PARAM, "index": param name}
CONSOLE_RUN_SAVED = "console-run-saved"
CONSOLE_EDITOR = "console-editor"
CONSOLE_RUN = "console-run"
CONSOLE_STATUS = "console-status"
CONSOLE_TABLE = "console-table"
CONSOLE_GRAPH = "console-graph"
CONSOLE_GRAPH_WRAP = "console-graph-wrap"
CONSOLE_CSV = "console-csv"
CONSOLE_CSV_BUTTON = "console-csv-button"
CONSOLE_RESULT = "console-result"  # dcc.Store: the last result's CSV text
CONSOLE_HISTORY = "console-history"  # dcc.Store (session): recent queries
CONSOLE_HISTORY_LIST = "console-history-list"
CONSOLE_HISTORY_ITEM = "console-history-item"  # pattern-matching: {"type": ..., "index": n}
CONSOLE_SCHEMA = "console-schema"
CONSOLE_SCHEMA_LABELS = "console-schema-labels"
CONSOLE_SCHEMA_RELS = "console-schema-rels"
CONSOLE_SCHEMA_REFRESH = "console-schema-refresh"
