import pytest

from graph.errors import InputError
from graph.ingest.mapping import load_mapping, parse_mapping, preset_names

GOOD = """name: t
columns:
  id: {required: true}
  name: {}
nodes:
  - label: Publisher
    id: "p:{id}"
    set: {name: name}
"""


def test_presets_all_load():
    names = preset_names()
    assert {"generator-partners", "generator-clicks", "maven-pipeline", "hubspot-companies",
            "salesforce-accounts", "network-conversions", "generic-partners", "talkingdata-clicks"} <= set(names)
    for n in names:
        load_mapping(n)


def test_typo_reported_with_line_and_column():
    with pytest.raises(InputError, match=r"m.yaml:2:1: unknown key 'colums' \(did you mean 'columns'\?\)"):
        parse_mapping(GOOD.replace("columns:", "colums:"), "m.yaml")
    with pytest.raises(InputError, match=r"m.yaml:4:10: unknown key 'requird'"):
        parse_mapping(GOOD.replace("name: {}", "name: {requird: true}"), "m.yaml")


def test_bad_yaml_and_semantics_located():
    with pytest.raises(InputError, match=r"m.yaml:\d+:\d+: not valid YAML"):
        parse_mapping("name: [unclosed\ncolumns: {}", "m.yaml")
    with pytest.raises(InputError, match=r"m.yaml:6:12: unknown node label 'Publsher'"):
        parse_mapping(GOOD.replace("label: Publisher", "label: Publsher"), "m.yaml")
    with pytest.raises(InputError, match=r"unknown field 'nme' \(did you mean 'name'\?\)"):
        parse_mapping(GOOD.replace("set: {name: name}", "set: {name: nme}"), "m.yaml")
