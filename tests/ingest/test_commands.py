import click
from click.testing import CliRunner

from graph.ingest.commands import register


class Obj:
    def __init__(self, settings, store):
        self.settings = settings
        self._store = store

    def store(self):
        return self._store


def cli():
    @click.group()
    def g():
        """test root"""

    register(g)
    return g


def test_commands_have_help_and_presets_list():
    g = cli()
    assert {"import", "review", "forget", "retention"} <= set(g.commands)
    for name in ("import", "review", "forget", "retention"):
        assert g.commands[name].help
    out = CliRunner().invoke(g, ["import", "--list-presets"], obj=None)
    assert out.exit_code == 0 and "generator-partners:" in out.output and "maven-pipeline:" in out.output


def test_import_review_forget_via_cli(store, tmp_path):
    from graph.settings import load_settings

    settings = load_settings(env={}, home=tmp_path / "home", pseudonym_key="t" * 32)
    f = tmp_path / "p.csv"
    f.write_text("crm_id,name,website\nC1,Le Monde,lemonde.fr\nC2,Le Monde,lemonde.com\nC3,Other,other.fr\n")
    obj = Obj(settings, store)
    r = CliRunner().invoke(cli(), ["import", str(f), "--preset", "generic-partners"], obj=obj)
    assert r.exit_code == 0, r.output
    assert "rows_in 3 = imported 3 + quarantined 0" in r.output
    r = CliRunner().invoke(cli(), ["review"], obj=obj)
    assert "#1" in r.output and "different domains" in r.output
    r = CliRunner().invoke(cli(), ["review", "--accept", "1", "--by", "ana"], obj=obj)
    assert "#1 accepted" in r.output
    assert store.read("MATCH ()-[r:SAME_AS]->() RETURN count(r) AS n").rows[0]["n"] == 1
    r = CliRunner().invoke(cli(), ["forget", "--partner", "C3"], obj=obj)
    assert r.exit_code == 0 and "1 record node" in r.output
    assert store.read("MATCH (p:Publisher {crm_id: 'C3'}) RETURN count(p) AS n").rows[0]["n"] == 0
