"""Value types of the configuration, and the wording of its problems.

Each type is an ``Annotated`` pydantic type whose validator raises ``problem(message)``,
so the message shown to the user is exactly ours (``'jane@' is not an email address``).
Pydantic's own errors (missing keys, wrong TOML types, unknown keys) are reworded by
``describe``; ``format_loc`` spells key paths (``clients[2].emails[0]``).

Rule: a message may quote the offending value, except for a password field, whose
messages only name its TOML type. Pure: no I/O beyond ``zoneinfo``'s tz database.
"""

from __future__ import annotations

import difflib
import email.utils
import functools
import json
import re
import shlex
import types
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import holidays
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from ghostwatch.config.timezones import suggest_timezone as suggest_timezone  # re-exported
from ghostwatch.config.timezones import timezone_problem as timezone_problem  # re-exported
from ghostwatch.core import domain
from ghostwatch.core.durations import format_duration, parse_clock, parse_duration, parse_window

PROBLEM = "ghostwatch"  # the pydantic error type of every problem() error


class FrozenModel(BaseModel):
    """Base of every configuration model: immutable, unknown keys refused, and pydantic
    never copies input values (which may be passwords) into its error text."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


def problem(message: str) -> PydanticCustomError:
    """A validation error whose text is exactly ``message``."""
    return PydanticCustomError(PROBLEM, "{message}", {"message": message})


def toml_type(value: object) -> str:
    """Name ``value``'s TOML type with an article: ``an integer``, ``a table``..."""
    for kind, name in _TOML_TYPES:
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"


_TOML_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a float"),
    (str, "a string"),
    (datetime, "a date-time"),
    (date, "a date"),
    (time, "a time"),
    (list, "an array"),
    (dict, "a table"),
)


def _via(parse: Callable[[str], Any]) -> Callable[[object], Any]:
    """Wrap ``parse(str)`` (raising ValueError) as a validator that demands a string."""

    def validate(value: object) -> Any:
        if not isinstance(value, str):
            raise problem(f"expected a string, got {toml_type(value)}")
        try:
            return parse(value)
        except ValueError as exc:
            raise problem(str(exc)) from None

    return validate


def _is_domain(text: str) -> bool:
    labels = text.split(".")
    return len(labels) >= 2 and all(
        0 < len(label) <= 63
        and not label.startswith("-")
        and not label.endswith("-")
        and all(ch.isalnum() or ch == "-" for ch in label)
        for label in labels
    )


def is_email(value: str) -> bool:
    """True when ``value`` is one bare address (``me@example.com``), as the config wants."""
    _, parsed = email.utils.parseaddr(value)
    local, _, host = parsed.rpartition("@")
    return parsed == value and value.count("@") == 1 and bool(local) and _is_domain(host)


def _check_email(value: str) -> str:
    if not is_email(value):
        raise problem(f"{value!r} is not an email address")
    return value


def _check_domain(value: str) -> str:
    if not _is_domain(value):
        raise problem(f"{value!r} is not a domain name (like 'acme.example')")
    return value.lower()


def _check_timezone(value: str) -> str:
    wrong = timezone_problem(value)
    if wrong is not None:
        raise problem(wrong)
    return value


@functools.cache
def _countries() -> dict[str, tuple[str, ...]]:
    """Country code -> its subdivision codes, as the ``holidays`` package knows them."""
    return {c: tuple(s) for c, s in holidays.list_supported_countries().items()}


def split_country(code: str) -> tuple[str, str | None]:
    """``"DE-BY"`` -> ``("DE", "BY")``; ``"GE"`` -> ``("GE", None)``."""
    country, _, subdivision = code.partition("-")
    return country, subdivision or None


def _check_country(value: str) -> str:
    """A country (``GE``) or a country and one of its subdivisions (``DE-BY``, ``US-CA``);
    return it in the ``holidays`` package's own spelling."""
    if not value.strip():
        return ""
    country, subdivision = split_country(value.strip().upper())
    known = _countries()
    if country not in known:
        raise problem(f"unknown country code {value!r} (use one the holidays package knows)")
    if subdivision is None:
        return country
    subdivisions = {s.upper(): s for s in known[country]}
    if subdivision not in subdivisions:
        listed = ", ".join(known[country]) or "none"
        raise problem(f"{country} has no subdivision {subdivision!r} (known: {listed})")
    return f"{country}-{subdivisions[subdivision]}"


def _pattern(text: str, what: str, example: str) -> Callable[[str], str]:
    regex = re.compile(text)

    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise problem(f"{value!r} is not {what} ({example})")
        return value

    return check


def _compile(value: str) -> re.Pattern[str]:
    try:
        return re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None


