import pytest

from herbx.config import load_config
from herbx.dwc.normalize import normalize_terms
from herbx.dwc.success import SuccessRule, SuccessRuleError, plausible_name

GOOD = {
    "scientificName": "Carex nigra (L.) Reichard",
    "recordedBy": "J.H. Hudson",
    "eventDate": "1987-07-12",
    "country": "Canada",
}


def test_default_rule_from_shipped_config() -> None:
    rule = SuccessRule.from_config(load_config(env={})["success"])
    assert rule == SuccessRule()
    verdict = rule.evaluate(GOOD)
    assert verdict.ok and verdict.reason is None


def test_all_empty_record_fails() -> None:
    rule = SuccessRule()
    for terms in ({}, {k: "" for k in GOOD}, {"locality": "   ", "habitat": "n/a"}):
        verdict = rule.evaluate(terms)
        assert (verdict.ok, verdict.reason) == (False, "empty_record")


def test_spec_defect_4_placeholder_catalog_number_is_not_a_success() -> None:
    """The original counted any non-empty dict as success; 000000 is not a record."""
    rule = SuccessRule()
    raw = {"catalogNumber": "000000", "scientificName": "", "locality": "unknown"}
    assert rule.evaluate(raw).reason == "empty_record"
    assert rule.evaluate(normalize_terms(raw).terms).reason == "empty_record"


@pytest.mark.parametrize(
    "name",
    [None, "Unknown", "Carex sp.", "Carex", "CAREX NIGRA", "C4rex nigra", "unknown species", "-"],
)
def test_implausible_name_fails(name: str | None) -> None:
    terms = {k: v for k, v in GOOD.items() if k != "scientificName"}
    if name is not None:
        terms["scientificName"] = name
    verdict = SuccessRule().evaluate(terms)
    assert (verdict.ok, verdict.reason) == (False, "no_scientific_name")


def test_too_few_terms() -> None:
    verdict = SuccessRule().evaluate({"scientificName": "Carex nigra", "country": "Canada"})
    assert (verdict.ok, verdict.reason) == (False, "too_few_terms")
    assert "at least 3" in verdict.message
    # verbatim twins and authorship do not count as extra facts
    twins = {
        "scientificName": "Carex nigra",
        "scientificNameAuthorship": "(L.) Reichard",
        "eventDate": "1987-07-12",
        "verbatimEventDate": "12 July 1987",
        "country": "Canada",
    }
    assert SuccessRule().evaluate(twins).reason == "too_few_terms"


@pytest.mark.parametrize(
    "name",
    ["Carex nigra", "Salix × bebbiana", "Aster novae-angliae L.", "Poa pratensis subsp. alpigena"],
)
def test_plausible_names(name: str) -> None:
    assert plausible_name(name)


def test_configurable_rule() -> None:
    rule = SuccessRule.from_config(
        {"required": ["scientificName", "catalogNumber"], "min_terms": 1, "check_name": False}
    )
    assert rule.evaluate({"scientificName": "carex", "country": "Canada"}).reason == "too_few_terms"
    assert rule.evaluate(
        {"scientificName": "carex", "catalogNumber": "DAS 1", "country": "Canada"}
    ).ok
    no_name = SuccessRule.from_config({"required": [], "min_terms": 2})
    assert no_name.evaluate({"catalogNumber": "DAS 1", "country": "Canada"}).ok


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"min_terms": -1}, "success.min_terms"),
        ({"min_terms": "3"}, "success.min_terms"),
        ({"required": "scientificName"}, "success.required"),
        ({"core_terms": ["colour"]}, "'colour' is not a term"),
        ({"check_name": "yes"}, "success.check_name"),
        ({"min_term": 3}, "success.min_term: unknown key"),
    ],
)
def test_bad_config_names_the_key(section: dict[str, object], message: str) -> None:
    with pytest.raises(SuccessRuleError, match=message):
        SuccessRule.from_config(section)
