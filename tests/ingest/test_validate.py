import pandas as pd

from graph.ingest.mapping import parse_mapping
from graph.ingest.pseudonym import Pseudonymizer
from graph.ingest.validate import Validator, normalise_handle, normalise_host, parse_amount

M = """name: t
key: [id]
columns:
  id: {required: true}
  start: {type: date}
  end: {type: date}
  value: {type: amount}
  currency: {type: currency}
  name: {}
  ip: {type: ip}
nodes:
  - {label: Contract, id: "c:{id}", set: {name: name}}
"""


def run(rows):
    m = parse_mapping(M)
    v = Validator(m, Pseudonymizer("k" * 32))
    df = pd.DataFrame(rows, columns=["id", "start", "end", "value", "currency", "name", "ip"])
    df.index = range(2, 2 + len(df))
    v.bind(list(df.columns), {}, "f.csv")
    return v, v.validate(df)


def test_parsers():
    assert parse_amount("1.234,56") == 1234.56 and parse_amount("-12,50") == -12.5
    assert parse_amount("1,234") == 1234 and parse_amount("€ 3.50") == 3.5
    assert parse_amount("NaN") == "not a number"
    assert normalise_host("HTTPS://WWW.LeMonde.fr/x?utm=1") == "lemonde.fr"
    assert normalise_handle("https://www.tiktok.com/@islahumor") == "islahumor"
    assert normalise_handle("@LeMondeFR") == "lemondefr"


def test_reasons_and_day_first_inference():
    v, out = run([
        ["1", "01/05/2024", "28/07/2024", "10.5", "EUR", "A", "1.2.3.4"],
        ["2", "31/02/2024", "", "5", "EUR", "B", ""],
        ["3", "01/06/2024", "13/13/2024", "-1500", "EURO", "=HYPERLINK(\"x\")", ""],
        ["", "yesterday", "", "x", "", "C", ""],
    ])
    assert out.frame.at[2, "start"] == "2024-05-01"  # borrowed day-first from column end
    assert out.errors[2] == ""
    assert "impossible date '31/02/2024'" in out.errors[3]
    e4 = out.errors[4]
    assert "negative amount '-1500'" in e4 and "unknown currency 'EURO'" in e4 and "spreadsheet formula" in e4
    assert "missing required field 'id'" in out.errors[5] and "not a date" in out.errors[5]
    assert v.date_orders == {"start": "dmy", "end": "dmy"}
    assert out.frame.at[2, "ip"].startswith("ip_") and out.frame.at[2, "ip_network"].startswith("net_")


def test_ambiguous_dates_are_reported():
    v, out = run([["1", "01/05/2024", "", "1", "EUR", "A", ""]])
    assert out.frame.at[2, "start"] == "2024-05-01"
    assert any("ambiguous" in n and "set date_order" in n for n in v.notes)


def test_month_first_and_long_fields():
    v, out = run([["1", "04/15/2025", "", "1", "USD", "x" * 1001, ""]])
    assert out.frame.at[2, "start"] == "2025-04-15"
    assert "1,001 characters long" in out.errors[2]
