"""The OpenAPI 3 document of the read-only API, served at /api/openapi.json.

Written as data next to the views it describes; tests check that every route of
`api.urls` appears here, so the document cannot silently fall behind.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from alarms.choices import AlarmState
from alarms.filters import SORTS, STATE_FILTERS
from monitoring.choices import ConditionKind, Severity, UpsState
from monitoring.trends import RANGES


def _param(
    name: str, where: str, description: str, schema: dict[str, Any], required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": schema,
    }


def _ok(
    description: str, schema: dict[str, Any], media: str = "application/json"
) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
}
_UPS_ID = _param("id", "path", "UPS id.", {"type": "integer"}, required=True)
_NOT_FOUND = {"404": {"description": "No such UPS."}}


def _get(
    summary: str,
    operation_id: str,
    parameters: list[dict[str, Any]],
    ok: dict[str, Any],
    of_one_ups: bool = False,
) -> dict[str, Any]:
    """A GET answering `ok` (200) or the common errors; 404 too on a path of one UPS."""
    return {
        "get": {
            "summary": summary,
            "operationId": operation_id,
            "parameters": parameters,
            "responses": {"200": ok, **_ERRORS, **(_NOT_FOUND if of_one_ups else {})},
        }
    }


_WINDOW = [
    _param(
        "range",
        "query",
        "Named range (ignored when start is given).",
        {"type": "string", "enum": list(RANGES), "default": "24h"},
    ),
    _param(
        "start", "query", "Custom range start, ISO 8601.", {"type": "string", "format": "date-time"}
    ),
    _param(
        "end",
        "query",
        "Custom range end, ISO 8601 (default: now).",
        {"type": "string", "format": "date-time"},
    ),
]
_ALARM_FILTERS = [
    _param("q", "query", "Text in the message, UPS or site name.", {"type": "string"}),
    _param("site", "query", "Site id.", {"type": "integer"}),
    _param("ups", "query", "UPS id.", {"type": "integer"}),
    _param(
        "kind", "query", "Condition kind.", {"type": "string", "enum": list(ConditionKind.values)}
    ),
    _param("severity", "query", "Severity.", {"type": "string", "enum": list(Severity.values)}),
    _param("state", "query", "Lifecycle filter.", {"type": "string", "enum": list(STATE_FILTERS)}),
    _param("since", "query", "Raised at or after.", {"type": "string", "format": "date-time"}),
    _param("until", "query", "Raised before.", {"type": "string", "format": "date-time"}),
    _param("sort", "query", "Order.", {"type": "string", "enum": list(SORTS), "default": "newest"}),
    _param("after", "query", "Cursor from the previous page's `next`.", {"type": "string"}),
    _param("limit", "query", "Rows per page (max 500).", {"type": "integer", "maximum": 500}),
]

_TIME = {"type": "string", "format": "date-time", "nullable": True}
_REF = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
_NUM_LIST = {"type": "array", "items": {"type": "number", "nullable": True}}

SCHEMAS: dict[str, Any] = {
    "Values": {
        "type": "object",
        "nullable": True,
        "description": "Last answered poll; units in the names (_v volts, _pct %, _s seconds, …).",
        "additionalProperties": {"nullable": True},
    },
    "UpsSummary": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "url": {"type": "string"},
            "site": _REF,
            "region": {**_REF, "nullable": True},
            "enabled": {"type": "boolean"},
            "state": {"type": "string", "enum": list(UpsState.values)},
            "state_word": {"type": "string"},
            "state_since": _TIME,
            "reasons": {"type": "array", "items": {"type": "string"}},
            "last_poll_at": _TIME,
            "last_success_at": _TIME,
            "values": {"$ref": "#/components/schemas/Values"},
        },
    },
    "UpsDetail": {
        "allOf": [
            {"$ref": "#/components/schemas/UpsSummary"},
            {
                "type": "object",
                "properties": {
                    "host": {"type": "string"},
                    "port": {"type": "integer"},
                    "snmp_version": {"type": "string"},
                    "poll_interval_s": {"type": "integer"},
                    "nameplate": {"type": "object"},
                    "status": {"type": "object", "nullable": True},
                    "lines": {
                        "type": "object",
                        "nullable": True,
                        "description": "Per-line input/output/bypass values.",
                    },
                    "card_alarms": {"type": "array", "nullable": True, "items": {"type": "string"}},
                    "links": {"type": "object"},
                },
            },
        ]
    },
    "Readings": {
        "type": "object",
        "properties": {
            "ups": _REF,
            "range": {"type": "object"},
            "source": {
                "type": "string",
                "enum": ["raw", "5m", "1h"],
                "description": "Table the buckets come from.",
            },
            "bucket_s": {"type": "integer", "description": "Bucket width, seconds."},
            "points": {"type": "integer"},
            "t": {
                "type": "array",
                "items": {"type": "string", "format": "date-time"},
                "description": "Bucket starts (UTC).",
            },
            "samples": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "Polls per bucket (0: a gap).",
            },
            "charts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "title": {"type": "string"},
                        "unit": {"type": "string"},
                        "nominal": {"type": "number", "nullable": True},
                        "y_range": _NUM_LIST,
                        "band": {
                            **_NUM_LIST,
                            "nullable": True,
                            "description": "Normal band [low, high].",
                        },
                        "limits": {"type": "array", "items": {"type": "object"}},
                        "series": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "key": {"type": "string"},
                                    "label": {"type": "string"},
                                    "min": _NUM_LIST,
                                    "avg": _NUM_LIST,
                                    "max": _NUM_LIST,
                                },
                            },
                        },
                    },
                },
            },
            "alarms": {
                "type": "array",
                "description": "Alarm episodes overlapping the range (end null: still open).",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "kind": {"type": "string"},
                        "severity": {"type": "string"},
                        "start": _TIME,
                        "end": _TIME,
                    },
                },
            },
        },
    },
    "Alarm": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "ups": _REF,
            "site": _REF,
            "kind": {"type": "string"},
            "severity": {"type": "string", "enum": list(Severity.values)},
            "state": {"type": "string", "enum": list(AlarmState.values)},
            "message": {"type": "string"},
            "raised_at": _TIME,
            "cleared_at": _TIME,
            "acknowledged_at": _TIME,
            "acknowledged_by": {"type": "string", "nullable": True},
        },
    },
}


def build() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "UNMS read-only API",
            "version": "1",
            "description": "UPS fleet status, UPS detail, downsampled readings and alarm search. "
            "Authenticate with `Authorization: Bearer <token>` (manage.py create_api_token). "
            "SNMP communities are never part of any answer. Prometheus metrics: GET /metrics.",
        },
        "servers": [{"url": "/api"}],
        "security": [{"bearer": []}],
        "paths": {
            "/v1/fleet": _get(
                "Fleet status: every UPS with state and key values",
                "fleet",
                [
                    _param(
                        "state",
                        "query",
                        "Only UPSs in this state.",
                        {"type": "string", "enum": list(UpsState.values)},
                    ),
                    _param("site", "query", "Site id.", {"type": "integer"}),
                    _param("region", "query", "Region id.", {"type": "integer"}),
                ],
                _ok(
                    "Fleet",
                    {
                        "type": "object",
                        "properties": {
                            "generated_at": _TIME,
                            "counts": {"type": "object"},
                            "upses": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/UpsSummary"},
                            },
                        },
                    },
                ),
            ),
            "/v1/ups/{id}": _get(
                "One UPS: state, current values per line, nameplate",
                "ups",
                [_UPS_ID],
                _ok("UPS", {"$ref": "#/components/schemas/UpsDetail"}),
                of_one_ups=True,
            ),
            "/v1/ups/{id}/readings": _get(
                "Downsampled readings (min/avg/max per bucket) and alarm episodes",
                "readings",
                [_UPS_ID, *_WINDOW],
                _ok("Series", {"$ref": "#/components/schemas/Readings"}),
                of_one_ups=True,
            ),
            "/v1/ups/{id}/readings.csv": _get(
                "The same series as CSV",
                "readingsCsv",
                [_UPS_ID, *_WINDOW],
                _ok("CSV, one row per bucket", {"type": "string"}, "text/csv"),
                of_one_ups=True,
            ),
            "/v1/alarms": _get(
                "Alarm search, with the alarm history page's filters",
                "alarms",
                _ALARM_FILTERS,
                _ok(
                    "One page",
                    {
                        "type": "object",
                        "properties": {
                            "count": {"type": "integer"},
                            "count_capped": {"type": "boolean"},
                            "next": {"type": "string", "nullable": True},
                            "results": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Alarm"},
                            },
                        },
                    },
                ),
            ),
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "operationId": "openapi",
                    "security": [],
                    "responses": {"200": _ok("OpenAPI 3 document", {"type": "object"})},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API token."}
            },
            "responses": {
                "BadRequest": _ok(
                    "Invalid parameters",
                    {"type": "object", "properties": {"error": {"type": "string"}}},
                ),
                "Unauthorized": _ok(
                    "Missing, invalid or revoked token",
                    {"type": "object", "properties": {"error": {"type": "string"}}},
                ),
            },
            "schemas": SCHEMAS,
        },
    }


@require_GET
def document(request: HttpRequest) -> JsonResponse:
    """Public: it describes the API and holds no data."""
    return JsonResponse(build(), json_dumps_params={"indent": 1})
