"""Just enough HTML parsing for the report tests (stdlib only): tables, ids, script/link urls."""

from __future__ import annotations

from html.parser import HTMLParser


class ReportParser(HTMLParser):
    """Collects table cells (`data-col`/`data-value`), element ids and external resources."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[dict[str, str]]] = {}
        self.ids: dict[str, dict[str, str]] = {}
        self.resource_urls: list[tuple[str, str]] = []  # (tag, src/href)
        self.text: list[str] = []
        self._table: str | None = None
        self._row: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if "id" in attr:
            self.ids[attr["id"]] = {"tag": tag, **attr}
        if tag == "script" and "src" in attr:
            self.resource_urls.append((tag, attr["src"]))
        if tag == "link" and "href" in attr:
            self.resource_urls.append((tag, attr["href"]))
        if tag == "table":
            self._table = attr.get("id", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = {}
        elif tag == "td" and self._row is not None and "data-col" in attr:
            self._row[attr["data-col"]] = attr.get("data-value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None and self._table is not None:
            if self._row:
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(document: str) -> ReportParser:
    parser = ReportParser()
    parser.feed(document)
    parser.close()
    return parser
