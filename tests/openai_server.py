"""A fake OpenAI-compatible model server (vLLM, llama-server) for tests: the part of the API
that Terrain calls.

``/v1/chat/completions`` whole (after the time the answer takes to generate, as a real server)
or streamed (server-sent events; the usage in a last event when ``stream_options.include_usage``
asks for it), with ``response_format`` ``json_schema``; ``/v1/embeddings`` (floats or
base64); ``/v1/models`` for ``terrain doctor``. Errors have vLLM's shape (``{"error":
{"message", "type", "code"}}``; an unknown model is a 404 saying "The model `x` does not
exist."). With ``api_key`` set, a request without
``Authorization: Bearer <key>`` is a 401, as with ``vllm serve --api-key``.

The scripting is the fake Ollama's (:class:`~tests.ollama_server.OllamaTestServer`, which this
class extends): :meth:`queue`, :meth:`respond_with`, :meth:`classify_with`, :meth:`fail_next`,
the pacing and the records. Responders and the classifier receive the request in Ollama's shape
(the schema under ``format``), so that every script written for the fake Ollama drives this
server unchanged; :attr:`requests` keeps the bodies as they were sent. A :class:`Reply` with
``reasoning`` is sent as ``reasoning_content`` before the answer, as vLLM does with a
reasoning parser.

By hand, as a stand-in for ``vllm serve``::

    .venv/bin/python -m tests.openai_server --port 8000
"""

from __future__ import annotations

import argparse
import base64
import json
import struct
import time
import uuid
from dataclasses import replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, cast

from tests.ollama_server import (
    Fault,
    OllamaTestServer,
    Reply,
    _Handler,
    _HTTPServer,
    compromised_responder,
    split_tokens,
)

__all__ = ["OpenAITestServer", "ollama_view"]

_CREATED = 1_764_000_000


def ollama_view(body: dict[str, Any]) -> dict[str, Any]:
    """The request as responders written for the fake Ollama read it: the JSON schema of
    ``response_format`` under ``format``."""
    view = {key: value for key, value in body.items() if key != "response_format"}
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        if isinstance(schema, dict):
            view["format"] = schema
    return view


