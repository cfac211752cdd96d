"""Where facedetect keeps things for the user: the data directory and the model cache.

Both follow the platform's conventions (``platformdirs``): on Linux ``$XDG_DATA_HOME/facedetect``
(default ``~/.local/share/facedetect``) and ``$XDG_CACHE_HOME/facedetect`` (default
``~/.cache/facedetect``). Nothing is created here: callers create what they write into.
"""

from __future__ import annotations

from pathlib import Path

APP_NAME = "facedetect"


def default_data_dir() -> Path:
    """The filesystem backend's directory when ``FACEDETECT_DATA_DIR``/``--data-dir`` is not given."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """The per-user cache directory (downloaded models live in its ``models`` folder)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
