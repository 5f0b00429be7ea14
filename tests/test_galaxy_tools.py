"""The Galaxy wrappers, read as XML (no Galaxy needed; scripts/galaxy_test.sh runs them in a real one).

Issue 21: warnings must reach Galaxy users (no --quiet), and every tabular output must tell Galaxy its columns.
"""

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
