"""The graph schema: labels, keys, relationship types, properties and indexes.

This module is the contract between the layers; ``docs/schema.md`` documents it for people.
Both store backends apply it idempotently (constraints, range, full-text and vector indexes)
and record :data:`SCHEMA_VERSION` on a ``(:SchemaInfo {id: 'schema'})`` node.

Conventions:
- every node has a stable string ``id`` key; taxonomy ids are namespaced
  (``iab-content-3.1:150``) because the three IAB files reuse numbers;
- timestamps are ISO-8601 UTC strings (``2026-11-29T07:42:00Z``), dates ``YYYY-MM-DD`` and
  periods ``YYYY-MM``: they sort as text and read the same on both backends;
- structured values (``evidence``, ``reasons``, ``stats``) are versioned JSON strings;
- every fact carries provenance in one shape: :data:`PROVENANCE`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graph.errors import InputError

SCHEMA_VERSION = 1

#: Provenance properties carried by every node and relationship written by a stage.
PROVENANCE = ("source", "first_seen", "last_seen", "run_id")
#: Extra provenance on facts read from the web: when the page was fetched and its HTTP status.
CRAWL_PROVENANCE = ("fetched_at", "http_status")

IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class NodeType:
    label: str
    doc: str
    properties: tuple[str, ...] = ()
    indexed: tuple[str, ...] = ()  # extra range indexes besides the id key
    fulltext: tuple[str, ...] = ()  # properties in the label's full-text index
    vector: str | None = None  # property holding an embedding (vector index)


@dataclass(frozen=True)
class RelType:
    type: str
    doc: str
    pairs: tuple[tuple[str, str], ...]  # allowed (source label, target label)
    properties: tuple[str, ...] = ()
    key: tuple[str, ...] = field(default=())  # properties that tell parallel edges apart


PARTNER_PROPS = (
    "name", "domain", "url", "description", "country", "language", "audience_size",
    "crm_id", "crm_url", "partner_type", "brand_safety_flag", "brand_safety_evidence", "handle",
)

NODES: dict[str, NodeType] = {n.label: n for n in [
    NodeType("Publisher", "A website or media outlet that partners with brands.",
             PARTNER_PROPS, indexed=("domain", "name"), fulltext=("name", "domain", "description"),
             vector="embedding"),
    NodeType("Influencer", "A creator: blog, podcast, video or social-first channel.",
             PARTNER_PROPS, indexed=("name",), fulltext=("name", "description"),
             vector="embedding"),
    NodeType("Affiliate", "Role label carried by a Publisher or Influencer in an affiliate network.",
             ("network", "network_id", "name", "status", "behaviour", "risk", "risk_evidence", "risk_run",
              "tracking_template")),
    NodeType("Brand", "An advertiser that runs campaigns with partners.",
             ("name", "domain", "country", "description", "crm_id", "crm_url", "preferences"),
             indexed=("name",), fulltext=("name", "description"), vector="embedding"),
    NodeType("Contract", "An agreement between a brand and a partner.",
             ("name", "start", "end", "currency", "value", "value_original", "status", "model")),
    NodeType("Campaign", "A brand's campaign over a period.",
             ("name", "start", "end", "budget", "currency", "objective"), indexed=("start",)),
    NodeType("Article", "A page or post published by a partner.",
             ("url", "title", "author", "date", "language", "text", "sponsored", "disclosure", "categories",
              "tags"),
             indexed=("url",), fulltext=("title",), vector="embedding"),
    NodeType("Topic", "IAB Content Taxonomy 3.1 category.", ("name", "path", "tier", "taxonomy", "code"),
             indexed=("name",), fulltext=("name", "path"), vector="embedding"),
    NodeType("Audience", "IAB Audience Taxonomy 1.1 segment.", ("name", "path", "tier", "taxonomy", "code"),
             indexed=("name",), fulltext=("name", "path"), vector="embedding"),
    NodeType("ProductCategory", "IAB Ad Product Taxonomy 2.0 category.",
             ("name", "path", "tier", "taxonomy", "code"), indexed=("name",), fulltext=("name", "path"),
             vector="embedding"),
    NodeType("Platform", "A social or content platform (Instagram, YouTube, ...).", ("name", "domain")),
    NodeType("SocialAccount", "A partner's account on a platform.",
             ("platform", "handle", "url", "followers")),
    NodeType("AdSystem", "An advertising system named in ads.txt (by domain).",
             ("domain", "name", "cert_authority")),
    NodeType("SellerAccount", "A seller account id at an ad system (ads.txt / sellers.json).",
             ("seller_id", "ad_system", "cert_authority", "seller_type", "name", "seller_domain")),
    NodeType("Device", "Pseudonymised end-user device identifier.", ("kind",)),
    NodeType("IPNetwork", "Pseudonymised IP with its coarse network key (/24, /48).", ("network", "version")),
    NodeType("PaymentAccount", "Pseudonymised payment account.", ("kind",)),
    NodeType("Ring", "A candidate fraud ring of affiliates acting as one.",
             ("score", "size", "status", "evidence", "detected_at")),
    NodeType("Alert", "Something an investigator should look at.",
             ("kind", "score", "status", "evidence", "created_at"), indexed=("status",)),
    NodeType("Case", "An investigation opened from alerts.",
             ("title", "status", "assignee", "notes", "log", "opened_at", "closed_at", "allowlist")),
    NodeType("DiscoveryRun", "One run of the weekly partner-discovery job.",
             ("status", "started_at", "finished_at", "model_version", "metrics", "drift", "changes"),
             indexed=("status",)),
    NodeType("ImportRun", "One import of a file.",
             ("file", "preset", "status", "rows_in", "rows_imported", "rows_quarantined", "started_at",
              "finished_at", "stats"), indexed=("status",)),
    NodeType("CrawlRun", "One crawl.", ("status", "started_at", "finished_at", "stats"), indexed=("status",)),
    NodeType("Model", "A trained model artefact and its metadata.",
             ("kind", "version", "path", "metrics", "params", "schema_version", "trained_at")),
    NodeType("SchemaInfo", "Singleton holding the schema version of the graph.", ("version", "applied_at")),
]}

PARTNERS = ("Publisher", "Influencer")
#: Labels that mark a role of an entity that has its own label (a publisher that is an affiliate).
ROLE_LABELS = ("Affiliate",)
TAXONOMY = ("Topic", "Audience", "ProductCategory")
IDENTIFIERS = ("Device", "IPNetwork", "PaymentAccount")
PERF = ("cost", "impressions", "clicks", "conversions", "revenue", "currency", "period")


def _pairs(srcs: tuple[str, ...] | str, dsts: tuple[str, ...] | str) -> tuple[tuple[str, str], ...]:
    s = (srcs,) if isinstance(srcs, str) else srcs
    d = (dsts,) if isinstance(dsts, str) else dsts
    return tuple((a, b) for a in s for b in d)


RELS: dict[str, RelType] = {r.type: r for r in [
    RelType("COVERS", "Partner or article covers a topic.", _pairs(PARTNERS + ("Article",), "Topic"),
            ("score", "method")),
    RelType("REACHES", "Partner reaches an audience segment.", _pairs(PARTNERS + ("Brand",), "Audience"),
            ("score",)),
    RelType("IN_CATEGORY", "Brand sells products of a category.", _pairs("Brand", "ProductCategory"),
            ("score", "method")),
    RelType("CHILD_OF", "Taxonomy node to its parent.", tuple((t, t) for t in TAXONOMY)),
    RelType("LINKS_TO", "Publisher links to another publisher.", _pairs(PARTNERS, PARTNERS), ("count",)),
    RelType("HAS_ACCOUNT", "Partner owns a social account.", _pairs(PARTNERS, "SocialAccount")),
    RelType("ON_PLATFORM", "Social account lives on a platform.", _pairs("SocialAccount", "Platform")),
    RelType("PUBLISHED", "Partner published an article.", _pairs(PARTNERS, "Article")),
    RelType("RAN", "Brand ran a campaign.", _pairs("Brand", "Campaign")),
    RelType("WITH", "Campaign ran with a partner, with its performance.",
            _pairs("Campaign", PARTNERS), PERF, key=("period",)),
    RelType("UNDER", "Campaign runs under a contract.", _pairs("Campaign", "Contract")),
    RelType("SIGNED", "Party to a contract.", _pairs(("Brand",) + PARTNERS, "Contract")),
    RelType("PROMOTES", "Partner promotes a brand (sponsored or affiliate link).",
            _pairs(PARTNERS + ("Article",), "Brand"),
            ("kind", "evidence_url", "affiliate_id", "network", "count"), key=("network", "affiliate_id")),
    RelType("MENTIONS", "Partner mentions a brand.", _pairs(PARTNERS + ("Article",), "Brand"),
            ("evidence_url", "count")),
    RelType("SELLS_VIA", "Publisher sells inventory through a seller account.",
            _pairs(PARTNERS, "SellerAccount"), ("relationship", "cert_authority")),
    RelType("OF", "Seller account belongs to an ad system.", _pairs("SellerAccount", "AdSystem")),
    RelType("USED_DEVICE", "Affiliate traffic used a device, per period (devices two or more affiliates use).", _pairs("Affiliate", "Device"),
            ("period", "count"), key=("period",)),
    RelType("SEEN_FROM", "Affiliate traffic seen from an IP network, per period (networks two or more affiliates use).",
            _pairs("Affiliate", "IPNetwork"), ("period", "count"), key=("period",)),
    RelType("PAID_TO", "Affiliate is paid to an account, per period.", _pairs("Affiliate", "PaymentAccount"),
            ("period", "count"), key=("period",)),
    RelType("SAME_AS", "Two records are the same entity.", _pairs(PARTNERS + ("Brand",), PARTNERS + ("Brand",)),
            ("evidence", "score")),
    RelType("RECOMMENDED", "Discovery recommends a partner to a brand.", _pairs("Brand", PARTNERS),
            ("score", "rank", "predicted_roi", "reasons", "evidence", "run_id")),
    RelType("FEEDBACK", "A manager's verdict on a recommendation.", _pairs("Brand", PARTNERS),
            ("verdict", "by", "at")),
    RelType("MEMBER_OF", "Affiliate is a member of a ring.", _pairs("Affiliate", "Ring"), ("score",)),
    RelType("FLAGGED", "Alert flags an entity.", _pairs("Alert", ("Affiliate", "Ring") + PARTNERS)),
    RelType("ABOUT", "Case is about an alert.", _pairs("Case", "Alert")),
    RelType("PRODUCED", "A run produced a model.", _pairs("DiscoveryRun", "Model")),
]}


def check_label(label: str) -> str:
    """Return ``label`` if the schema knows it; the only way a label reaches query text."""
    if label not in NODES:
        raise InputError(f"unknown node label {label!r}", hint=f"use one of {', '.join(sorted(NODES))}")
    return label


def check_rel_type(rel_type: str) -> str:
    if rel_type not in RELS:
        raise InputError(f"unknown relationship type {rel_type!r}",
                         hint=f"use one of {', '.join(sorted(RELS))}")
    return rel_type


def check_identifier(name: str) -> str:
    """Validate a property name, label or type before it is spliced into query text."""
    if not IDENT.match(name):
        raise InputError(f"{name!r} is not a valid identifier", hint="use letters, digits and _")
    return name
