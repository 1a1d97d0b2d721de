"""GS1 identifiers: the pure conversions that let RFID reads meet the shop's catalog.

RFID tags carry EPCs (SGTIN URNs, EPC class patterns or GS1 Digital Link URIs) while the shop
stores EAN-13 / UPC-12 barcodes; stores are SGLNs while the `stores` seed lists GLN-13s. Everything
is normalised to GTIN-14 / GLN-13 (GS1 General Specifications, Tag Data Standard 2.x) so that both
sides match on one string. Every function raises `ValueError` naming what is wrong.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

_SGTIN_URN = re.compile(r"^urn:epc:id:sgtin:(\d+)\.(\d+)\.(.+)$")
_SGTIN_CLASS_URN = re.compile(r"^urn:epc:idpat:sgtin:(\d+)\.(\d+)\.\*$")
_SGLN_URN = re.compile(r"^urn:epc:id:sgln:(\d+)\.(\d*)\.(.+)$")
_DIGITAL_LINK_GTIN = re.compile(r"/01/(\d{8}|\d{12,14})(?:/|$)")
_DIGITAL_LINK_SERIAL = re.compile(r"/21/([^/?#]+)")


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


def digital_link_to_gtin14(uri: str) -> tuple[str, str | None]:
    """GS1 Digital Link URI (`https://id.gs1.org/01/{gtin}/21/{serial}`) -> (GTIN-14, serial).

    Any domain and path prefix is accepted (Digital Link allows custom resolvers); the serial is
    None for a class-level link without `/21/`.
    """
    path = urlsplit(uri).path
    match = _DIGITAL_LINK_GTIN.search(path)
    if not uri.startswith(("http://", "https://")) or not match:
        raise ValueError(f"EPC {uri!r} is not a GS1 Digital Link URI with a GTIN (/01/)")
    serial = _DIGITAL_LINK_SERIAL.search(path[match.end() - 1 :])
    return normalize_gtin(match.group(1)), unquote(serial.group(1)) if serial else None


def epc_to_gtin14(epc: str) -> tuple[str, str | None]:
    """An item EPC in either form RFID readers report -> (GTIN-14, serial)."""
    if epc.startswith("urn:epc:id:sgtin:"):
        return sgtin_to_gtin14(epc)
    return digital_link_to_gtin14(epc)


def epc_class_to_gtin14(epc_class: str) -> str:
    """An EPC class (`urn:epc:idpat:sgtin:CP.IR.*` or a Digital Link without serial) -> GTIN-14."""
    match = _SGTIN_CLASS_URN.match(epc_class)
    if match:
        return _sgtin_parts_to_gtin14(*match.groups(), epc_class)
    if epc_class.startswith("urn:"):
        raise ValueError(f"EPC class {epc_class!r} is not an SGTIN class pattern")
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
