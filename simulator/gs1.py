"""GS1 identifiers the simulated retailer uses: GTINs, GLNs, SGTIN and SGLN URIs.

The simulator writes these; the pipeline parses them with its own code (orchestration/lib), so
the two implementations check each other.
"""

from __future__ import annotations

COMPANY_PREFIX = "3012345"  # the retailer's GS1 company prefix (GLNs and own-brand GTINs)
UPC_COMPANY_PREFIX = "0614141"  # a US brand's prefix: its barcodes are UPC-12


def check_digit(digits: str) -> str:
    """GS1 mod-10 check digit of a key without its check digit (weights 3,1,3... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def gtin14(company_prefix: str, item_ref: str, indicator: str = "0") -> str:
    body = indicator + company_prefix + item_ref
    return body + check_digit(body)


def barcode_from_gtin14(gtin: str) -> str:
    """The barcode a shop stores: EAN-13, or UPC-12 when the GTIN starts with 00."""
    return gtin[2:] if gtin.startswith("00") else gtin[1:]


def sgtin_prefix(company_prefix: str, item_ref: str, indicator: str = "0") -> str:
    """`urn:epc:id:sgtin:CompanyPrefix.IndicatorItemRef.` (the serial is appended)."""
    return f"urn:epc:id:sgtin:{company_prefix}.{indicator}{item_ref}."


def gln(location_ref: int) -> str:
    body = f"{COMPANY_PREFIX}{location_ref:05d}"
    return body + check_digit(body)


def sgln(location_ref: int, extension: str = "0") -> str:
    return f"urn:epc:id:sgln:{COMPANY_PREFIX}.{location_ref:05d}.{extension}"
