"""Schemas for state documents: a JSON Schema dict (checked by the library, in every
language) or a pydantic model class (checked here, where pydantic is installed)."""
from __future__ import annotations

from typing import Any, Optional

from ._errors import FL_EVALIDATION, StateValidationError
from ._native import dumps


def is_pydantic_model(schema: Any) -> bool:
    return isinstance(schema, type) and (hasattr(schema, "model_validate")
                                         or hasattr(schema, "parse_obj"))


def schema_json(schema: Any) -> Optional[str]:
    """The JSON Schema text the library enforces, or None when it has none to enforce."""
    if schema is None or is_pydantic_model(schema):
        return None
    if not isinstance(schema, dict):
        raise TypeError("schema must be a JSON Schema dict or a pydantic model class, "
                        f"not {type(schema).__name__}")
    return dumps(schema)


def check_model(schema: Any, data: Any, operation: str, path: str) -> None:
    """Validates ``data`` against a pydantic model; raises StateValidationError."""
    if not is_pydantic_model(schema):
        return
    validate = getattr(schema, "model_validate", None) or schema.parse_obj
    try:
        validate(data)
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        raise StateValidationError(f"{operation} '{path}': schema validation failed: {exc}",
                                   FL_EVALIDATION, operation) from exc
