"""The Messages API client: model names, prices, streaming calls, retries, one-line errors.

`anthropic` is imported here only, and only when a client is made: it costs about a second.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
import typing
from collections.abc import Generator
from typing import Any

from ask_redis.events import ApiStreamEvent, Notice, TextDelta, Usage

log = logging.getLogger(__name__)
DEFAULT_BASE_URL = "https://api.anthropic.com"
ALIASES = ("opus", "sonnet", "haiku")
RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504, 529}

# US dollars per million tokens: (input, output). Cache writes cost 1.25x input, cache reads 0.1x input.
PRICES: list[tuple[str, tuple[float, float]]] = [
    ("claude-opus-4-1", (15.0, 75.0)),
    ("claude-opus-4-2", (15.0, 75.0)),
    ("claude-opus-4-0", (15.0, 75.0)),
    ("claude-opus-4-2025", (15.0, 75.0)),
    ("claude-opus", (5.0, 25.0)),
    ("claude-sonnet", (3.0, 15.0)),
    ("claude-haiku-3", (0.25, 1.25)),
    ("claude-haiku", (1.0, 5.0)),
]


class ModelError(Exception):
    """The API call failed for good; the message is one line for the user."""


def resolve_model(name: str) -> str:
    """An alias becomes the newest model of that family the installed SDK lists."""
    if name not in ALIASES:
        return name
    from anthropic.types import ModelParam

    known = [value for arg in typing.get_args(ModelParam) for value in typing.get_args(arg) if isinstance(value, str)]

    def version(model_id: str) -> tuple[int, ...]:
        parts = model_id.removeprefix(f"claude-{name}-").split("-")
        numbers = tuple(int(p) for p in parts if p.isdigit() and len(p) < 8)
        dated = any(len(p) == 8 for p in parts)
        return numbers + ((0,) if dated else (1,))  # an undated alias beats its dated snapshot

    family = [m for m in known if m.startswith(f"claude-{name}-") and re.fullmatch(r"claude-[a-z]+(-\d+)+", m)]
    if not family:
        raise ModelError(f"the installed anthropic SDK lists no {name} model; pass a model ID with --model")
    return max(family, key=version)


def cost_usd(model: str, usage: Usage) -> float:
    for prefix, (price_in, price_out) in PRICES:
        if model.startswith(prefix):
            tokens_in = usage.input_tokens + 1.25 * usage.cache_creation_input_tokens + 0.1 * usage.cache_read_input_tokens
            return round((tokens_in * price_in + usage.output_tokens * price_out) / 1_000_000, 6)
    return 0.0


def usage_of(message: Any) -> Usage:
    raw = message.usage
    return Usage(
        input_tokens=raw.input_tokens or 0,
        output_tokens=raw.output_tokens or 0,
        cache_creation_input_tokens=getattr(raw, "cache_creation_input_tokens", None) or 0,
        cache_read_input_tokens=getattr(raw, "cache_read_input_tokens", None) or 0,
    )


def encodable(value: Any) -> Any:
    """`value` with lone surrogates (valid JSON escapes such as "\\ud800", but not UTF-8) as U+FFFD, so it can be
    sent back and saved; the tool that was given them still refuses the original by name."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {encodable(key): encodable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [encodable(item) for item in value]
    return value


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def history_block(block: Any) -> dict[str, Any]:
    """A response content block as it is sent back in the history (only the fields the API takes)."""
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": encodable(block.input)}
    if block.type == "thinking":
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
    if block.type == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.data}
    return block.model_dump(mode="json", exclude_none=True)


