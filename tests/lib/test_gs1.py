"""GS1 conversions against the examples of the GS1 Tag Data Standard and General Specifications."""

from __future__ import annotations

import pytest

from orchestration.lib import gs1


def test_sgtin_urn_to_gtin14_tds_example() -> None:
    # TDS 2.x, SGTIN example: indicator 8 moves in front of the company prefix.
    assert gs1.sgtin_to_gtin14("urn:epc:id:sgtin:0614141.812345.6789") == ("80614141123458", "6789")


def test_sgtin_serial_is_percent_decoded() -> None:
    assert gs1.sgtin_to_gtin14("urn:epc:id:sgtin:0614141.812345.A%2FB")[1] == "A/B"


def test_digital_link_to_gtin14() -> None:
    uri = "https://id.gs1.org/01/09506000134352/21/12345"
    assert gs1.digital_link_to_gtin14(uri) == ("09506000134352", "12345")
    assert gs1.epc_to_gtin14(uri) == ("09506000134352", "12345")
    # a custom resolver with a path prefix, and a GTIN-13 in the link
    assert gs1.digital_link_to_gtin14("https://brand.example/x/01/9506000134352") == (
        "09506000134352",
        None,
    )


def test_epc_class_patterns() -> None:
    assert gs1.epc_class_to_gtin14("urn:epc:idpat:sgtin:0614141.812345.*") == "80614141123458"
    assert gs1.epc_class_to_gtin14("https://id.gs1.org/01/09506000134352") == "09506000134352"
    with pytest.raises(ValueError, match="instance"):
        gs1.epc_class_to_gtin14("https://id.gs1.org/01/09506000134352/21/1")


@pytest.mark.parametrize(
    ("code", "gtin14"),
    [
        ("4006381333931", "04006381333931"),  # EAN-13
        ("036000291452", "00036000291452"),  # UPC-A
        ("96385074", "00000096385074"),  # GTIN-8
        ("80614141123458", "80614141123458"),
    ],
)
def test_normalize_gtin(code: str, gtin14: str) -> None:
    assert gs1.normalize_gtin(code) == gtin14


@pytest.mark.parametrize("code", ["4006381333932", "12345", "40063813339ab"])
def test_normalize_gtin_rejects_invalid(code: str) -> None:
    with pytest.raises(ValueError, match="GTIN"):
        gs1.normalize_gtin(code)


def test_sgln_to_gln13() -> None:
    # TDS example SGLN urn:epc:id:sgln:0614141.12345.400 -> GLN 0614141123452
    assert gs1.sgln_to_gln13("urn:epc:id:sgln:0614141.12345.400") == "0614141123452"
    assert gs1.sgln_to_gln13("urn:epc:id:sgln:3012345.00001.0") == "3012345000017"
    with pytest.raises(ValueError, match="12 digits"):
        gs1.sgln_to_gln13("urn:epc:id:sgln:3012345.001.0")


@pytest.mark.parametrize(
    ("epc_class", "gtin14"),
    [
        # pairs that GS1's EPCIS 2.0 examples give in both forms (lot 998877 and lot 987)
        ("urn:epc:class:lgtin:4012345.012345.998877", "04012345123456"),
        ("https://id.gs1.org/01/04012345123456/10/998877", "04012345123456"),
        ("urn:epc:class:lgtin:0614141.077777.987", "00614141777778"),
        ("https://id.gs1.org/01/00614141777778/10/987", "00614141777778"),
        ("https://id.gs1.org/01/04012345987652", "04012345987652"),
    ],
)
def test_lot_classes_count_towards_their_gtin(epc_class: str, gtin14: str) -> None:
    assert gs1.epc_class_to_gtin14(epc_class) == gtin14


def test_digital_link_qualifiers_are_read_as_pairs() -> None:
    # a lot that happens to be "21" is not a serial
    assert gs1.digital_link_to_gtin14("https://id.gs1.org/01/04012345123456/10/21") == (
        "04012345123456",
        None,
    )
    uri = "https://id.gs1.org/01/04012345123456/10/ABC/21/7%2F8"
    assert gs1.digital_link_to_gtin14(uri) == ("04012345123456", "7/8")


@pytest.mark.parametrize(
    ("location", "gln13"),
    [
        ("https://id.gs1.org/414/9506000134307", "9506000134307"),
        ("https://id.example.com/414/4012345000054", "4012345000054"),  # custom resolver
        ("https://id.gs1.org/414/9506000134307/254/SALESFLOOR", "9506000134307"),
        # the SGLN of GS1's example read point, whose GLN the same example names in a desadv
        ("urn:epc:id:sgln:0614141.07346.1234", "0614141073467"),
    ],
)
def test_locations_in_both_forms(location: str, gln13: str) -> None:
    assert gs1.location_to_gln13(location) == gln13


def test_invalid_digital_link_location_names_the_value() -> None:
    with pytest.raises(ValueError, match="9506000134308"):
        gs1.location_to_gln13("https://id.gs1.org/414/9506000134308")  # wrong check digit
    with pytest.raises(ValueError, match="/414/"):
        gs1.location_to_gln13("https://id.gs1.org/01/04012345123456")


def test_invalid_epcs_name_the_value() -> None:
    with pytest.raises(ValueError, match="urn:epc:id:sgtin:123"):
        gs1.sgtin_to_gtin14("urn:epc:id:sgtin:123")
    with pytest.raises(ValueError, match="Digital Link"):
        gs1.epc_to_gtin14("urn:epc:id:sscc:0614141.1234567890")


def test_check_digit() -> None:
    assert gs1.check_digit("629104150021") == "3"  # GS1 General Specifications example
    assert gs1.is_valid_check_digit("6291041500213")
    assert not gs1.is_valid_check_digit("6291041500214")
