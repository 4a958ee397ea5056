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
USER_BADGE = "pg-user-badge"
LOGOUT = "pg-logout"
ACCESS_DENIED = "pg-access-denied"
AUTH_REDIRECT = "pg-auth-redirect"  # dcc.Location (refresh): where an expired session is sent

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
EXPLORE_TOPIC = "explore-topic"
EXPLORE_TOPIC_SCORE = "explore-topic-score"
EXPLORE_COUNTRY = "explore-country"
EXPLORE_DATES = "explore-dates"
EXPLORE_COLOUR_BY = "explore-colour-by"

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
CONSOLE_HISTORY = "console-history"  # dcc.Store: the user's recent queries (kept under HOME)
CONSOLE_HISTORY_LIST = "console-history-list"
CONSOLE_HISTORY_ITEM = "console-history-item"  # pattern-matching: {"type": ..., "index": n}
CONSOLE_SCHEMA = "console-schema"
CONSOLE_SCHEMA_LABELS = "console-schema-labels"
CONSOLE_SCHEMA_RELS = "console-schema-rels"
CONSOLE_SCHEMA_REFRESH = "console-schema-refresh"
CONSOLE_EDITOR_PARAMS = "console-editor-params"  # the editor's $parameters, as JSON
CONSOLE_SAVE_NAME = "console-save-name"
CONSOLE_SAVE = "console-save"
CONSOLE_SAVE_STATUS = "console-save-status"
CONSOLE_MINE = "console-mine"  # dcc.Store: the user's own saved queries
CONSOLE_MINE_LIST = "console-mine-list"
CONSOLE_MINE_ITEM = "console-mine-item"  # pattern-matching: {"type": ..., "index": name}
CONSOLE_MINE_DELETE = "console-mine-delete"  # pattern-matching: {"type": ..., "index": name}

# Recommendations page (app/pages/recommendations.py); every id starts with "rec-" (access.CALLBACK_PAGES)
REC_START = "rec-start"  # dcc.Store: the ?brand= the page was opened with
REC_RUN_STORE = "rec-run-store"  # dcc.Store: the latest complete DiscoveryRun
REC_ROWS = "rec-rows"  # dcc.Store: the brand's recommendations as shown
REC_VERSION = "rec-version"  # dcc.Store: bumped after each verdict, reloads the table
REC_BRAND = "rec-brand"
REC_RUN = "rec-run"
REC_TABLE = "rec-table"
REC_FEEDBACK_STATUS = "rec-feedback-status"
REC_WHY = "rec-why"  # pattern-matching: {"type": REC_WHY, "index": partner id}
REC_ACCEPT = "rec-accept"  # pattern-matching
REC_REJECT = "rec-reject"  # pattern-matching
REC_WHY_TITLE = "rec-why-title"
REC_WHY_REASONS = "rec-why-reasons"
REC_WHY_GRAPH = "rec-why-graph"
REC_WHY_STATUS = "rec-why-status"
REC_CSV = "rec-csv"
REC_CSV_BUTTON = "rec-csv-button"
REC_PREFS_COUNTRIES = "rec-prefs-countries"
REC_PREFS_LANGUAGES = "rec-prefs-languages"
REC_PREFS_BUDGET = "rec-prefs-budget"
REC_PREFS_TYPES = "rec-prefs-types"
REC_PREFS_EXCLUSIONS = "rec-prefs-exclusions"
REC_PREFS_SAVE = "rec-prefs-save"
REC_PREFS_STATUS = "rec-prefs-status"
REC_PREFS_SUMMARY = "rec-prefs-summary"
REC_HISTORY = "rec-history"

# Dashboards page (app/pages/dashboards.py)
DSH_FROM = "dsh-from"
DSH_TO = "dsh-to"
DSH_KINDS = "dsh-kinds"
DSH_REFRESH = "dsh-refresh"
DSH_KPI_REVENUE = "dsh-kpi-revenue"
DSH_KPI_COST = "dsh-kpi-cost"
DSH_KPI_ROI = "dsh-kpi-roi"
DSH_KPI_CONVERSIONS = "dsh-kpi-conversions"
DSH_PERIOD_CHART = "dsh-period-chart"
DSH_TOPIC_CHART = "dsh-topic-chart"
DSH_ANOMALY_SUMMARY = "dsh-anomaly-summary"
DSH_ANOMALY_TABLE = "dsh-anomaly-table"
DSH_ANOMALY_CHART = "dsh-anomaly-chart"
DSH_RUN_METRIC = "dsh-run-metric"
DSH_RUN_CHART = "dsh-run-chart"
DSH_RUN_TABLE = "dsh-run-table"
DSH_RUN_NOTE = "dsh-run-note"
DSH_IMPORT_TABLE = "dsh-import-table"
DSH_CRAWL_TABLE = "dsh-crawl-table"

# Investigations page (app/pages/investigations.py); every id starts with "inv-" (access.CALLBACK_PAGES)
INV_ALERT = "inv-alert"  # dcc.Store: the open alert's id
INV_RING = "inv-ring"  # dcc.Store: the ring shown
INV_CASE = "inv-case"  # dcc.Store: the case shown
INV_VERSION = "inv-version"  # dcc.Store: bumped after every case change
INV_SCOPE = "inv-scope"
INV_REFRESH = "inv-refresh"
INV_ALERTS = "inv-alerts"
INV_OPEN_ALERT = "inv-open-alert"  # pattern-matching: {"type": INV_OPEN_ALERT, "index": alert id}
INV_ALERT_BODY = "inv-alert-body"
INV_OPEN_CASE = "inv-open-case"
INV_PACK_BUTTON = "inv-pack-button"
INV_PACK = "inv-pack"
INV_ACTION_STATUS = "inv-action-status"
INV_RING_BODY = "inv-ring-body"
INV_RING_GRAPH = "inv-ring-graph"
INV_TIMELINE = "inv-timeline"
INV_CASES = "inv-cases"
INV_OPEN_CASE_ROW = "inv-open-case-row"  # pattern-matching: {"type": ..., "index": case id}
INV_CASE_BODY = "inv-case-body"
INV_CASE_TITLE = "inv-case-title"
INV_CASE_STATUS = "inv-case-status"
INV_CASE_ASSIGNEE = "inv-case-assignee"
INV_CASE_NOTE = "inv-case-note"
INV_CASE_SAVE = "inv-case-save"
INV_CASE_REASON = "inv-case-reason"
INV_CASE_DISMISS = "inv-case-dismiss"
INV_CASE_MESSAGE = "inv-case-message"
INV_CASE_LOG = "inv-case-log"
INV_CASE_NOTES = "inv-case-notes"
INV_TRACE_A = "inv-trace-a"
INV_TRACE_B = "inv-trace-b"
INV_TRACE_GO = "inv-trace-go"
INV_TRACE_RESULT = "inv-trace-result"
INV_TRACE_GRAPH = "inv-trace-graph"

# Jobs page (app/pages/jobs.py); every id starts with "job-" (access.CALLBACK_PAGES)
JOB_TICK = "job-tick"  # dcc.Interval: polls the running jobs
JOB_START = "job-start"  # pattern-matching: {"type": JOB_START, "index": kind}
JOB_STATUS = "job-status"  # pattern-matching: the status line of a kind
JOB_PROGRESS = "job-progress"  # pattern-matching: the progress bar of a kind (shown while it runs)
JOB_LINES = "job-lines"  # pattern-matching: the newest progress lines of a kind
JOB_NOTICE = "job-notice"  # a start that was refused, and why
JOB_HISTORY = "job-history"  # the past runs recorded under HOME (they outlive the app process)
