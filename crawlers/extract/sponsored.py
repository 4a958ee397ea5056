"""Sponsored-content signals: rel="sponsored", disclosure phrases (EN/FR/DE/ES/IT/NL/PT), URL paths.

A page is sponsored when it carries a disclosure phrase in a label-like element, lives under a
sponsored-style path, or links out with rel="sponsored" to something that is not an affiliate
link (affiliate links are tagged rel="sponsored" too, and are not sponsored posts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import lxml.html

from crawlers.extract.affiliate import parse_affiliate

#: Disclosure phrases per language; matched case-insensitively on word boundaries.
DISCLOSURES: dict[str, tuple[str, ...]] = {
    "en": ("sponsored", "sponsored by", "paid partnership", "paid partnership with", "in partnership with",
           "this post is sponsored", "sponsored post", "sponsored content", "promoted content",
           "advertorial", "paid promotion", "ad", "advertisement", "partner content", "brought to you by",
           "presented by", "#ad", "#sponsored", "affiliate disclosure", "gifted"),
    "fr": ("sponsorisé", "sponsorisée", "article sponsorisé", "contenu sponsorisé", "en partenariat avec",
           "publicité", "publi-rédactionnel", "publireportage", "contenu de marque", "collaboration commerciale",
           "partenariat rémunéré"),
    "de": ("anzeige", "werbung", "gesponsert", "gesponserter beitrag", "in zusammenarbeit mit",
           "sponsored post", "bezahlte partnerschaft", "advertorial", "unbezahlte werbung", "werbung/anzeige"),
    "es": ("patrocinado", "contenido patrocinado", "en colaboración con", "publicidad", "publirreportaje",
           "colaboración pagada", "asociación pagada"),
    "it": ("sponsorizzato", "contenuto sponsorizzato", "in collaborazione con", "pubblicità",
           "pubbliredazionale", "partnership retribuita", "contenuto a pagamento"),
    "nl": ("gesponsord", "in samenwerking met", "advertentie", "betaald partnerschap"),
    "pt": ("patrocinado", "conteúdo patrocinado", "publicidade", "em parceria com", "parceria paga"),
}
#: Phrases that only count in a short label-like text (they are common words in prose).
_SHORT_ONLY = frozenset({"ad", "advertisement", "publicité", "werbung", "publicidad", "pubblicità",
                         "advertentie", "publicidade", "anzeige", "gifted", "presented by"})
_URL_PATH = re.compile(
    r"/(?:sponsored|sponsor|sponsorise|sponsorisé|sponsorizzato|patrocinado|anzeige|anzeigen|advertorial|"
    r"advertorials|partner-content|partnercontent|paid-post|paidpost|brandvoice|brand-studio|"
    r"branded-content|publireportage|promoted|native-ad|contenu-sponsorise|contenido-patrocinado)(?:/|\.|-|$)",
    re.I,
)
_LABEL_CLASS = re.compile(r"sponsor|disclos|advertorial|partner|paid|label|badge|kicker|notice|anzeige|werbung", re.I)


def _phrase_regex() -> re.Pattern[str]:
    phrases = sorted({p for ps in DISCLOSURES.values() for p in ps}, key=len, reverse=True)
    alt = "|".join(re.escape(p) for p in phrases)
    return re.compile(rf"(?<![\w#])(?:{alt})(?!\w)", re.I)


_PHRASE = _phrase_regex()
_LANG_OF: dict[str, str] = {}
for _lang, _ps in DISCLOSURES.items():
    for _p in _ps:
        _LANG_OF.setdefault(_p, _lang)  # a phrase shared by languages (patrocinado) keeps the first


@dataclass
class Sponsored:
    is_sponsored: bool = False
    reasons: list[str] = field(default_factory=list)  # "disclosure", "url", "rel"
    disclosure: str | None = None  # the text that carries the phrase
    disclosure_language: str | None = None
    sponsor_links: list[str] = field(default_factory=list)  # rel=sponsored, not affiliate
    sponsor_disclosures: dict[str, str] = field(default_factory=dict)  # link -> its own disclosure


def find_disclosure(text: str, *, short: bool) -> tuple[str, str] | None:
    """(phrase, language) of a disclosure in ``text``; in long text only unambiguous phrases."""
    for m in _PHRASE.finditer(text):
        p = m.group(0).lower()
        if not short and p in _SHORT_ONLY:
            continue
        return m.group(0), _LANG_OF.get(p, _LANG_OF.get(p.lstrip("#"), "en"))
    return None


def sponsored_url(url: str) -> bool:
    try:
        return bool(_URL_PATH.search(urlsplit(url).path))
    except ValueError:
        return False


def _label_texts(tree: lxml.html.HtmlElement) -> list[str]:
    """Short texts of label-like elements: disclosure badges, kickers, notices."""
    out = []
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "a", "html", "body", "head"):
            continue
        attrs = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("data-label"))))
        if attrs and _LABEL_CLASS.search(attrs):
            t = " ".join(el.text_content().split())
            if 0 < len(t) <= 160:
                out.append(t)
    return out


def extract_sponsored(tree: lxml.html.HtmlElement | None, url: str,
                      links: list[tuple[str, str, frozenset[str]]]) -> Sponsored:
    """Signals for one page; ``links`` are (absolute href, text, rel tokens)."""
    s = Sponsored()
    if sponsored_url(url):
        s.reasons.append("url")
    for href, text, rel in links:
        if "sponsored" in rel and parse_affiliate(href) is None and href not in s.sponsor_links:
            s.sponsor_links.append(href)
            hit = find_disclosure(text, short=True) if text else None
            if hit:
                s.sponsor_disclosures[href] = text
    if s.sponsor_links:
        s.reasons.append("rel")
    if tree is not None:
        for t in _label_texts(tree):
            hit = find_disclosure(t, short=True)
            if hit:
                s.disclosure, s.disclosure_language = t, hit[1]
                s.reasons.append("disclosure")
                break
    if s.disclosure is None and s.sponsor_disclosures:
        first = next(iter(s.sponsor_disclosures.values()))
        hit = find_disclosure(first, short=True)
        s.disclosure, s.disclosure_language = first, hit[1] if hit else None
        s.reasons.append("disclosure")
    s.is_sponsored = bool(s.reasons)
    return s
