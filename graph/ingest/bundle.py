"""Import a whole generator output (its observable exports) in dependency order.

This is what ``partnergraph demo`` and the evaluations use: the graph is built from the
observable sources, exactly as a user would build it with ``partnergraph import``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from graph.ingest.mapping import load_mapping
from graph.ingest.pipeline import Importer, ImportReport
from graph.ingest.validate import Rates
from graph.settings import Settings
from graph.store.base import GraphStore

log = logging.getLogger(__name__)

#: (relative glob, preset), in the order dependencies need: entities, then facts about them.
ORDER = (
    ("crm/brands.csv", "generator-brands"),
    ("crm/partners.csv", "generator-partners"),
    ("network/affiliates.csv", "generator-affiliates"),
    ("crm/contracts.csv", "generator-contracts"),
    ("crm/campaigns.csv", "generator-campaigns"),
    ("crm/performance.csv", "generator-performance"),
    ("network/conversions.csv", "generator-conversions"),
    ("clicks/clicks-*.csv.gz", "generator-clicks"),
)


def import_generator_exports(store: GraphStore, settings: Settings, out: Path) -> list[ImportReport]:
    """Import every observable export under ``out/observable`` through the generator presets."""
    obs = out / "observable"
    rates_file = obs / "crm" / "fx_rates.csv"
    importer = Importer(store, settings, rates=Rates.read(rates_file) if rates_file.exists() else None)
    reports: list[ImportReport] = []
    for pattern, preset in ORDER:
        mapping = load_mapping(preset)
        for path in sorted(obs.glob(pattern)):
            report = importer.run(path, mapping)
            log.info("%s", report.lines()[0])
            reports.append(report)
    return reports
