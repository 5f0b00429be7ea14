"""The Galaxy wrappers, read as XML (no Galaxy needed; scripts/galaxy_test.sh runs them in a real one).

Issue 21: warnings must reach Galaxy users (no --quiet), and every tabular output must tell Galaxy its columns.
"""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import ROOT

TOOLS = sorted((ROOT / "galaxy_tools" / "dnalens").glob("dnalens_*.xml"))
MACROS = (ROOT / "galaxy_tools" / "dnalens" / "macros.xml").read_text()


def command_text(tool: Path) -> str:
    """The tool's command with the macro tokens written out (tokens may hold tokens)."""
    command = ET.parse(tool).getroot().findtext("command")
    tokens = [(token.get("name"), token.text or "") for token in ET.fromstring(MACROS).iter("token")]
    for _ in range(3):
        for name, text in tokens:
            command = command.replace(name, text)
    return command


@pytest.mark.parametrize("tool", TOOLS, ids=lambda path: path.stem)
def test_no_tool_silences_warnings(tool):
    assert "--quiet" not in command_text(tool)


@pytest.mark.parametrize("tool", TOOLS, ids=lambda path: path.stem)
def test_every_tabular_output_gets_its_galaxy_metadata(tool):
    root = ET.parse(tool).getroot()
    outputs = root.find("outputs")
    if outputs is None:  # classify and regress take their outputs from a macro
        outputs = next(macro for macro in ET.fromstring(MACROS).iter("xml") if macro.get("name") == "learner_outputs")
    # merge's output takes its format from its inputs, which may be tables; split writes no table
    tabular = [data.get("name") for data in outputs.iter("data")
               if data.get("format") == "tabular" or data.get("format_source")]
    assert tabular or root.get("id") == "dnalens_split"
    command = command_text(tool)
    for name in tabular:
        assert f"python -m dnalens.galaxy_metadata {name} '${name}'" in command, name



# Issue 20: the tools whose command can use a lab's `dnalens serve` (--endpoint) offer it as a model source.
def endpoint_commands() -> set[str]:
    import argparse

    from dnalens.cli import build_parser

    commands = next(action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction))
    return {name for name, parser in commands.choices.items()
            if any("--endpoint" in action.option_strings for action in parser._actions)}


@pytest.mark.parametrize("tool", TOOLS, ids=lambda path: path.stem)
def test_the_server_source_is_offered_where_the_command_takes_an_endpoint(tool):
    command = ET.parse(tool).getroot().findtext("command")
    offers_server = 'macro="model_or_server_choice"' in tool.read_text()
    assert offers_server == any(f"dnalens {name}\n" in command or f"dnalens {name} " in command
                                for name in endpoint_commands())
    if offers_server:  # the local model and hardware flags come only through the token that leaves them out
        assert "@MODEL_OR_SERVER@" in command and "@MODEL@" not in command and "@HARDWARE@" not in command


def test_server_mode_passes_nothing_the_cli_refuses_and_local_mode_ignores_the_environment():
    from dnalens.cli import LOCAL_ONLY

    token = next(t.text for t in ET.fromstring(MACROS).iter("token") if t.get("name") == "@MODEL_OR_SERVER@")
    server, local = token.split("#else:")
    assert "--endpoint '$model_source.server.fields.url'" in server
    assert "--token" not in server  # the job's DNALENS_TOKEN, never the command line
    for name in LOCAL_ONLY:
        assert "--" + name.replace("_", "-") not in server, name
    assert local.split()[:2] == ["--endpoint", "''"]  # a DNALENS_ENDPOINT in the job's environment is not used


def test_every_data_table_is_declared_and_documented_alike():
    """tools-iuc conventions: each table in both tool_data_table_conf files, its .loc.sample naming the columns."""
    here = ROOT / "galaxy_tools" / "dnalens"
    used = {name for path in [*TOOLS, here / "macros.xml"]
            for name in re.findall(r'from_data_table="([^"]+)"', path.read_text())}
    for conf in ("tool_data_table_conf.xml.sample", "tool_data_table_conf.xml.test"):
        tables = {table.get("name"): table for table in ET.parse(here / conf).getroot().iter("table")}
        assert used <= set(tables), conf
        for name, table in tables.items():
            columns = [column.strip() for column in table.findtext("columns").split(",")]
            path = table.find("file").get("path")
            loc = here / (path + ".sample" if conf.endswith("sample") else path.replace("${__HERE__}/", ""))
            assert path.endswith(f"/{name}.loc")
            assert "# " + "\t".join(columns) in loc.read_text().splitlines(), loc


# Tests that need what only scripts/galaxy_test.sh sets up (a live `dnalens serve`, the model zoo) are fragments it
# appends to copies of the tools: the tool files themselves must pass under plain planemo or a tool shed's CI.
FRAGMENTS = sorted((ROOT / "galaxy_tools").glob("*_tests/*.tests.xml"))


def test_no_tool_file_tests_the_lab_server():
    for tool in TOOLS:
        sources = {param.get("value") for param in ET.parse(tool).getroot().find("tests").iter("param")
                   if param.get("name") == "source"}
        assert "server" not in sources, tool.name
        assert ".tsv.re" not in tool.read_text(), tool.name  # literal numbers hold only in our environment


@pytest.mark.parametrize("fragment", FRAGMENTS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_each_test_fragment_belongs_to_a_tool(fragment):
    tool_name = fragment.name.removesuffix(".tests.xml") + ".xml"
    assert [*(ROOT / "galaxy_tools").glob(f"*/{tool_name}"), *(ROOT / "galaxy_tools").glob(f"*/*/{tool_name}")]
    tests = ET.parse(fragment).getroot()
    assert tests.tag == "tests" and len(tests.findall("test")) > 0
    if fragment.parent.name == "server_tests":
        for test in tests.findall("test"):
            assert any(p.get("name") == "source" and p.get("value") == "server" for p in test.iter("param"))
