from graph.ingest.resolve import (
    BrandMatcher,
    PartnerIndex,
    Record,
    clusters,
    domain_key,
    norm_name,
    pairwise_scores,
)


def test_normal_forms():
    assert norm_name("LeMonde.fr")[1] == norm_name("Le Monde")[1] == norm_name("le monde (FR)")[1] == "lemonde"
    assert norm_name("Sara Concept SAS")[0] == "sara concept"
    assert domain_key("https://www.lemonde.fr/politique") == "lemonde.fr"
    assert domain_key("alice.bio.link") == "alice.bio.link"  # shared host: the subdomain identifies


def test_le_monde_variants_merge_and_strangers_do_not():
    recs = [Record("a", name="Le Monde", domain="lemonde.fr", crm_id="C1"),
            Record("b", name="LeMonde.fr", domain="https://www.lemonde.fr/"),
            Record("c", name="le monde (FR)", crm_id="C2"),
            Record("d", name="@lemondefr", handles={"lemondefr"}),
            Record("e", name="Le Monde Diplo", domain="monde-diplomatique.fr"),
            Record("f", name="Alice", domain="alice.bio.link"),
            Record("g", name="Bob", domain="bob.bio.link")]
    recs[0].handles = {"lemondefr"}
    idx = PartnerIndex()
    decisions = {r.id: idx.resolve(r) for r in recs}
    pred = clusters(idx.canonical, [r.id for r in recs])
    assert pred["b"] == pred["c"] == pred["d"] == "a"
    assert pred["e"] == "e" and pred["f"] == "f" and pred["g"] == "g"
    assert decisions["b"].decision == "merge" and decisions["b"].evidence["rule"] == "domain"
    s = pairwise_scores(pred, {"a": 1, "b": 1, "c": 1, "d": 1, "e": 2, "f": 3, "g": 4})
    assert s["precision"] == 1.0 and s["recall"] == 1.0


def test_brand_matcher():
    bm = BrandMatcher([{"id": "b1", "name": "Oakville Inc.", "domain": "oakville.com"},
                       {"id": "b2", "name": "Mongo2 GmbH"}, {"id": "b3", "name": "Mongo GmbH"}])
    assert bm.match("OAKVILLE INC.") == bm.match("Oakville") == bm.match(" oakville inc.") == "b1"
    assert bm.match("Mongo2") == "b2" and bm.match("Mongo") == "b3" and bm.match("Zzz") is None
