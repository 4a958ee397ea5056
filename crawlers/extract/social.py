"""Social profiles from links: platform + handle, never share/intent/post links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class SocialAccount:
    platform: str  # display name, e.g. "Instagram"
    handle: str  # lower-case handle or id, e.g. "ilfaromens"
    url: str  # the link as found

    @property
    def platform_id(self) -> str:
        return "platform:" + re.sub(r"[^a-z0-9]+", "-", self.platform.lower()).strip("-")

    @property
    def id(self) -> str:
        return f"social:{self.platform_id.split(':', 1)[1]}:{self.handle}"


_H = r"([A-Za-z0-9_.\-]{1,64})"
#: (platform, hosts, path regex whose group 1 is the handle)
_RULES: tuple[tuple[str, frozenset[str], re.Pattern[str]], ...] = tuple(
    (name, frozenset(hosts), re.compile(rx)) for name, hosts, rx in [
        ("Instagram", {"instagram.com", "instagr.am"}, rf"^/{_H}/?$"),
        ("YouTube", {"youtube.com", "m.youtube.com"}, rf"^/(?:@{_H}|(?:c|user)/{_H}|channel/{_H})/?(?:featured|videos)?/?$"),
        ("TikTok", {"tiktok.com"}, rf"^/@{_H}/?$"),
        ("X", {"x.com", "twitter.com", "mobile.twitter.com"}, rf"^/(?:#!/)?{_H}/?$"),
        ("Twitch", {"twitch.tv"}, rf"^/{_H}/?$"),
        ("LinkedIn", {"linkedin.com"}, rf"^/(?:in|company|school)/{_H}/?$"),
        ("Facebook", {"facebook.com", "fb.com", "m.facebook.com"}, rf"^/(?:pg/)?{_H}/?$"),
        ("Pinterest", {"pinterest.com", "pinterest.fr", "pinterest.de", "pinterest.co.uk"}, rf"^/{_H}/?$"),
        ("Threads", {"threads.net", "threads.com"}, rf"^/@{_H}/?$"),
        ("Bluesky", {"bsky.app"}, r"^/profile/([A-Za-z0-9_.\-:]{1,100})/?$"),
        ("Snapchat", {"snapchat.com"}, rf"^/add/{_H}/?$"),
        ("Apple Podcasts", {"podcasts.apple.com", "itunes.apple.com"}, r"^/(?:[a-z]{2}/)?podcast/(?:[^/]+/)?(id\d+)/?$"),
        ("Spotify", {"open.spotify.com"}, r"^/(?:show|artist|user)/([A-Za-z0-9]{6,40})/?$"),
        ("SoundCloud", {"soundcloud.com"}, rf"^/{_H}/?$"),
        ("Vimeo", {"vimeo.com"}, r"^/([A-Za-z][A-Za-z0-9_]{1,40})/?$"),
        ("Patreon", {"patreon.com"}, rf"^/{_H}/?$"),
        ("Telegram", {"t.me"}, rf"^/{_H}/?$"),
    ]
)
#: First path segments that are features, not accounts.
_RESERVED = frozenset({
    "share", "sharer", "sharer.php", "intent", "home", "hashtag", "search", "explore", "p", "reel",
    "reels", "tv", "stories", "watch", "embed", "results", "login", "signup", "privacy", "legal",
    "about", "help", "policies", "terms", "dialog", "plugins", "tr", "pin", "i", "settings",
    "accounts", "videos", "directory", "feed", "groups", "events", "photo.php", "profile.php",
    "web", "jobs", "company", "in", "pages", "developers", "business", "ads", "music", "status",
    "oauth", "download", "shorts", "playlist", "gaming", "premium", "live", "discover", "tag",
})


_CASE_SENSITIVE = frozenset({"Spotify"})


def parse_social(url: str) -> SocialAccount | None:
    """The account a profile URL points to, or ``None`` for anything else."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    path = parts.path or "/"
    for name, hosts, rx in _RULES:
        if host not in hosts:
            continue
        m = rx.match(path)
        if not m:
            return None
        handle = next(g for g in m.groups() if g)
        if handle.lower() in _RESERVED:
            return None
        handle = handle.lstrip("@") if name in _CASE_SENSITIVE else handle.lower().lstrip("@")
        return SocialAccount(platform=name, handle=handle, url=url.strip())
    return None


def extract_social(links: list[str]) -> list[SocialAccount]:
    """Distinct accounts among ``links`` (first URL kept per account)."""
    seen: dict[str, SocialAccount] = {}
    for u in links:
        acc = parse_social(u)
        if acc is not None and acc.id not in seen:
            seen[acc.id] = acc
    return list(seen.values())
