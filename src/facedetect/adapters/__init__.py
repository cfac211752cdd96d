"""Adapters: the ports bound to memory, a local directory, and S3 plus DynamoDB (``aws/``)."""

from typing import Literal, get_args

#: The storage backends: settings (``FACEDETECT_BACKEND``) and the CLI's ``--backend`` take these.
Backend = Literal["memory", "filesystem", "aws"]
BACKENDS: tuple[str, ...] = get_args(Backend)