def _iso_date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise problem(f"expected a date like 2026-12-01, got {toml_type(value)}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise problem(f"{value!r} is not a date (write it as YYYY-MM-DD)") from None


def _to_text(value: object) -> object:
    """Let numbers stand for text (``amount = 800``, ``number = 14``)."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise problem("must be longer than zero")
    return value


def _split_command(value: object) -> object:
    if isinstance(value, str):
        try:
            value = shlex.split(value)
        except ValueError as exc:
            raise problem(f"cannot split the command into words: {exc}") from None
    if isinstance(value, list | tuple) and not value:
        raise problem("must name a program to run")
    return value


def _config_path(value: object, info: ValidationInfo) -> Path:
    if not isinstance(value, str | Path) or not str(value).strip():
        raise problem("expected a file path")
    path = Path(str(value).strip()).expanduser()
    base = (info.context or {}).get("base_dir")
    return path if path.is_absolute() or base is None else Path(base) / path


def _window(value: object) -> domain.SendWindow:
    if isinstance(value, domain.SendWindow):
        return value
    start, end = _via(parse_window)(value)
    return domain.SendWindow(start, end)


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Email = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_email)]
Domain = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_domain)]
TimeZone = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_timezone)]
Country = Annotated[str, AfterValidator(_check_country)]
Language = Annotated[
    str,
    AfterValidator(
        _pattern(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", "a language code", "like 'en', 'ka', 'th'")
    ),
]
TemplateName = Annotated[
    str,
    AfterValidator(
        _pattern(r"[A-Za-z0-9_]+(-[A-Za-z0-9_]+)*", "a template name", "letters, digits, _ and -")
    ),
]
AccountName = Annotated[
    str,
    AfterValidator(
        _pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]*", "an account name", "letters, digits, _ . -")
    ),
]
Regex = Annotated[
    re.Pattern[str], PlainValidator(_via(_compile)), PlainSerializer(lambda p: p.pattern)
]
Duration = Annotated[
    timedelta,
    PlainValidator(lambda v: v if isinstance(v, timedelta) else _via(parse_duration)(v)),
    PlainSerializer(format_duration, return_type=str),
]
PositiveDuration = Annotated[Duration, AfterValidator(_positive)]
Clock = Annotated[
    time,
    PlainValidator(lambda v: v if isinstance(v, time) else _via(parse_clock)(v)),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
]
Window = Annotated[
    domain.SendWindow,
    PlainValidator(_window),
    PlainSerializer(lambda w: f"{w.start:%H:%M}-{w.end:%H:%M}", return_type=str),
]
IsoDate = Annotated[
    date,
    PlainValidator(_iso_date),
    PlainSerializer(date.isoformat, return_type=str, when_used="json"),
]
TextOrNumber = Annotated[str, BeforeValidator(_to_text)]
Command = Annotated[tuple[str, ...], BeforeValidator(_split_command)]
ConfigPath = Annotated[Path, PlainValidator(_config_path)]
OptionalPath = Annotated[ConfigPath | None, BeforeValidator(lambda v: None if v == "" else v)]
Label = Annotated[Text, BeforeValidator(_to_text)]
OptionalEmail = Annotated[Email | None, BeforeValidator(lambda v: None if v == "" else v)]


# --- our wording for pydantic's errors ----------------------------------------------------


_TOML_AT = re.compile(r"(?P<message>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$", re.S)


def toml_position(text: str) -> str:
    """``"Invalid value (at line 2, column 5)"`` -> ``"line 2, column 5: invalid value"``."""
    match = _TOML_AT.match(text)
    if match is None:
        return text.replace(" (at end of document)", " at the end of the file")
    return f"line {match['line']}, column {match['column']}: {match['message']}"


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "an array",
    "tuple_type": "an array",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dict_type": "a table",
}


def describe(error: ErrorDetails, root: type[BaseModel]) -> str:
    """Our wording for one pydantic ``error`` met while validating ``root``.

    Never quotes the input of a field that might hold a secret (only its TOML type).
    """
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == PROBLEM:
        return str(ctx["message"])
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return _unknown_key(root, error["loc"])
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {toml_type(error['input'])}"
    if kind == "literal_error":
        got = error["input"]
        shown = repr(got) if isinstance(got, str) else toml_type(got)
        return f"expected {ctx['expected']}, got {shown}"
    if kind in ("too_short", "string_too_short"):
        return "must not be empty"
    bounds = {
        "greater_than_equal": "at least",
        "less_than_equal": "at most",
        "greater_than": "more than",
        "less_than": "less than",
    }
    if kind in bounds:
        return f"must be {bounds[kind]} {next(iter(ctx.values()))}"
    if kind == "value_error":  # our own validators' words, without pydantic's prefix
        return str(ctx.get("error", error["msg"]))
    text = error["msg"]
    return text[:1].lower() + text[1:]


def _unknown_key(root: type[BaseModel], loc: Sequence[str | int]) -> str:
    model = _model_at(root, loc[:-1])
    known = [f.alias or name for name, f in model.model_fields.items()] if model else []
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    return f"unknown key (did you mean {close[0]!r}?)" if close else "unknown key"


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """Return the model class that validates the table at ``loc``, or None."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            current = next(iter(get_args(current)), None)
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        fields = {f.alias or name: f for name, f in current.model_fields.items()}
        if part not in fields:
            return None
        current = fields[part].annotation
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to X."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_loc(loc: Sequence[str | int]) -> str:
    """``("clients", 2, "emails", 0)`` -> ``"clients[2].emails[0]"``; odd keys are quoted."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            text += f".{key}" if text else key
    return text or "(top level)"
