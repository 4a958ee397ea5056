"""A tiny affiliate network with one planted ring, written as the generator's observable exports
(network affiliates, conversions, one click log) and imported through the shipped presets.

- ``HONEST`` honest affiliates with their own audiences (devices and IPs of their own), daytime
  clicks with referrers, a few conversions an hour or two after the click;
- one ring of ``RING`` affiliates sharing four devices, three datacenter IPs and one payment
  account, most of their traffic on those, with clicks that convert within seconds (click
  injection), many refunded;
- hard negatives: three honest affiliates behind one office NAT (a few clicks each), two
  honest sites of one owner sharing a payment account, and three honest affiliates using one
  popular link tool's tracking template (``TOOL``);
- tracking templates: the ring shares one tracker host and path (its ids differ per member);
  the other honest affiliates use the network's default template or one on their own domain;
- a default device id ``00000000-…`` on 5% of everybody's clicks (an identifier of everybody);
- one affiliate with no clicks at all.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

HONEST, RING = 24, 4
RING_IDS = [str(900 + i) for i in range(RING)]
OFFICE = ["100", "101", "102"]
OWNER = ["103", "104"]
TOOL = ["105", "106", "107"]
RING_TEMPLATE = "https://trk.quickcash-77.click/r/{id}?a={id}&s={{subid}}"
SILENT = "199"
DEFAULT_DEVICE = "00000000-0000-0000-0000-000000000000"


def write_world(out: Path, seed: int = 7) -> Path:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    honest = [str(100 + i) for i in range(HONEST)]
    affs = []
    for pid in [*honest, *RING_IDS, SILENT]:
        pay = f"FR76{int(pid):04d}000000000000{int(pid):04d}"
        if pid in OWNER:
            pay = "FR7611112222333344445555"
        if pid in RING_IDS:
            pay = "FR7699998888777766665555"
        tpl = (RING_TEMPLATE.format(id=pid) if pid in RING_IDS
               else f"https://go.linkpilot.example/t/{pid}?campaign={{subid}}&pub={pid}" if pid in TOOL
               else f"https://trk.gen-net.example/c?aff={pid}&sub={{subid}}" if int(pid) % 2
               else f"https://site{pid}.example/go/{pid}?sub={{subid}}")
        affs.append({"publisher_id": pid, "name": f"Site {pid}", "website": f"https://site{pid}.example",
                     "payment_account": pay, "joined": "2024-01-10", "country": "FR", "status": "active",
                     "tracking_template": tpl})
    pd.DataFrame(affs).to_csv(out / "affiliates.csv", index=False)
    clicks: list[dict[str, object]] = []
    convs: list[dict[str, object]] = []
    n_click = 0
    hours = np.array([1, .5, .3, .3, .3, .5, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 1], dtype=float)
    ring_dev = [f"ring-dev-{i}" for i in range(4)]
    ring_ip = [f"45.1.2.{10 + i}" for i in range(3)]
    for pid in [*honest, *RING_IDS]:
        in_ring = pid in RING_IDS
        n = int(rng.integers(150, 220)) if in_ring else int(rng.integers(50, 90))
        for _ in range(n):
            day = int(rng.integers(1, 29))
            month = "05" if rng.random() < 0.5 else "06"
            hour = int(rng.choice(24, p=hours / hours.sum())) if not in_ring else int(rng.integers(0, 24))
            ts = pd.Timestamp(f"2024-{month}-{day:02d}T{hour:02d}:{int(rng.integers(0, 60)):02d}:00Z")
            user = int(rng.integers(0, 40))
            dev, ip = f"dev-{pid}-{user}", f"10.{int(pid) % 250}.{user}.{int(rng.integers(1, 250))}"
            ref = f"https://site{pid}.example/post"
            if in_ring and rng.random() < 0.75:
                dev, ip, ref = str(rng.choice(ring_dev)), str(rng.choice(ring_ip)), ""
            if pid in OFFICE and rng.random() < 0.05:
                ip = "198.51.100.7"
            if rng.random() < 0.05:
                dev = DEFAULT_DEVICE
            cid = f"c{n_click:06d}"
            n_click += 1
            clicks.append({"click_id": cid, "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "publisher_id": pid,
                           "advertiser": "Acme", "ip": ip, "device_id": dev, "user_agent": "Mozilla/5.0",
                           "os": "iOS" if user % 2 else "Android", "referrer_url": ref, "landing_domain": "acme.com"})
            p_conv = 0.35 if in_ring else 0.05
            if rng.random() < p_conv:
                delay = int(rng.integers(3, 40)) if in_ring else int(rng.integers(1800, 9000))
                status = ("refunded" if rng.random() < 0.45 else "approved") if in_ring else (
                    "refunded" if rng.random() < 0.05 else "approved")
                convs.append({"transaction_id": f"T{len(convs):06d}", "click_ref": cid, "publisher_id": pid,
                              "advertiser": "Acme", "sale_amount": 40.0, "commission": 3.2, "currency": "EUR",
                              "customer_email": f"user{pid}x{user}@mail.example",
                              "timestamp": (ts + pd.Timedelta(seconds=delay)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "status": status})
    pd.DataFrame(convs).to_csv(out / "conversions.csv", index=False)
    with gzip.open(out / "clicks-2024-05.csv.gz", "wt") as fh:
        pd.DataFrame(clicks).to_csv(fh, index=False)
    return out


def import_world(store: object, settings: object, folder: Path) -> None:
    from graph.ingest.mapping import load_mapping
    from graph.ingest.pipeline import Importer

    imp = Importer(store, settings)  # type: ignore[arg-type]
    for name, preset in (("affiliates.csv", "generator-affiliates"), ("conversions.csv", "generator-conversions"),
                         ("clicks-2024-05.csv.gz", "generator-clicks")):
        imp.run(folder / name, load_mapping(preset))


def aff(pid: str) -> str:
    return f"affiliate:gen-net:{pid}"
