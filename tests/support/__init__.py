"""Helpers and fakes shared by the tests, imported as ``support.<module>``: the one place for them.

``tests/`` is on ``sys.path``: pytest imports the root ``tests/conftest.py`` (``tests/`` has no
``__init__.py``) with its default ``prepend`` import mode, which puts ``tests/`` first on
``sys.path`` before any other conftest loads. Subprocesses that need a helper get ``tests/``
on their ``PYTHONPATH``.

Images and values
  * :mod:`support.imagegen`: test images made on the fly (faces from scikit-image's samples);
  * :mod:`support.detections`, :mod:`support.stored_samples`: sample detections, and the ones
    behind the committed fixtures of stored records;
  * :mod:`support.geometry`: box overlap for detector tests.

Fakes
  * :mod:`support.fakes`: a counting detector, in-memory stores that fail on demand (the
    in-memory adapters themselves are the plain fakes of the stores);
  * :mod:`support.fake_aws`: fake AWS credentials, a moto server over HTTP;
  * :mod:`support.aws_resources`: the bucket and the reference table as the template makes them;
  * :mod:`support.aws_faults`: botocore errors, clients that fail on cue, faults on the wire;
  * :mod:`support.netguard`: a socket guard that lets only 127.0.0.1 be reached.

Doors
  * :mod:`support.lambda_events`: API Gateway events, a fake ``LambdaContext``, decoded answers;
  * :mod:`support.lambda_aws`: the Lambda handler on the aws backend against a moto server;
  * :mod:`support.local_server`: the local server in a thread, or ``facedetect serve`` in a process;
  * :mod:`support.lambda_artifact`, :mod:`support.cfn_template`: the built zip, and
    ``template.yaml`` read as CloudFormation does.
"""
