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


# --- EPC URN <-> GS1 Digital Link, as an EPCIS 2.0 server translates on `GS1-EPC-Format` ------

DIGITAL_LINK = "https://id.gs1.org"
PREFIX_LENGTH = 7  # every company prefix of the simulated retailer has 7 digits


def to_digital_link(uri: str) -> str:
    """An SGTIN / SGTIN-pattern / SGLN URN as its Digital Link URI; anything else unchanged."""
    kind, _, fields = uri.removeprefix("urn:epc:").partition(":")
    scheme, _, rest = fields.partition(":")
    prefix, ref, last = [*rest.split(".", 2), "", ""][:3]
    if kind in ("id", "idpat") and scheme == "sgtin":
        gtin = gtin14(prefix, ref[1:], ref[:1])
        return f"{DIGITAL_LINK}/01/{gtin}" + (f"/21/{last}" if kind == "id" else "")
    if kind == "id" and scheme == "sgln":
        body = prefix + ref
        extension = "" if last == "0" else f"/254/{last}"
        return f"{DIGITAL_LINK}/414/{body}{check_digit(body)}{extension}"
    return uri


def to_epc_urn(uri: str) -> str:
    """A Digital Link item, class or location URI as its EPC URN; anything else unchanged."""
    if not uri.startswith(f"{DIGITAL_LINK}/"):
        return uri
    keys = uri.removeprefix(f"{DIGITAL_LINK}/").split("/")
    pairs = dict(zip(keys[::2], keys[1::2], strict=False))
    if "01" in pairs:
        gtin = pairs["01"]
        company, ref = gtin[1 : 1 + PREFIX_LENGTH], gtin[0] + gtin[1 + PREFIX_LENGTH : 13]
        if "21" in pairs:
            return f"urn:epc:id:sgtin:{company}.{ref}.{pairs['21']}"
        return f"urn:epc:idpat:sgtin:{company}.{ref}.*"
    if "414" in pairs:
        gln = pairs["414"]
        company, ref = gln[:PREFIX_LENGTH], gln[PREFIX_LENGTH:12]
        return f"urn:epc:id:sgln:{company}.{ref}.{pairs.get('254', '0')}"
    return uri
