"""JSON Schemas for client-to-server payloads, validated with ``jsonschema``.

Unknown extra fields are ignored (forward compatibility); known fields must have the right type.
Limits that depend on settings (message length) are checked by the domain, not here.

Two rules are stricter than plain JSON Schema, because the values go on to the database:
an ``integer`` is a JSON integer (``5``, not ``5.0``, not ``true``), and no string in a known
field may contain NUL (U+0000), which PostgreSQL cannot store or compare.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from jsonschema import Draft202012Validator, TypeChecker, validators
from jsonschema.exceptions import ValidationError, best_match

from chatserver.protocol import events
from chatserver.protocol.codes import ErrorCode
from chatserver.protocol.errors import ChatError

ID = {"type": "string", "minLength": 1, "maxLength": 64}
SEQ = {"type": "integer", "minimum": 0, "maximum": 2**53 - 1}
LIMIT = {"type": "integer", "minimum": 1, "maximum": 100}
NAME = {"type": "string", "minLength": 1, "maxLength": 100}
# visitor details: the same schema wherever a client gives them (join-room, update-guest-info);
# the syntax (email-validator, an international number) is checked by the use case, also the same
EMAIL = {"type": ["string", "null"], "maxLength": 254}
PHONE = {"type": ["string", "null"], "maxLength": 32}

SCHEMAS: dict[str, dict[str, Any]] = {
    events.JOIN_ROOM: {
        "type": "object",
        "properties": {
            "businessId": ID,
            "roomId": ID,
            "userName": NAME,
            "email": EMAIL,
            "phone": PHONE,
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
            "email": EMAIL,
            "phone": PHONE,
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
_QUICK: dict[str, Check | None] = {}


def register_schema(event: str, schema: dict[str, Any]) -> None:
    """Add the schema of a new client event (used by feature modules as they define events)."""
    Draft202012Validator.check_schema(schema)
    SCHEMAS[event] = schema
    _VALIDATORS.pop(event, None)
    _QUICK.pop(event, None)


# The quick check: each schema compiled once into nested closures that only answer "valid or
# not". A valid payload (nearly every frame) is settled by it; anything else goes to jsonschema,
# which names the field and words the error as before. It knows the few keywords the schemas
# above use; a schema with any other keyword is left to jsonschema entirely. That it accepts
# exactly what jsonschema accepts is tested against jsonschema itself (tests/protocol).
Check = Callable[[Any], bool]
_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
}
_KNOWN = frozenset({"type", "minLength", "maxLength", "minimum", "maximum", "properties", "required", "anyOf"})


def _quick(event: str) -> Check | None:
    if event not in _QUICK:
        _QUICK[event] = _compile(SCHEMAS[event]) if event in SCHEMAS else None
    return _QUICK[event]


def _compile(schema: dict[str, Any]) -> Check | None:
    if not _KNOWN.issuperset(schema):
        return None
    checks: list[Check] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not all(name in _TYPES for name in names):
            return None
        types = [_TYPES[name] for name in names]
        checks.append(lambda v: any(is_type(v) for is_type in types))
    if "minLength" in schema:
        low = schema["minLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) >= low)
    if "maxLength" in schema:
        high = schema["maxLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) <= high)
    if "minimum" in schema:
        least = schema["minimum"]
        checks.append(lambda v: not _is_number(v) or v >= least)
    if "maximum" in schema:
        most = schema["maximum"]
        checks.append(lambda v: not _is_number(v) or v <= most)
    if "required" in schema:
        required = tuple(schema["required"])
        checks.append(lambda v: not isinstance(v, dict) or all(name in v for name in required))
    if "properties" in schema:
        properties: dict[str, Check] = {}
        for name, sub in schema["properties"].items():
            check = _compile(sub)
            if check is None:
                return None
            properties[name] = check
        checks.append(
            lambda v: not isinstance(v, dict) or all(check(v[name]) for name, check in properties.items() if name in v)
        )
    if "anyOf" in schema:
        options = [_compile(sub) for sub in schema["anyOf"]]
        if any(option is None for option in options):
            return None
        alternatives = cast(list[Check], options)
        checks.append(lambda v: any(option(v) for option in alternatives))
    return lambda v: all(check(v) for check in checks)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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
    quick = _quick(event)
    if quick is not None and quick(data):
        _reject_nul(SCHEMAS[event], data)
        return
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
