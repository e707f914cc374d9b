import pytest

from herbx.analysis.eval_compare import Tolerances, canonical_name, compare_values


@pytest.mark.parametrize(
    ("term", "truth", "predicted", "exact"),
    [
        ("eventDate", "12 July 1987", "1987-07-12", True),
        ("eventDate", "1987-07-12", "VII.12.1987", True),
        ("eventDate", "1987-07", "1987-07-12", False),
        ("eventDate", "1987-07-12", "1987-07-21", False),
        ("dateIdentified", "1988", "1988", True),
        ("country", "Canada", "CANADA.", True),
        ("locality", "Near  Saskatoon", "near saskatoon", True),
        ("locality", "Near Saskatoon", "Near Saskatoom", False),
        ("decimalLatitude", "52.125", "52.1255", True),
        ("decimalLatitude", "52.125", "52.13", False),
        ("decimalLongitude", "-106.633333", "-106.6333", True),
        ("minimumElevationInMeters", "503", "503", True),
        ("minimumElevationInMeters", "503", "504", True),
        ("minimumElevationInMeters", "503", "510", False),
        ("catalogNumber", "004512", "4512", False),
        ("recordedBy", "J.H. Hudson", "", False),
    ],
)
def test_comparison_rules(term: str, truth: str, predicted: str, exact: bool) -> None:
    assert compare_values(term, truth, predicted).exact is exact


def test_tolerances_are_configurable() -> None:
    assert compare_values("decimalLatitude", "52.1", "52.2", Tolerances(degrees=0.2)).exact
    assert not compare_values("minimumElevationInMeters", "500", "510", Tolerances(metres=5)).exact


def test_names_with_and_without_authorship() -> None:
    full = compare_values(
        "scientificName", "Carex nigra (L.) Reichard", "Carex nigra (L.) Reichard"
    )
    assert full.exact and full.exact_canonical
    bare = compare_values("scientificName", "Carex nigra", "Carex nigra (L.) Reichard")
    assert not bare.exact and bare.exact_canonical
    wrong = compare_values("scientificName", "Carex nigra", "Carex nudata W. Boott")
    assert not wrong.exact and not wrong.exact_canonical
    assert 0.0 < wrong.similarity < 1.0
    missing = compare_values("scientificName", "Carex nigra", None)
    assert (missing.exact, missing.exact_canonical, missing.similarity) == (False, False, 0.0)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Carex nigra (L.) Reichard", "Carex nigra"),
        ("Poa pratensis subsp. alpigena (Fr.) Hiitonen", "Poa pratensis subsp. alpigena"),
        ("Salix x bebbiana Sarg.", "Salix × bebbiana"),
        ("Aster novae-angliae L.", "Aster novae-angliae"),
        ("Puccinia graminis Pers.", "Puccinia graminis"),
    ],
)
def test_canonical_name(name: str, canonical: str) -> None:
    assert canonical_name(name) == canonical
