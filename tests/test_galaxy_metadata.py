"""Issue 21, item 15: the tabular metadata the Galaxy tools hand to Galaxy (galaxy.json).

Galaxy's own guess counts a DNALens table's header row as data and types every column as text; these tests pin
what the tools write instead, on hand-made tables and on a real output.
"""

import json

from conftest import TEST_DATA
from dnalens.galaxy_metadata import describe_table, main


def test_provenance_and_header_are_comments_and_columns_get_galaxy_types(tmp_path):
    table = tmp_path / "t.tsv"
    table.write_text("# dnalens 0.1.0 variants\n# model: tiny\n"
                     "id\tcount\tscore\tlist\tnote\tgaps\n"
                     "a\t1\t0.5\t1,2\tx\t\n"
                     "b\t-3\t1e-07\t3\ty\t\n"
                     "c\t7\tna\t4,5\t1_000\t\n")
    assert describe_table(table) == {
        "column_names": ["id", "count", "score", "list", "note", "gaps"],
        # 'na' is a float to Galaxy, '3' alone would be an int (a list wins over it), '1_000' is text, and a column
        # with no value at all is text (Galaxy's default).
        "column_types": ["str", "int", "float", "list", "str", "str"],
        "columns": 6, "comment_lines": 3, "data_lines": 3}


def test_empty_cells_keep_a_numeric_column_numeric(tmp_path):
    table = tmp_path / "t.tsv"
    table.write_text("id\tllr\tstatus\nv1\t-0.25\tok\nv2\t\tref_mismatch\nv3\t0.75\tok\n")
    meta = describe_table(table)
    assert meta["column_types"] == ["str", "float", "str"]
    assert (meta["comment_lines"], meta["data_lines"]) == (1, 3)


def test_galaxy_json_names_each_output_and_keeps_what_was_there(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "galaxy.json").write_text(json.dumps({"plot": {"name": "kept"}}))
    (tmp_path / "a.tsv").write_text("# x\nid\tv\ns1\t2\n")
    assert main(["scores", str(tmp_path / "a.tsv")]) == 0
    written = json.loads((tmp_path / "galaxy.json").read_text())
    assert written["plot"] == {"name": "kept"}
    assert written["scores"]["metadata"]["column_names"] == ["id", "v"]
    assert written["scores"]["metadata"]["column_types"] == ["str", "int"]
    assert main(["scores"]) == 2  # a name without a path


def test_a_real_predict_output(run_cli, tmp_path):
    out = tmp_path / "p.tsv"
    assert run_cli("predict", TEST_DATA / "sequences.fa", "--positions", "1,30-31", "-o", out,
                   "--model", TEST_DATA / "tiny-model").code == 0
    lines = out.read_text().splitlines()
    comments = sum(line.startswith("#") for line in lines)
    meta = describe_table(out)
    assert meta["column_names"] == ["id", "position", "ref", "A", "C", "G", "T", "method"]
    assert meta["column_types"] == ["str", "int", "str", "float", "float", "float", "float", "str"]
    assert meta["data_lines"] == 12 * 3 == len(lines) - comments - 1
    assert meta["comment_lines"] == comments + 1
