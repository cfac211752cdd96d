"""The local HTTP server: the Lambda's API, unchanged, plus an upload page, on this machine.

* :mod:`~facedetect.entrypoints.local_server.server` — ``serve()`` (``facedetect serve``) and ``make_server()``;
* :mod:`~facedetect.entrypoints.local_server.wsgi_app` — the WSGI application: local pages, else the API;
* :mod:`~facedetect.entrypoints.local_server.proxy` — HTTP request -> API Gateway proxy event -> HTTP response;
* :mod:`~facedetect.entrypoints.local_server.static_site` — ``/``, ``/docs``, ``/static/*`` (local only);
* :mod:`~facedetect.entrypoints.local_server.waitress_server` — threads, body bound, graceful stop;
* :mod:`~facedetect.entrypoints.local_server.transport_errors` — the JSON errors the server answers itself.

The API (routes, bodies, errors, OpenAPI) is defined once, in :mod:`facedetect.entrypoints.rest`.
"""
