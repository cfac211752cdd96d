"""Helpers shared by several test directories, imported as ``support.<module>``.

``tests/`` is on ``sys.path`` the way it is for ``imagegen``: pytest imports the root
``tests/conftest.py`` (``tests/`` has no ``__init__.py``) with its default ``prepend``
import mode, which puts ``tests/`` first on ``sys.path`` before any other conftest loads.

* :mod:`support.lambda_events`: API Gateway events of ``tests/events/``, a fake
  ``LambdaContext`` and the decoded Lambda proxy result.
* :mod:`support.fake_aws`: fake AWS credentials for a test and a moto server over HTTP.
"""
