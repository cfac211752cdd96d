"""The HTTP API, defined once: routes, request parsing, error mapping and OpenAPI.

Served by the AWS Lambda entrypoint (:mod:`facedetect.entrypoints.aws_lambda`) and by the
local server, which turns HTTP requests into API Gateway events
(:func:`~facedetect.entrypoints.rest.events.build_event`). The package imports nothing, so
the CLI can read :mod:`~facedetect.entrypoints.rest.representation` without loading Powertools.
"""
