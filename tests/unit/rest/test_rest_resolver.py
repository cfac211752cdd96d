"""The resolver keeps each request's state to its own thread (Powertools shares it between threads)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from facedetect.entrypoints.rest.events import build_event
from facedetect.entrypoints.rest.resolver import ConcurrentRestResolver

THREADS = 12


def echo_app(resolver_class: type[APIGatewayRestResolver]) -> APIGatewayRestResolver:
    """An app whose route waits until every thread is inside it, then echoes what it sees as its request."""
    app = resolver_class()
    inside = threading.Barrier(THREADS)

    @app.post("/echo/<name>", middlewares=[lambda app, next_middleware: next_middleware(app)])
    def echo(name: str) -> Response[Any]:
        inside.wait(timeout=300)  # generous: only a hang should end it
        event = app.current_event
        return Response(200, "application/json", {"name": name, "body": event.body, "path": event.path,
                                                  "route": app.context.get("_route").path})

    return app


def fire(app: APIGatewayRestResolver) -> list[tuple[int, dict[str, Any]]]:
    def one(i: int) -> tuple[int, dict[str, Any]]:
        try:
            result = app.resolve(build_event("POST", f"/echo/n{i}", body=f"body-{i}", request_id=f"r{i}"), None)
        except Exception as exc:  # the stock resolver can lose its routing context mid-request
            return i, {"error": repr(exc)}
        return i, json.loads(result["body"])

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(THREADS)))


def test_each_thread_sees_its_own_event_and_path_parameters():
    for i, seen in fire(echo_app(ConcurrentRestResolver)):
        assert seen == {"name": f"n{i}", "body": f"body-{i}", "path": f"/echo/n{i}", "route": "/echo/<name>"}


def test_the_stock_resolver_mixes_requests_up_which_is_why_this_one_exists():
    mixed = [seen for i, seen in fire(echo_app(APIGatewayRestResolver)) if seen.get("body") != f"body-{i}"]
    assert mixed, "Powertools now isolates requests per thread: ConcurrentRestResolver may be unnecessary"


def test_responses_carry_the_request_id():
    app = echo_app(ConcurrentRestResolver)
    result = app.resolve(build_event("GET", "/nowhere", request_id="abc-123"), None)
    assert result["statusCode"] == 404
    assert result["multiValueHeaders"]["X-Request-Id"] == ["abc-123"]


def test_request_id_falls_back_to_the_lambda_request_id_then_to_a_fresh_one():
    class Context:
        aws_request_id = "lambda-7"

    app = ConcurrentRestResolver()
    event = build_event("GET", "/nowhere")
    del event["requestContext"]["requestId"]
    assert app.resolve(event, Context())["multiValueHeaders"]["X-Request-Id"] == ["lambda-7"]  # type: ignore[arg-type]
    first = app.resolve(event, None)["multiValueHeaders"]["X-Request-Id"]
    second = app.resolve(event, None)["multiValueHeaders"]["X-Request-Id"]
    assert first != second and all(len(v[0]) == 36 for v in (first, second))


@pytest.mark.parametrize(("path", "allowed"), [("/echo/x", ["POST"]), ("/echo/x/", ["POST"]), ("/nope", [])])
def test_allowed_methods_follow_the_registered_routes(path, allowed):
    assert echo_app(ConcurrentRestResolver).allowed_methods(path) == allowed
