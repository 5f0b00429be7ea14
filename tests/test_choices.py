"""One list of choices and defaults (dnalens/choices.py) for every face: the CLI parser offers exactly it, and
the Galaxy wrappers' select options (their documentation to Galaxy users) cannot drift from it."""

import subprocess
import sys

import pytest
from lxml import etree

from conftest import ROOT
from dnalens import choices
from dnalens.cli import build_parser

TOOLS = ROOT / "galaxy_tools" / "dnalens"


def _xml(name: str) -> etree._Element:
    return etree.parse(str(TOOLS / name)).getroot()


def _param(root: etree._Element, name: str) -> etree._Element:
    """The one input <param> called `name` (or given as argument="--name"); the tests' params set values."""
    found = root.xpath(".//param[(@name=$name or @argument=$argument) and not(ancestor::tests)]", name=name,
                       argument="--" + name.replace("_", "-"))
    assert len(found) == 1, f"{len(found)} params named {name}"
    return found[0]


def _options(element: etree._Element) -> tuple[str, ...]:
    return tuple(option.get("value") for option in element.findall("option"))


def _selected(element: etree._Element) -> list[str]:
    return [option.get("value") for option in element.findall("option") if option.get("selected") == "true"]


@pytest.mark.parametrize(("tool", "param", "values", "default"), [
    ("macros.xml", "pooling", choices.POOLINGS, [choices.DEFAULT_POOLING]),
    ("dnalens_variants.xml", "pair_by", choices.PAIR_BY, [choices.DEFAULT_PAIR_BY]),
    ("dnalens_variants.xml", "scores_wanted", choices.SCORES, list(choices.SCORES)),  # all, as the CLI
    ("dnalens_compare.xml", "value", choices.COMPARED_SCORES, [choices.DEFAULT_COMPARED_SCORE]),
    ("dnalens_embed.xml", "method", choices.PROJECTIONS, [choices.DEFAULT_PROJECTION]),
])
def test_galaxy_select_options_are_the_choices(tool, param, values, default):
    select = _param(_xml(tool), param)
    assert _options(select) == values
    assert _selected(select) == default


@pytest.mark.parametrize(("tool", "estimators"), [("dnalens_classify.xml", choices.CLASSIFIERS),
                                                   ("dnalens_regress.xml", choices.REGRESSORS)])
def test_galaxy_estimators_are_the_choices(tool, estimators):
    # The options are the tool's, yielded into the macro's estimator select.
    (expand,) = _xml(tool).xpath(".//expand[@macro='learner_inputs']")
    assert _options(expand) == estimators
    assert _selected(expand) == [estimators[0]]
    assert _param(_xml("macros.xml"), "estimator").find("yield") is not None


def test_galaxy_variant_defaults_are_the_choices():
    variants = _xml("dnalens_variants.xml")
    assert int(_param(variants, "max_differences").get("value")) == choices.DEFAULT_MAX_DIFFERENCES
    assert f"{choices.DEFAULT_WINDOW} bp" in _param(variants, "window").get("help")


def _choices_of(parser, path: list[str], option: str):
    for name in path:
        parser = next(action for action in parser._subparsers._group_actions).choices[name]
    action = next(action for action in parser._actions if option in action.option_strings)
    return tuple(action.choices) if action.choices else None, action.default


@pytest.mark.parametrize(("path", "option", "values", "default"), [
    (["embed"], "--pooling", choices.POOLINGS, choices.DEFAULT_POOLING),
    (["variants"], "--pooling", choices.POOLINGS, choices.DEFAULT_POOLING),
    (["classify", "train"], "--pooling", choices.POOLINGS, choices.DEFAULT_POOLING),
    (["embed"], "--method", choices.PROJECTIONS, choices.DEFAULT_PROJECTION),
    (["variants"], "--pair-by", choices.PAIR_BY, choices.DEFAULT_PAIR_BY),
    (["classify", "train"], "--estimator", choices.CLASSIFIERS, choices.CLASSIFIERS[0]),
    (["regress", "train"], "--estimator", choices.REGRESSORS, choices.REGRESSORS[0]),
    (["embed"], "--model", None, choices.DEFAULT_MODEL),
])
def test_the_cli_offers_the_choices(path, option, values, default):
    assert _choices_of(build_parser(), path, option) == (values, default)


def test_the_core_checks_the_same_choices():
    from dnalens.compute import embedder
    from dnalens.ops import variant_inputs

    assert embedder.POOLINGS is choices.POOLINGS
    assert variant_inputs.DEFAULT_MAX_DIFFERENCES == choices.DEFAULT_MAX_DIFFERENCES


def test_choices_import_nothing_heavy():
    """The CLI reads the choices before --help answers: no numpy, torch or scikit-learn."""
    code = ("import sys, dnalens.choices, dnalens.messages; "
            "print(sorted({'numpy', 'torch', 'sklearn'} & set(sys.modules)))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


@pytest.mark.parametrize(("spec", "hub"), [("owner/name", True), ("gpt2", True), ("default", False),
                                           ("dnalens-default", False), ("./owner/name", False), ("/owner", False),
                                           ("~/model", False), ("a/b/c", False), ("bad id", False)])
def test_one_rule_tells_a_hub_id_from_a_folder(spec, hub):
    """The app sorts a remembered model into 'folder' or 'hub id' by the rule `--model` is resolved with."""
    from dnalens.model.source import is_hub_id

    assert is_hub_id(spec) is hub


def test_an_existing_folder_is_never_a_hub_id(tmp_path, monkeypatch):
    from dnalens.model.source import is_hub_id

    (tmp_path / "owner" / "name").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert not is_hub_id("owner/name")


def test_galaxy_recognises_the_warning_lines_the_core_prints():
    from dnalens.messages import warning_line

    (regex,) = _xml("macros.xml").xpath(".//stdio/regex[@level='warning']")
    assert warning_line("something").startswith(regex.get("match"))
