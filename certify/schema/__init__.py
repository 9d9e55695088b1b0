"""The published JSON schemas (package data, shipped with certify):

- `check.schema.json`: the output of `certify check --format json` (always a list, one item per rule file);
- `certificate.schema.json`: the certificates `certify prove` writes (certify/output/certificate/fields.py).

    from certify.schema import check_schema, validate_check_json
    validate_check_json(json.loads(output))      # raises jsonschema.ValidationError on a mismatch
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHECK_SCHEMA_FILE = HERE / "check.schema.json"
CERTIFICATE_SCHEMA_FILE = HERE / "certificate.schema.json"


@lru_cache(maxsize=None)
def check_schema() -> dict[str, Any]:
    """The schema of `certify check --format json` (JSON Schema draft 2020-12)."""
    return json.loads(CHECK_SCHEMA_FILE.read_text(encoding="utf-8"))


def validate_check_json(items: Any) -> None:
    """Raise jsonschema.ValidationError unless `items` (parsed JSON) follows check.schema.json."""
    # deferred: jsonschema is loaded only when this runs
    import jsonschema
    jsonschema.Draft202012Validator(check_schema()).validate(items)


__all__ = ["check_schema", "validate_check_json", "CHECK_SCHEMA_FILE", "CERTIFICATE_SCHEMA_FILE"]
