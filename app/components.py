"""Layout pieces every page shares (no callbacks, no store access)."""

from __future__ import annotations

from typing import Any

from dash import html


def page_head(title: str, lede: str, actions: list[Any] | None = None, *, title_id: str | None = None,
              actions_class: str = "pg-actions") -> html.Div:
    """The page's title, one-line purpose and, on the right, its actions."""
    heading = html.H1(title, id=title_id) if title_id else html.H1(title)
    children: list[Any] = [html.Div([heading, html.P(lede, className="pg-lede")])]
    if actions:
        children.append(html.Div(className=actions_class, children=actions))
    return html.Div(className="pg-page-head", children=children)