class OpenAITestServer(OllamaTestServer):
    """A scriptable OpenAI-compatible server on a background thread; see the module docstring."""

    CHAT_PATH = "/v1/chat/completions"
    EMBED_PATH = "/v1/embeddings"
    thread_name = "openai-test-server"

    def __init__(self, *, api_key: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.api_key = api_key

    def __enter__(self) -> OpenAITestServer:
        self.start()
        return self

    def start(self) -> OpenAITestServer:
        super().start()
        return self

    @property
    def base_url(self) -> str:
        """What ``TERRAIN_OPENAI_BASE_URL`` is set to."""
        return f"{self.url}/v1"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _OpenAIHandler


class _OpenAIHandler(_Handler):
    server_version = "openai-test-server"

    @property
    def owner(self) -> OpenAITestServer:
        return cast(OpenAITestServer, cast(_HTTPServer, self.server).owner)

    def _routes(self) -> dict[tuple[str, str], Any]:
        routes = {
            ("GET", "/v1/models"): self._models,
            ("POST", "/v1/chat/completions"): self._completions,
            ("POST", "/v1/embeddings"): self._embeddings,
        }
        key = self.owner.api_key
        if key is not None and self.headers.get("Authorization") != f"Bearer {key}":
            return {route: self._unauthorized for route in routes}
        return routes

    def _unauthorized(self, _body: dict[str, Any]) -> None:
        self._send_openai_error(HTTPStatus.UNAUTHORIZED, "Unauthorized", "AuthenticationError")

    def _send_error(self, status: int, message: str) -> None:
        self._send_openai_error(status, message, HTTPStatus(status).phrase.replace(" ", ""))

    def _send_openai_error(self, status: int, message: str, kind: str) -> None:
        self._send_json({"error": {"message": message, "type": kind, "code": status}}, status)

    def _model_not_found(self, model: str) -> None:
        self._send_openai_error(
            HTTPStatus.NOT_FOUND, f"The model `{model}` does not exist.", "NotFoundError"
        )

    # -- /v1/models --------------------------------------------------------------------------

    def _models(self, _body: dict[str, Any]) -> None:
        data = [
            {"id": name, "object": "model", "created": _CREATED, "owned_by": "test"}
            for name in sorted(self.owner.models)
        ]
        self._send_json({"object": "list", "data": data})

    # -- /v1/chat/completions ----------------------------------------------------------------

    def _completions(self, body: dict[str, Any]) -> None:
        model = str(body.get("model") or "")
        if not model:
            self._send_error(HTTPStatus.BAD_REQUEST, "model is required")
            return
        view = ollama_view(body)
        verdict = self.owner._safety_reply(view)
        if verdict is not None:
            if self.owner.has_model(model):
                self._answer(body, verdict)
            else:
                self._model_not_found(model)
            return
        fault = self.owner._take_fault()
        if fault is None and not self.owner.has_model(model):
            self._model_not_found(model)
            return
        if fault is not None and self._refuse(fault, model):
            return
        reply = self.owner._next_reply(view)
        if fault is not None:
            reply = replace(reply, fault=fault)
        self._answer(body, reply)

    def _answer(self, body: dict[str, Any], reply: Reply) -> None:
        if reply.fault is not None and self._refuse(reply.fault, str(body["model"])):
            return
        if body.get("stream"):
            self._stream(body, reply)
        else:
            self._whole(body, reply)

    def _whole(self, body: dict[str, Any], reply: Reply) -> None:
        # Silent while the whole answer is generated, as a real server: the time to the first
        # token, then each next one (the reasoning's and the answer's).
        owner = self.owner
        owner.pause(owner.time_to_first_token)
        first_at = owner.clock()
        tokens = len(split_tokens(reply.reasoning)) + len(split_tokens(reply.content))
        if owner.tokens_per_second and tokens > 1:
            owner.pause(first_at + (tokens - 1) / owner.tokens_per_second - owner.clock())
        if reply.fault is Fault.DROP_MID_STREAM:
            self._drop()
        if reply.fault is Fault.MALFORMED_JSON:
            self._send_bytes(HTTPStatus.OK, b'{"id": "chatcmpl-x", "choi', "application/json")
            return
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
        if reply.reasoning:
            message["reasoning_content"] = reply.reasoning
        self._send_json(
            {
                **_head(body, "chat.completion"),
                "choices": [
                    {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
                ],
                "usage": _usage(body, reply),
            }
        )

    def _stream(self, body: dict[str, Any], reply: Reply) -> None:
        head = _head(body, "chat.completion.chunk")
        pieces = split_tokens(reply.content)
        if reply.fault is Fault.DROP_MID_STREAM:
            pieces = pieces[: len(pieces) // 2]
        elif reply.fault is Fault.MALFORMED_JSON:
            pieces = pieces[:1]
        self._responding = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        owner = self.owner
        owner.pause(owner.time_to_first_token)
        first_at = owner.clock()
        tps = owner.tokens_per_second
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        deltas += [{"reasoning_content": piece} for piece in split_tokens(reply.reasoning)]
        deltas += [{"content": piece} for piece in pieces]
        for number, delta in enumerate(deltas):
            if tps and number:
                owner.pause(first_at + number / tps - owner.clock())
            self._event({**head, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        if reply.fault is Fault.DROP_MID_STREAM:
            self._drop()
        if reply.fault is Fault.MALFORMED_JSON:
            self._write_chunk(b'data: {"id": "chatcmpl-x", "choices": [\n\n')
            self._end_stream()
            return
        self._event({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            self._event({**head, "choices": [], "usage": _usage(body, reply)})
        self._write_chunk(b"data: [DONE]\n\n")
        self._end_stream()

    def _event(self, payload: dict[str, Any]) -> None:
        self._write_chunk(b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n")

    # -- /v1/embeddings ----------------------------------------------------------------------

    def _embeddings(self, body: dict[str, Any]) -> None:
        model = str(body.get("model") or "")
        if self._embedding_refused(model):
            return
        raw_input = body.get("input", [])
        texts: list[Any] = [raw_input] if isinstance(raw_input, str) else list(raw_input)
        if not all(isinstance(text, str) for text in texts):
            # Token arrays: what OpenAIEmbeddings sends unless check_embedding_ctx_length=False.
            self._send_error(HTTPStatus.BAD_REQUEST, "input must be text, not token ids")
            return
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector = self.owner.embed(text)
            encoded: Any = (
                base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
                if as_base64
                else vector
            )
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        self.owner._count_embedded(len(texts))
        words = sum(len(text.split()) for text in texts)
        self._send_json(
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": words, "total_tokens": words},
            }
        )


def _head(body: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": kind,
        "created": int(time.time()),
        "model": str(body.get("model") or ""),
    }


def _usage(body: dict[str, Any], reply: Reply) -> dict[str, int]:
    prompt = max(
        1,
        sum(
            len(str(message.get("content") or "").split())
            for message in body.get("messages") or []
            if isinstance(message, dict)
        ),
    )
    completion = len(split_tokens(reply.reasoning)) + len(split_tokens(reply.content))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake OpenAI-compatible model server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--ttft", type=float, default=0.0, help="seconds before the first token")
    parser.add_argument("--tps", type=float, default=None, help="tokens per second")
    parser.add_argument(
        "--models", nargs="+", default=["mistral-small3.2", "bge-m3"], help="served models"
    )
    parser.add_argument("--embed-dim", type=int, default=256)
    parser.add_argument("--api-key", default=None, help="require this key, as --api-key does")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    parser.add_argument(
        "--compromised",
        action="store_true",
        help="answer as a jailbroken model that obeys every injection",
    )
    args = parser.parse_args(argv)
    server = OpenAITestServer(
        host=args.host,
        port=args.port,
        models=args.models,
        embed_dim=args.embed_dim,
        time_to_first_token=args.ttft,
        tokens_per_second=args.tps,
        verbose=not args.quiet,
        api_key=args.api_key,
    )
    if args.compromised:
        server.respond_with(compromised_responder())
    with server:
        print(f"Fake OpenAI-compatible server listening on {server.base_url} (Ctrl-C to stop)")
        try:
            while server.running:
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("\nstopping")


if __name__ == "__main__":
    main()
