"""JSON Schemas for client-to-server payloads, validated with ``jsonschema``.

Unknown extra fields are ignored (forward compatibility); known fields must have the right type.
Limits that depend on settings (message length) are checked by the domain, not here.

Two rules are stricter than plain JSON Schema, because the values go on to the database:
an ``integer`` is a JSON integer (``5``, not ``5.0``, not ``true``), and no string in a known
field may contain NUL (U+0000), which PostgreSQL cannot store or compare.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Annotated, Any

import msgspec
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
            "locale": {"type": "string", "minLength": 2, "maxLength": 35},
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
    # the visitor's page (issue 17): the URL's form (absolute http/https) is the use case's check
    events.PAGE_VIEW: {
        "type": "object",
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "minLength": 1, "maxLength": 2048},
            "title": {"type": "string", "maxLength": 200},
            "roomId": ID,
        },
    },
    # satisfaction rating (issue 17): that the room is closed and the caller's is the use case's check
    events.RATE: {
        "type": "object",
        "required": ["roomId", "score"],
        "properties": {
            "roomId": ID,
            "score": {"type": "integer", "minimum": 1, "maximum": 5},
            "comment": {"type": ["string", "null"], "maxLength": 1000},
        },
    },
    events.PRESENCE: {"type": "object", "required": ["businessId"], "properties": {"businessId": ID}},
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


# The quick check: each schema compiled once into a msgspec type, against which a payload is
# converted in one C call to answer "valid or not". A valid payload (nearly every frame) is
# settled by it; anything else goes to jsonschema, which names the field and words the error as
# before. It knows the few keywords the schemas above use; a schema with any other keyword is
# left to jsonschema entirely. That it accepts exactly what jsonschema accepts is tested against
# jsonschema itself (tests/protocol).
Check = Callable[[Any], bool]
_KNOWN = frozenset({"type", "minLength", "maxLength", "minimum", "maximum", "properties", "required", "anyOf"})


def _quick(event: str) -> Check | None:
    if event not in _QUICK:
        _QUICK[event] = _compile(SCHEMAS[event]) if event in SCHEMAS else None
    return _QUICK[event]


def _compile(schema: dict[str, Any]) -> Check | None:
    shape = _shape(schema, [0])
    if shape is None:
        return None
    try:
        msgspec.convert({}, shape)  # msgspec refuses a type it cannot check (TypeError) here, once
    except msgspec.ValidationError:
        pass
    except TypeError:
        return None

    def check(value: Any) -> bool:
        try:
            msgspec.convert(value, shape)
        except msgspec.ValidationError:
            return False
        return True

    return check


def _shape(schema: dict[str, Any], counter: list[int]) -> Any:
    """The msgspec type accepting what ``schema`` accepts, or None when it has no such type."""
    if not _KNOWN.issuperset(schema):
        return None
    if "anyOf" in schema:
        if len(schema) != 1:
            return None
        options = [_shape(sub, counter) for sub in schema["anyOf"]]
        return None if any(option is None for option in options) else _union(options)
    if "type" not in schema:
        return None
    names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    options = [_typed(name, schema, counter) for name in names]
    return None if any(option is None for option in options) else _union(options)


def _typed(name: str, schema: dict[str, Any], counter: list[int]) -> Any:
    if name == "null":
        return type(None)
    if name == "boolean":
        return bool
    if name == "string":
        lengths = {"min_length": schema.get("minLength"), "max_length": schema.get("maxLength")}
        return _constrained(str, lengths)
    if name == "integer":  # a JSON integer: msgspec refuses a bool or a float for ``int``, as the schema does
        return _constrained(int, {"ge": schema.get("minimum"), "le": schema.get("maximum")})
    if name == "object":
        return _struct(schema, counter)
    return None


def _constrained(base: type, limits: dict[str, Any]) -> Any:
    given = {key: value for key, value in limits.items() if value is not None}
    return Annotated[base, msgspec.Meta(**given)] if given else base


def _struct(schema: dict[str, Any], counter: list[int]) -> Any:
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    if not required.issubset(properties):
        return None  # a required name without a schema: left to jsonschema
    fields: list[tuple[str, Any, Any]] = []
    for i, (name, sub) in enumerate(properties.items()):
        shape = _shape(sub, counter)
        if shape is None:
            return None
        default = msgspec.NODEFAULT if name in required else msgspec.UNSET
        fields.append((f"f{i}", shape, msgspec.field(default=default, name=name)))
    counter[0] += 1
    return msgspec.defstruct(f"Payload{counter[0]}", fields, kw_only=True)  # unknown names are ignored


def _union(options: list[Any]) -> Any:
    return functools.reduce(operator.or_, options)


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
