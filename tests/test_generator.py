"""The synthetic ecosystem generator: determinism, layout, schema contract, truth consistency."""

from __future__ import annotations

import csv
import gzip
import hashlib
import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from graph import schema
from graph.errors import InputError
from graph.generator import SCALES, config_hash, generate


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(root)).encode())
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


@pytest.fixture(scope="module")
def ci_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "ci7"
    generate("ci", 7, out, progress=False)
    return out


def test_deterministic_per_seed(ci_out: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate("ci", 7, again, progress=False)
    assert _digest(ci_out) == _digest(again)
    other = tmp_path / "other"
    generate("ci", 8, other, progress=False, only={"canonical", "truth"})
    assert _digest(other / "truth") != _digest(ci_out / "truth")
    # regenerating into a previous output directory is allowed and gives the same bytes
    generate("ci", 7, again, progress=False)
    assert _digest(ci_out) == _digest(again)


def test_manifest_and_layout(ci_out: Path) -> None:
    man = json.loads((ci_out / "manifest.json").read_text())
    assert man["created_by"] == "partnergraph generate"
    assert man["config_hash"] == config_hash("ci", 7) and len(man["config_hash"]) == 64
    assert man["scale"] == "ci" and man["seed"] == 7 and man["T1"] < man["T2"]
    c = man["counts"]
    assert 7_000 <= c["nodes"] <= 14_000, c["nodes"]
    assert 100_000 <= c["clicks"] <= 200_000, c["clicks"]
    assert c["sites"] >= 200 and c["pages"] > c["sites"]
    obs = ci_out / "observable"
    for rel in ("crm/partners.csv", "crm/brands.csv", "crm/contracts.csv", "crm/campaigns.csv",
                "crm/performance.csv", "crm/fx_rates.csv", "network/affiliates.csv",
                "network/conversions.csv"):
        assert (obs / rel).is_file(), rel
    logs = sorted((obs / "clicks").glob("clicks-*.csv.gz"))
    assert len(logs) == SCALES["ci"].months
    with gzip.open(logs[5], "rt") as fh:
        head = next(csv.reader(fh))
    assert head == ["click_id", "timestamp", "publisher_id", "advertiser", "ip", "device_id",
                    "user_agent", "os", "referrer_url", "landing_domain"]
    for rel in ("entities.csv", "partnerships.csv", "affinity.parquet", "rings.csv",
                "fraud_labels.csv", "sites.jsonl", "topics.csv"):
        assert (ci_out / "truth" / rel).is_file(), rel
    assert sum(1 for _ in (ci_out / "canonical" / "nodes").glob("*.parquet")) >= 15
    pr = pd.read_csv(ci_out / "truth" / "partnerships.csv")
    assert set(pr["split"]) == {"train", "validation", "test"}
    assert (pr.loc[pr["split"] == "test", "start_date"] >= man["T2"]).all()
    assert (sum(c[k] for k in c if k.startswith("nodes.") and k != "nodes.Affiliate")) == c["nodes"]


def test_canonical_follows_schema(ci_out: Path) -> None:
    ids: dict[str, set[str]] = {}
    for f in sorted((ci_out / "canonical" / "nodes").glob("*.parquet")):
        label = f.stem
        assert label in schema.NODES
        df = pd.read_parquet(f)
        assert set(df.columns) <= {"id", *schema.NODES[label].properties, *schema.PROVENANCE}
        assert (df["source"] == "generator://seed-7").all()
        assert df["id"].is_unique
        ids[label] = set(df["id"])
    assert any(i.startswith("iab-content-3.1:") for i in ids["Topic"])
    assert any(i.startswith("iab-audience-1.1:") for i in ids["Audience"])
    assert any(i.startswith("iab-adproduct-2.0:") for i in ids["ProductCategory"])
    for f in sorted((ci_out / "canonical" / "edges").glob("*.parquet")):
        rt = schema.RELS[f.stem]
        df = pd.read_parquet(f)
        assert set(df.columns) <= {"src", "dst", "src_label", "dst_label", *rt.properties,
                                   *schema.PROVENANCE}
        pairs = set(zip(df["src_label"], df["dst_label"], strict=True))
        assert pairs <= set(rt.pairs), (f.stem, pairs - set(rt.pairs))
        for (sl, dl), g in df.groupby(["src_label", "dst_label"]):
            assert set(g["src"]) <= ids[sl], (f.stem, sl)
            assert set(g["dst"]) <= ids[dl], (f.stem, dl)


def test_fraud_truth_consistent(ci_out: Path) -> None:
    aff = pd.read_csv(ci_out / "observable" / "network" / "affiliates.csv", dtype=str)
    known = set(aff["publisher_id"])
    rings = pd.read_csv(ci_out / "truth" / "rings.csv", dtype=str)
    assert len(rings) == SCALES["ci"].rings
    for members in rings["affiliate_ids"]:
        ms = members.split(";")
        assert 3 <= len(ms) <= 12 and set(ms) <= known
    labels = pd.read_csv(ci_out / "truth" / "fraud_labels.csv", dtype=str)
    assert set(labels["affiliate_id"]) == known
    assert (labels["hard_negative"] == "True").sum() > 0
    assert set(labels.loc[labels["hard_negative"] == "True", "label"]) == {"honest"}
    assert set(rings["fraud_type"]) >= {"click_injection", "cookie_stuffing"}


def test_sites_truth_present_in_html(ci_out: Path) -> None:
    sites = ci_out / "observable" / "sites"
    families: set[str] = set()
    seen = {"sponsored": 0, "affiliate": 0, "ads": 0, "outbound": 0, "social": 0}
    for line in (ci_out / "truth" / "sites.jsonl").read_text().splitlines():
        s = json.loads(line)
        families.add(s["family"])
        root = sites / s["domain"]
        base = s["base_url"]

        def page(url: str, root: Path = root, base: str = base) -> str:
            rel = url[len(base):].lstrip("/") or "index.html"
            return html.unescape((root / rel).read_text())

        for sp in s["sponsored_posts"]:
            text = page(sp["url"])
            assert sp["disclosure"] in text and sp["link"] in text
            assert 'rel="sponsored' in text
            seen["sponsored"] += 1
        for al in s["affiliate_links"]:
            assert al["url"] in page(al["page"])
            seen["affiliate"] += 1
        for ol in s["outbound_links"]:
            assert ol["url"] in page(ol["page"])
            seen["outbound"] += 1
        for sl in s["social_links"]:
            assert sl["url"] in page(base + "/")
            seen["social"] += 1
        if s["ads_txt"]:
            ads = (root / "ads.txt").read_text()
            for ln in s["ads_txt"]:
                assert re.search(rf"{re.escape(ln['ad_system'])}, ?{re.escape(ln['seller_id'])}, ?"
                                 rf"{ln['relationship']}", ads)
                seen["ads"] += 1
    assert families == {"blog", "news", "bio"}
    assert all(v > 0 for v in seen.values()), seen
    assert (sites / "google.com" / "sellers.json").is_file()
    blog = next(iter((sites).glob("*/articles/*.html")))
    assert blog.stat().st_size > 0


def test_markup_families_differ(ci_out: Path) -> None:
    recs = [json.loads(x) for x in (ci_out / "truth" / "sites.jsonl").read_text().splitlines()]
    texts = {}
    for fam in ("blog", "news"):
        s = next(r for r in recs if r["family"] == fam and len(r["pages"]) > 1)
        url = next(u for u in s["pages"] if u.endswith(".html"))
        texts[fam] = (ci_out / "observable" / "sites" / s["domain"] / url[len(s["base_url"]) + 1:]).read_text()
    bio = next(r for r in recs if r["family"] == "bio")
    texts["bio"] = (ci_out / "observable" / "sites" / bio["domain"] / "index.html").read_text()
    assert '"@type": "BlogPosting"' in texts["blog"] and "entry-title" in texts["blog"]
    assert 'property="og:title"' in texts["news"] and 'itemprop="author"' in texts["news"]
    assert "lnk-btn" in texts["bio"] and "entry-title" not in texts["bio"]


def test_exports_are_messy(ci_out: Path) -> None:
    crm = ci_out / "observable" / "crm"
    partners = pd.read_csv(crm / "partners.csv", dtype=str, keep_default_na=False)
    ent = pd.read_csv(ci_out / "truth" / "entities.csv", dtype=str, keep_default_na=False)
    crm_ids = ent[ent["kind"] == "crm_id"].groupby("entity_id")["value"].nunique()
    dup_share = (crm_ids > 1).mean()
    assert 0.04 <= dup_share <= 0.14, dup_share
    names = partners["name"]
    assert names.str.startswith("@").any() and names.str.contains(r"\([A-Z]{2}\)").any()
    assert (names != names.str.strip()).any() and (partners["website"] == "").any()
    camp = pd.read_csv(crm / "campaigns.csv", dtype=str, keep_default_na=False)["start"]
    contracts = pd.read_csv(crm / "contracts.csv", dtype=str, keep_default_na=False)["start_date"]
    brands = pd.read_csv(crm / "brands.csv", dtype=str, keep_default_na=False)["created"]
    dmy = camp.str.match(r"^\d{2}/\d{2}/\d{4}$")
    assert dmy.mean() > 0.9
    assert contracts.str.match(r"^\d{2}/\d{2}/\d{4}$").any() and contracts.str.match(r"^\d{4}-\d{2}-\d{2}$").any()
    assert brands.str.match(r"^\d{1,2} [A-Z][a-z]{2} \d{4}$").any()
    # campaigns are day-first and contracts month-first: the two files disagree on the order
    assert (camp[dmy].str[3:5].astype(int) <= 12).mean() > 0.98
    assert (camp[dmy].str[:2].astype(int) > 12).any()
    mdy = contracts.str.match(r"^\d{2}/\d{2}/\d{4}$")
    assert (contracts[mdy].str[:2].astype(int) <= 12).mean() > 0.98
    assert (contracts[mdy].str[3:5].astype(int) > 12).any()
    perf = pd.read_csv(crm / "performance.csv", dtype=str, keep_default_na=False)
    assert set(perf["currency"]) >= {"EUR", "USD", "GBP"}
    assert (perf["clicks"].str.startswith("-")).any()


@pytest.mark.parametrize(("scale", "seed"), [("huge", 1), ("ci", -1), ("ci", "7")])
def test_bad_parameters(tmp_path: Path, scale: str, seed: object) -> None:
    with pytest.raises(InputError):
        generate(scale, seed, tmp_path / "x", progress=False)  # type: ignore[arg-type]


def test_refuses_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a generator output"):
        generate("ci", 1, tmp_path, progress=False)
    with pytest.raises(InputError):
        generate("ci", 1, tmp_path / "y", only={"bogus"}, progress=False)


def test_config_hash_stable() -> None:
    assert config_hash("ci", 7) == config_hash("ci", 7) != config_hash("ci", 8)
    assert config_hash("medium", 7) != config_hash("ci", 7)
