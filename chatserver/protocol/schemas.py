"""JSON Schemas for client-to-server payloads, validated with ``jsonschema``.

Unknown extra fields are ignored (forward compatibility); known fields must have the right type.
Limits that depend on settings (message length) are checked by the domain, not here.

Two rules are stricter than plain JSON Schema, because the values go on to the database:
an ``integer`` is a JSON integer (``5``, not ``5.0``, not ``true``), and no string in a known
field may contain NUL (U+0000), which PostgreSQL cannot store or compare.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, TypeChecker, validators
from jsonschema.exceptions import ValidationError, best_match

from chatserver.protocol import events
from chatserver.protocol.codes import ErrorCode
from chatserver.protocol.errors import ChatError

ID = {"type": "string", "minLength": 1, "maxLength": 64}
SEQ = {"type": "integer", "minimum": 0, "maximum": 2**53 - 1}
LIMIT = {"type": "integer", "minimum": 1, "maximum": 100}
NAME = {"type": "string", "minLength": 1, "maxLength": 100}
EMAIL = {"type": ["string", "null"], "maxLength": 254}

SCHEMAS: dict[str, dict[str, Any]] = {
    events.JOIN_ROOM: {
        "type": "object",
        "properties": {
            "businessId": ID,
            "roomId": ID,
            "userName": NAME,
            "email": EMAIL,
            "afterSeq": SEQ,
            "limit": LIMIT,
        },
    },
    events.SEND_MESSAGE: {
        "type": "object",
        "required": ["roomId", "content"],
        "properties": {
            "roomId": ID,
            "content": {"type": "string"},
            "clientMsgId": ID,
        },
    },
    events.HISTORY: {
        "type": "object",
        "required": ["roomId"],
        "properties": {
            "roomId": ID,
            "beforeSeq": SEQ,
            "afterSeq": SEQ,
            "limit": LIMIT,
        },
    },
    events.LEAVE_ROOM: {
        "type": "object",
        "required": ["roomId"],
        "properties": {"roomId": ID},
    },
    # staff workflow (issue 4)
    events.TYPING: {
        "type": "object",
        "required": ["roomId", "isTyping"],
        "properties": {"roomId": ID, "isTyping": {"type": "boolean"}},
    },
    events.READ: {
        "type": "object",
        "required": ["roomId", "seq"],
        "properties": {"roomId": ID, "seq": SEQ},
    },
    events.CLOSE_ROOM: {"type": "object", "required": ["roomId"], "properties": {"roomId": ID}},
    events.REOPEN_ROOM: {"type": "object", "required": ["roomId"], "properties": {"roomId": ID}},
    events.ASSIGN: {
        "type": "object",
        "required": ["roomId", "staffId"],
        "properties": {"roomId": ID, "staffId": {"type": ["string", "null"], "minLength": 1, "maxLength": 128}},
    },
    events.UPDATE_GUEST_INFO: {
        "type": "object",
        "properties": {
            "email": {"type": ["string", "null"], "maxLength": 254},
            "phone": {"type": ["string", "null"], "maxLength": 32},
            "userName": {"anyOf": [NAME, {"type": "null"}]},
        },
    },
}


def _is_integer(_checker: TypeChecker, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


# the stubs leave ``extend`` untyped; it returns a subclass of the validator it extends
StrictValidator: type[Draft202012Validator] = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
)

_VALIDATORS: dict[str, Draft202012Validator] = {}


def register_schema(event: str, schema: dict[str, Any]) -> None:
    """Add the schema of a new client event (used by feature modules as they define events)."""
    Draft202012Validator.check_schema(schema)
    SCHEMAS[event] = schema
    _VALIDATORS.pop(event, None)


def _validator(event: str) -> Draft202012Validator | None:
    validator = _VALIDATORS.get(event)
    if validator is None and event in SCHEMAS:
        validator = _VALIDATORS[event] = StrictValidator(SCHEMAS[event])
    return validator


def _field_of(error: ValidationError) -> str:
    required = error.validator_value
    if error.validator == "required" and isinstance(error.instance, dict) and isinstance(required, list):
        missing = [name for name in required if name not in error.instance]
        if missing:
            return str(missing[0])
    path = ".".join(str(part) for part in error.absolute_path)
    return path or "data"


def validate_payload(event: str, data: dict[str, Any]) -> None:
    """Raise ``invalid_payload`` naming the first bad field; events without a schema pass."""
    validator = _validator(event)
    if validator is None:
        return
    error = best_match(validator.iter_errors(data))
    if error is None:
        _reject_nul(SCHEMAS[event], data)
        return
    field = _field_of(error)
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{field}: {message}", field=field)


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


def _reject_nul(schema: dict[str, Any], data: dict[str, Any]) -> None:
    for name in schema.get("properties", {}):
        if name in data and _has_nul(data[name]):
            raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{name}: must not contain NUL (U+0000)", field=name)