def retry_delay(headers: Any, attempt: int) -> float:
    """Seconds to wait before retry `attempt` (1-based): the server's retry-after if given, else backoff."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name) if headers is not None else None
        if value is not None:
            try:
                return min(max(float(value) * scale, 0.0), 60.0)
            except ValueError:
                pass
    return min(0.5 * 2 ** (attempt - 1), 8.0) * random.uniform(0.8, 1.0)


# An `event: error` inside a 200 stream carries only its type: the status the same error has as an HTTP reply.
ERROR_TYPE_STATUS = {"invalid_request_error": 400, "authentication_error": 401, "permission_error": 403,
                     "not_found_error": 404, "request_too_large": 413, "rate_limit_error": 429, "api_error": 500,
                     "timeout_error": 504, "overloaded_error": 529}


def _error_body(error: Any) -> dict[str, Any]:
    body = getattr(error, "body", None)
    return body["error"] if isinstance(body, dict) and isinstance(body.get("error"), dict) else {}


def effective_status(error: Any) -> int | None:
    """The HTTP status of a failed call; for an error event in a stream, the status its error type stands for."""
    status = getattr(error, "status_code", None)
    if status is not None and 200 <= status < 300:
        return ERROR_TYPE_STATUS.get(_error_body(error).get("type"), 500)
    return status


def describe(error: Exception) -> str:
    """One line for the user; never the key, never a traceback."""
    import anthropic

    if isinstance(error, anthropic.APIStatusError):
        detail = str(_error_body(error).get("message", ""))
        hints = {
            401: "the API key was rejected; check ANTHROPIC_API_KEY",
            403: "the API key may not use this model or resource",
            404: "not found; check --model and ANTHROPIC_BASE_URL",
            413: "the request is too large",
            429: "rate limited",
            529: "the API is overloaded",
        }
        status = effective_status(error)
        hint = hints.get(status, "the API returned an error")
        if status != error.status_code:  # an error event inside the answer stream
            where = f"{_error_body(error).get('type') or 'error'} event in the answer stream"
        else:
            where = f"HTTP {error.status_code}"
        return f"{hint} ({where}{': ' + detail if detail else ''})"
    if isinstance(error, anthropic.APITimeoutError):
        return "the API did not answer in time (raise timeout in the config)"
    if isinstance(error, anthropic.APIConnectionError):
        cause = error.__cause__ or error
        return f"cannot reach the API: {type(cause).__name__}: {cause}".rstrip(": ")
    return f"{type(error).__name__}: {error}"


class StreamIncomplete(Exception):
    """The answer stream ended (cleanly, as far as the connection goes) before its message_stop."""


def _read_lone_surrogates_in_streamed_tool_input() -> None:
    """The SDK parses streamed tool input with jiter, which refuses a lone surrogate escape ("\\ud800") that is
    valid JSON and that the standard parser reads: without this the whole answer is lost as unreadable, instead
    of the tool refusing that one input by name. jiter is tried first, so nothing else changes."""
    import jiter

    strict = jiter.from_json
    if getattr(strict, "reads_lone_surrogates", False):
        return

    def from_json(data: bytes, *args: Any, partial_mode: Any = False, **kwargs: Any) -> Any:
        try:
            return strict(data, *args, partial_mode=partial_mode, **kwargs)
        except ValueError:
            try:
                return json.loads(data)
            except ValueError:
                if partial_mode:
                    return {}  # the rest of the input is on its way; the whole of it is parsed again then
                raise

    from_json.reads_lone_surrogates = True  # type: ignore[attr-defined]
    jiter.from_json = from_json


class ModelClient:
    def __init__(self, settings: Any, http_client: Any = None):
        import anthropic

        _read_lone_surrogates_in_streamed_tool_input()

        self.model = resolve_model(settings.model)
        self.max_tokens = settings.max_tokens
        self.stream_answers = settings.stream
        self.relay_stream_events = False  # set by a front-end that prints the API's own stream events
        self.max_retries = settings.max_retries
        self._anthropic = anthropic
        self._key = settings.api_key.get_secret_value() if settings.api_key else None
        self._client = anthropic.Anthropic(
            api_key=settings.api_key.get_secret_value() if settings.api_key else None,
            base_url=settings.base_url or DEFAULT_BASE_URL,  # never the SDK's own read of an empty ANTHROPIC_BASE_URL
            max_retries=0,  # retries are ours, so the user is told about each one
            timeout=settings.timeout,
            http_client=http_client,
        )

    def _say(self, message: str) -> str:
        """An error message as shown: a server or proxy may echo the key back, in any format."""
        from ask_redis.redact import redact

        if self._key:
            message = message.replace(self._key, "[REDACTED]")
        return redact(message)

    def call(self, body: dict[str, Any]) -> Generator[TextDelta | Notice, None, Any]:
        """One API call: yields text as it streams and notices of retries; returns the final Message.

        A stream that breaks (cut body, reset, a retryable error event) is retried like a failed request, with
        the same budget; what it had sent is dropped, so nothing of it reaches the history.
        """
        import httpx2

        anthropic = self._anthropic
        for attempt in range(1, self.max_retries + 2):
            streamed = False
            try:
                if not self.stream_answers:
                    message = self._client.messages.create(**body)
                    if not isinstance(message, anthropic.types.Message):
                        raise TypeError(f"a {type(message).__name__} body instead of a message")
                    for block in message.content:
                        if block.type == "text":
                            yield TextDelta(text=block.text)
                    return message
                with self._client.messages.stream(**body) as stream:
                    for event in stream:
                        if event.type == "text":
                            streamed = True
                            yield TextDelta(text=event.text)
                        elif self.relay_stream_events and event.type in RAW_STREAM_EVENTS:
                            yield ApiStreamEvent(event=raw_stream_event(event))
                    message = stream.get_final_message()
                if message.stop_reason is None:
                    raise StreamIncomplete("the stream ended before its message_stop event")
                return message
            except (anthropic.APIStatusError, anthropic.APIConnectionError, httpx2.TransportError, StreamIncomplete) as error:
                status = effective_status(error)
                retryable = status in RETRYABLE_STATUS or status is None
                said = self._say(describe(error) if isinstance(error, anthropic.APIError) else _short(error))
                if not isinstance(error, (anthropic.APIError, httpx2.TimeoutException)):  # raised while reading the body
                    said = f"the answer stream broke midway ({said})"
                if not retryable or attempt > self.max_retries:
                    if streamed:
                        said += "; the text above is incomplete"
                    raise ModelError(said) from None
                delay = retry_delay(getattr(getattr(error, "response", None), "headers", None), attempt)
                abandoned = "; the partial answer above is abandoned" if streamed else ""
                yield Notice(message=f"{said}{abandoned}; retrying in {delay:.1f} s ({attempt}/{self.max_retries})",
                             retry_attempt=attempt, max_retries=self.max_retries, retry_delay_ms=int(delay * 1000),
                             error_status=status)
                time.sleep(delay)
            except anthropic.APIError as error:
                raise ModelError(self._say(describe(error))) from None
            except Exception as error:  # an HTML page, broken JSON or events, another service behind the base URL
                log.debug("unreadable API reply", exc_info=True)
                what = self._say(f"{type(error).__name__}: {error}".rstrip(": "))[:200]
                if streamed:
                    raise ModelError(f"the answer stream broke midway ({what}); the text above is incomplete") from None
                raise ModelError(f"the API sent a reply that is not a Messages API response ({what}); "
                                 "check ANTHROPIC_BASE_URL") from None
        raise AssertionError("unreachable")


RAW_STREAM_EVENTS = {"message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta",
                     "message_stop"}


def raw_stream_event(event: Any) -> dict[str, Any]:
    """The event as the API sent it: the SDK adds the accumulated block or message to its stop events."""
    return event.model_dump(mode="json", exclude={"content_block", "message"} if event.type.endswith("_stop") else None,
                            exclude_unset=True)


def _short(error: Exception) -> str:
    import httpx2

    if isinstance(error, httpx2.TimeoutException):  # a stream that stalls after its headers
        return "the API did not answer in time (raise timeout in the config)"
    if isinstance(error, StreamIncomplete):
        return str(error)
    text = str(error) or type(error).__name__
    return f"connection error: {text}"
