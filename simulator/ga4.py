"""Google Analytics 4 Data API `runReport`: sessions by date and session source/medium/campaign.

Sessions follow the day's expected orders divided by each traffic source's conversion rate, so
sessions and orders move together (conversion about 2-3 %) without being an exact copy. The
response's `metadata` says, like GA4's, when rows were withheld by thresholding (about one day in
seven, deterministically) or sampled (about one in eleven).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import numpy as np

from simulator.api import ApiRequest, ApiResponse, BadRequest, WindowCounter, json_response
from simulator.faults import Faults, Record
from simulator.orders import LruCache
from simulator.rng import Stream, generator, uniform
from simulator.world import World

DIMENSIONS = ("date", "sessionSource", "sessionMedium", "sessionCampaignName")
METRICS = ("sessions", "totalUsers", "addToCarts")
#: A standard property's quotas (tokens per day and per hour), and what one simulated report costs.
TOKENS_PER_DAY = 200_000
TOKENS_PER_HOUR = 40_000
TOKENS_PER_REPORT = 10


def ga4_error(status: int, code: str, message: str) -> ApiResponse:
    return json_response(status, {"error": {"code": status, "message": message, "status": code}})


class Ga4Api:
    def __init__(self, world: World, faults: Faults, property_id: str) -> None:
        self.world, self.faults, self.property_id = world, faults, property_id
        self._days: LruCache[date, list[dict[str, Any]]] = LruCache(800)
        self.day_calls, self.hour_calls = WindowCounter(86_400), WindowCounter(3600)

    def day_rows(self, day: date) -> list[dict[str, Any]]:
        """One row per traffic group with all dimensions and metrics (ints)."""
        return self._days.get(day, lambda: self._generate(day))

    def _generate(self, day: date) -> list[dict[str, Any]]:
        cal, traffic = self.world.calendar, self.world.traffic
        rng = generator(self.world.config.seed, day.toordinal(), Stream.SESSIONS)
        total_share = sum(g.order_share for g in traffic)
        expected = cal.expected[cal.index(day)]
        lam = np.array(
            [expected * g.order_share / total_share / g.conversion_rate for g in traffic]
        )
        sessions = rng.poisson(lam * rng.lognormal(0, 0.08, size=len(traffic)))
        users = np.round(sessions * rng.uniform(0.78, 0.9, size=len(traffic))).astype(np.int64)
        carts = rng.binomial(sessions, 0.08)
        return [
            {
                "date": day.strftime("%Y%m%d"),
                "sessionSource": g.source,
                "sessionMedium": g.medium,
                "sessionCampaignName": g.campaign,
                "sessions": int(s),
                "totalUsers": int(u),
                "addToCarts": int(c),
            }
            for g, s, u, c in zip(traffic, sessions, users, carts, strict=True)
            if s > 0
        ]

    def run_report(self, request: ApiRequest, property_id: str) -> ApiResponse:
        if property_id != self.property_id:
            return ga4_error(404, "NOT_FOUND", f"Property properties/{property_id} not found.")
        body = request.json()
        dims = [d.get("name") for d in body.get("dimensions", [])]
        mets = [m.get("name") for m in body.get("metrics", [])]
        for name in dims:
            if name not in DIMENSIONS:
                return ga4_error(400, "INVALID_ARGUMENT", f"Field {name} is not a valid dimension.")
        for name in mets:
            if name not in METRICS:
                return ga4_error(400, "INVALID_ARGUMENT", f"Field {name} is not a valid metric.")
        days = self._dates(body, request.now)
        rows = self._aggregate(days, dims, mets)
        offset = int(body.get("offset") or 0)
        limit = min(int(body.get("limit") or 10_000), self.world.config.page_sizes.ga4)
        page = [
            {
                "dimensionValues": [{"value": v} for v in key],
                "metricValues": [{"value": str(v)} for v in values],
            }
            for key, values in rows[offset : offset + limit]
        ]
        page = self.faults.apply("ga4", page, _row_key, CORRUPTIONS)
        payload: dict[str, Any] = {
            "dimensionHeaders": [{"name": d} for d in dims],
            "metricHeaders": [{"name": m, "type": "TYPE_INTEGER"} for m in mets],
            "rowCount": len(rows),
            "metadata": self._metadata(days),
            "kind": "analyticsData#runReport",
        }
        if page:  # the API omits "rows" when there are none
            payload["rows"] = page
        day_tokens = self.day_calls.hit(request.now) * TOKENS_PER_REPORT
        hour_tokens = self.hour_calls.hit(request.now) * TOKENS_PER_REPORT
        if body.get("returnPropertyQuota"):
            payload["propertyQuota"] = {
                "tokensPerDay": _quota(day_tokens, TOKENS_PER_DAY),
                "tokensPerHour": _quota(hour_tokens, TOKENS_PER_HOUR),
                "concurrentRequests": _quota(0, 10),
                "serverErrorsPerProjectPerHour": _quota(0, 10),
                "potentiallyThresholdedRequestsPerHour": _quota(0, 120),
            }
        return json_response(200, payload)

    def _metadata(self, days: list[date]) -> dict[str, Any]:
        """GA4's ResponseMetaData: thresholding and sampling on some days, by a hash of the day."""
        seed = self.world.config.seed
        # Proto3 JSON, as GA4 sends it: false flags and empty lists are left out.
        metadata: dict[str, Any] = {"currencyCode": "EUR", "timeZone": self.world.config.timezone}
        if any(uniform(seed, Stream.SESSIONS, d.toordinal(), 1) < 1 / 7 for d in days):
            metadata["subjectToThresholding"] = True
        if any(uniform(seed, Stream.SESSIONS, d.toordinal(), 2) < 1 / 11 for d in days):
            metadata["samplingMetadatas"] = [
                {"samplesReadCount": "480000", "samplingSpaceSize": "1200000"}
            ]
        return metadata

    def _dates(self, body: dict[str, Any], now: int) -> list[date]:
        """Requested days that have complete data (before today, shop time)."""
        today = self.world.calendar.local_date(now)
        days: list[date] = []
        for r in body.get("dateRanges") or []:
            first, last = _date(r.get("startDate"), today), _date(r.get("endDate"), today)
            first = max(first, self.world.config.history_start)
            days += [
                first + timedelta(days=i)
                for i in range((min(last, today - timedelta(days=1)) - first).days + 1)
            ]
        return sorted(set(days))

    def _aggregate(
        self, days: list[date], dims: list[str], mets: list[str]
    ) -> list[tuple[tuple[str, ...], list[int]]]:
        totals: defaultdict[tuple[str, ...], list[int]] = defaultdict(lambda: [0] * len(mets))
        for day in days:
            for row in self.day_rows(day):
                acc = totals[tuple(row[d] for d in dims)]
                for i, m in enumerate(mets):
                    acc[i] += row[m]
        return sorted(totals.items(), key=lambda kv: (kv[0][:1], -kv[1][0] if mets else 0, kv[0]))


def _quota(consumed: int, limit: int) -> dict[str, int]:
    return {"consumed": consumed, "remaining": max(0, limit - consumed)}


def _date(raw: Any, today: date) -> date:
    relative = {"today": 0, "yesterday": 1}
    text = str(raw)
    if text in relative:
        return today - timedelta(days=relative[text])
    if text.endswith("daysAgo") and text[:-7].isdigit():
        return today - timedelta(days=int(text[:-7]))
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest(f"invalid date {raw!r} in dateRanges") from exc


def _row_key(row: Record) -> str:
    return "|".join(v.get("value", "") for v in row.get("dimensionValues", []))


CORRUPTIONS = (
    lambda r: r["metricValues"][0].update(value="-12"),
    lambda r: r["dimensionValues"][0].update(value="2025-02-30") if r["dimensionValues"] else None,
    lambda r: r.pop("dimensionValues"),
)
