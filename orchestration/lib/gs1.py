"""GS1 identifiers: the pure conversions that let RFID reads meet the shop's catalog.

RFID tags carry EPCs (SGTIN URNs, EPC class patterns or GS1 Digital Link URIs) while the shop
stores EAN-13 / UPC-12 barcodes; stores are SGLN URNs or Digital Link `/414/` URIs while the
`stores` seed lists GLN-13s. An EPCIS 2.0 server answers in either form (its REST binding defaults
to Digital Link), so every identifier is parsed from both. Everything
is normalised to GTIN-14 / GLN-13 (GS1 General Specifications, Tag Data Standard 2.x) so that both
sides match on one string. Every function raises `ValueError` naming what is wrong.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

_SGTIN_URN = re.compile(r"^urn:epc:id:sgtin:(\d+)\.(\d+)\.(.+)$")
_SGTIN_CLASS_URN = re.compile(r"^urn:epc:idpat:sgtin:(\d+)\.(\d+)\.\*$")
_LGTIN_CLASS_URN = re.compile(r"^urn:epc:class:lgtin:(\d+)\.(\d+)\.(.+)$")
_SGLN_URN = re.compile(r"^urn:epc:id:sgln:(\d+)\.(\d*)\.(.+)$")
_GTIN_DIGITS = re.compile(r"^(\d{8}|\d{12,14})$")
_GLN_DIGITS = re.compile(r"^\d{13}$")


def check_digit(digits: str) -> str:
    """GS1 mod-10 check digit of `digits` (the code without its check digit).

    Weights 3 and 1 alternate from the rightmost digit, the same rule for GTIN-8/12/13/14,
    GLN and SSCC, which is why one function serves every identifier here.
    """
    if not digits.isdigit():
        raise ValueError(f"GS1 code {digits!r} must contain digits only")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def is_valid_check_digit(code: str) -> bool:
    """True when `code` (digits, check digit last) carries the right GS1 check digit."""
    return len(code) >= 2 and code.isdigit() and check_digit(code[:-1]) == code[-1]


def normalize_gtin(code: str) -> str:
    """EAN-13 / UPC-12 / GTIN-8 / GTIN-14 -> GTIN-14 (left zero padding keeps the check digit)."""
    code = code.strip()
    if len(code) not in (8, 12, 13, 14) or not code.isdigit():
        raise ValueError(f"GTIN {code!r} must be 8, 12, 13 or 14 digits")
    if not is_valid_check_digit(code):
        raise ValueError(f"GTIN {code!r} has a wrong check digit")
    return code.zfill(14)


def _sgtin_parts_to_gtin14(company_prefix: str, item_ref: str, epc: str) -> str:
    """Rearrange TDS SGTIN fields: indicator digit (first of item ref) + prefix + rest + check."""
    if len(company_prefix) + len(item_ref) != 13 or not 6 <= len(company_prefix) <= 12:
        raise ValueError(f"EPC {epc!r}: company prefix + item reference must be 13 digits")
    body = item_ref[0] + company_prefix + item_ref[1:]
    return body + check_digit(body)


def sgtin_to_gtin14(urn: str) -> tuple[str, str]:
    """`urn:epc:id:sgtin:CP.IR.Serial` -> (GTIN-14, serial)."""
    match = _SGTIN_URN.match(urn)
    if not match:
        raise ValueError(f"EPC {urn!r} is not an SGTIN pure-identity URN")
    company_prefix, item_ref, serial = match.groups()
    return _sgtin_parts_to_gtin14(company_prefix, item_ref, urn), unquote(serial)


def _digital_link_keys(uri: str, primary: str, what: str) -> tuple[str, dict[str, str]]:
    """The primary key after `/{primary}/` in a Digital Link path, and the qualifiers after it.

    Any domain and path prefix is accepted (Digital Link allows custom resolvers); qualifiers
    come as `/{AI}/{value}` pairs, so `/01/{gtin}/10/{lot}/21/{serial}` gives
    `(gtin, {"10": lot, "21": serial})`.
    """
    if not uri.startswith(("http://", "https://")):
        raise ValueError(f"{what} {uri!r} is not a GS1 Digital Link URI with /{primary}/")
    segments = urlsplit(uri).path.split("/")
    for i in range(len(segments) - 1):
        if segments[i] == primary:
            pairs = segments[i + 2 :]
            qualifiers = {pairs[j]: unquote(pairs[j + 1]) for j in range(0, len(pairs) - 1, 2)}
            return segments[i + 1], qualifiers
    raise ValueError(f"{what} {uri!r} is not a GS1 Digital Link URI with /{primary}/")


def digital_link_to_gtin14(uri: str) -> tuple[str, str | None]:
    """GS1 Digital Link URI (`https://id.gs1.org/01/{gtin}/21/{serial}`) -> (GTIN-14, serial).

    The serial is None for a class-level link: `/01/{gtin}` or `/01/{gtin}/10/{lot}` (a lot is a
    batch of one GTIN, so it counts towards that GTIN's stock like a plain class).
    """
    gtin, qualifiers = _digital_link_keys(uri, "01", "EPC")
    if not _GTIN_DIGITS.match(gtin):
        raise ValueError(f"EPC {uri!r} is not a GS1 Digital Link URI with a GTIN (/01/)")
    return normalize_gtin(gtin), qualifiers.get("21")


def epc_to_gtin14(epc: str) -> tuple[str, str | None]:
    """An item EPC in either form RFID readers report -> (GTIN-14, serial)."""
    if epc.startswith("urn:epc:id:sgtin:"):
        return sgtin_to_gtin14(epc)
    return digital_link_to_gtin14(epc)


def epc_class_to_gtin14(epc_class: str) -> str:
    """An EPC class -> GTIN-14.

    The forms: `urn:epc:idpat:sgtin:CP.IR.*`, `urn:epc:class:lgtin:CP.IR.Lot` (a lot of the
    GTIN), or a Digital Link without serial (`/01/{gtin}`, `/01/{gtin}/10/{lot}`).
    """
    match = _SGTIN_CLASS_URN.match(epc_class) or _LGTIN_CLASS_URN.match(epc_class)
    if match:
        company_prefix, item_ref = match.group(1), match.group(2)
        return _sgtin_parts_to_gtin14(company_prefix, item_ref, epc_class)
    if epc_class.startswith("urn:"):
        raise ValueError(f"EPC class {epc_class!r} is not an SGTIN class pattern or LGTIN")
    gtin, serial = digital_link_to_gtin14(epc_class)
    if serial is not None:
        raise ValueError(f"EPC class {epc_class!r} names a serial: it is an instance, not a class")
    return gtin


def sgln_to_gln13(urn: str) -> str:
    """`urn:epc:id:sgln:CP.LocRef.Ext` -> GLN-13 (company prefix + location ref + check digit)."""
    match = _SGLN_URN.match(urn)
    if not match:
        raise ValueError(f"location {urn!r} is not an SGLN URN")
    company_prefix, location_ref, _extension = match.groups()
    body = company_prefix + location_ref
    if len(body) != 12 or not 6 <= len(company_prefix) <= 12:
        raise ValueError(f"location {urn!r}: company prefix + location reference must be 12 digits")
    return body + check_digit(body)


def digital_link_to_gln13(uri: str) -> str:
    """`https://id.gs1.org/414/{gln}` with an optional `/254/{extension}` -> GLN-13.

    The extension (a zone, a dock) is part of the location's identity but not of the GLN, the
    same way the SGLN URN's third field is dropped by `sgln_to_gln13`.
    """
    gln, _qualifiers = _digital_link_keys(uri, "414", "location")
    if not _GLN_DIGITS.match(gln) or not is_valid_check_digit(gln):
        raise ValueError(f"location {uri!r}: /414/ must carry a GLN-13 with its check digit")
    return gln


def location_to_gln13(location: str) -> str:
    """A location in either form an EPCIS 2.0 server answers (SGLN URN or Digital Link)."""
    if location.startswith("urn:"):
        return sgln_to_gln13(location)
    return digital_link_to_gln13(location)
