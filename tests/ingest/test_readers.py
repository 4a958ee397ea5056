import gzip
import json

import pytest

from graph.errors import InputError
from graph.ingest.readers import TableReader, read_all


def test_sniffs_delimiter_and_encodings(tmp_path):
    p = tmp_path / "semi.csv"
    p.write_bytes("name;city\nCafé;Paris\n".encode("cp1252"))
    r = TableReader(p)
    assert r.delimiter == ";" and r.encoding == "cp1252"
    assert read_all(p)["name"].tolist() == ["Café"]
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffname,x\nA,1\n".encode())
    assert TableReader(bom).header == ["name", "x"]


def test_mixed_encodings_read_line_by_line(tmp_path):
    p = tmp_path / "mixed.csv"
    p.write_bytes(b"name,x\n" + "Zoë,1\n".encode() + "Renée,2\n".encode("cp1252"))
    r = TableReader(p)
    df = read_all(p)
    assert df["name"].tolist() == ["Zoë", "Renée"]
    list(r.chunks())
    assert any("cp1252" in n for n in r.notes)


def test_bad_files_give_clear_errors(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="is empty"):
        TableReader(empty)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x00\x01\x02binary\x00" * 100)
    with pytest.raises(InputError, match="binary"):
        TableReader(binary)
    zipped = tmp_path / "z.csv"
    zipped.write_bytes(b"PK\x03\x04" + b"x" * 100)
    with pytest.raises(InputError, match="zip"):
        TableReader(zipped)


def test_ragged_rows_duplicates_long_fields(tmp_path):
    p = tmp_path / "r.csv"
    long = "x" * 10_000
    p.write_text(f"a,b,a\n1,2,3\n1,2\n\n4,{long},6\n")
    r = TableReader(p)
    assert r.header == ["a", "b", "a__2"] and r.duplicates == {"a": [1, 3]}
    chunks = list(r.chunks())
    assert [b[:2] for c in chunks for b in c.bad] == [(3, "row has 2 values but the header has 3 columns")]
    frame = chunks[0].frame
    assert list(frame.index) == [2, 5] and len(frame.at[5, "b"]) == 10_000


def test_gzip_json_jsonl_xlsx(tmp_path):
    g = tmp_path / "c.csv.gz"
    g.write_bytes(gzip.compress(b"a,b\n1,2\n"))
    assert read_all(g)["b"].tolist() == ["2"]
    j = tmp_path / "d.json"
    j.write_text(json.dumps({"results": [{"id": 1, "properties": {"name": "X"}}]}))
    assert read_all(j)["properties.name"].tolist() == ["X"]
    jl = tmp_path / "d.jsonl"
    jl.write_text('{"a": 1}\nnot json\n{"a": 2}\n')
    chunks = list(TableReader(jl).chunks())
    assert chunks[0].frame["a"].tolist() == ["1", "2"] and chunks[0].bad[0][0] == 2
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["name", "amount"])
    ws.append(["=HYPERLINK(\"http://x\")", 12.0])
    x = tmp_path / "w.xlsx"
    wb.save(x)
    df = read_all(x)
    assert df["name"].tolist() == ['=HYPERLINK("http://x")'] and df["amount"].tolist() == ["12"]


def test_json_streams_in_chunks_in_any_encoding(tmp_path):
    """A JSON list (or an object holding one list) is read record by record, never whole."""
    recs = [{"id": i, "name": f"Café {i}", "amount": i / 4, "tags": ["a", "b"]} for i in range(2_500)]
    j = tmp_path / "big.json"
    j.write_text(json.dumps({"meta": {"count": 2500, "nested": [1, 2]}, "data": recs}, ensure_ascii=False),
                 encoding="cp1252")
    chunks = list(TableReader(j, chunk_rows=1_000, encoding="cp1252").chunks())
    assert [len(c.frame) for c in chunks] == [1_000, 1_000, 500]
    last = chunks[-1].frame
    assert last.index[-1] == 2_500 and last.at[2_500, "name"] == "Café 2499"
    assert last.at[2_500, "amount"] == "624.75" and last.at[2_500, "tags"] == '["a", "b"]'
    top = tmp_path / "list.json"
    top.write_text(json.dumps([{"a": 1}, 7, {"a": 2}]))
    (chunk,) = TableReader(top).chunks()
    assert chunk.frame["a"].tolist() == ["1", "2"] and chunk.bad[0][:2] == (2, "record is not a JSON object")


@pytest.mark.parametrize("text,message", [
    ('[{"a": 1}, {"a": ', "not valid JSON"),
    ('{"x": [1], "y": [2]}', "object holding one list"),
    ('"just a string"', "expected a list of records"),
])
def test_bad_json_gets_one_clear_error(tmp_path, text, message):
    j = tmp_path / "bad.json"
    j.write_text(text)
    with pytest.raises(InputError, match=message):
        list(TableReader(j).chunks())
