"""Configuration: one pydantic-settings ``Settings``, read from ``FACEDETECT_*`` variables.

Explicit keyword arguments win over the environment. Bad or missing settings raise
``ConfigurationError`` with one line naming the variable, at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from facedetect.adapters import Backend
from facedetect.detectors.factory import DetectorName
from facedetect.detectors.models import find_model
from facedetect.domain.budget import DEFAULT_WORK_BUDGET_MP
from facedetect.domain.imaging import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS
from facedetect.errors import ConfigurationError
from facedetect.userdirs import default_data_dir


class Settings(BaseSettings):
    """Everything facedetect can be told, each field also settable as ``FACEDETECT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="FACEDETECT_", extra="forbid", frozen=True)

    backend: Backend = Field("filesystem", description="Where images and detections are kept.")
    data_dir: Path = Field(default_factory=default_data_dir,
                           description="Directory of the filesystem backend (default: the per-user data directory).")
    server_detections: int | None = Field(None, ge=1, le=256,
                                          description="Local server: detections at once (default: one per core).")
    server_upload_wait: float = Field(5.0, ge=0, le=300,
                                      description="Local server: seconds an upload waits for a detection slot.")

    detector: DetectorName = Field("haar", description="Face detector.")
    cascade: str = Field("haarcascade_frontalface_default.xml", description="Haar cascade file name.")
    scale_factor: float = Field(1.1, ge=1.01, le=4.0, description="Haar pyramid step.")
    min_neighbors: int = Field(5, ge=0, description="Haar: neighbours needed to keep a face.")
    min_size: int | None = Field(None, ge=1, description="Smallest face side, pixels.")
    max_size: int | None = Field(None, ge=1, description="Largest face side, pixels.")
    max_dimension: int | None = Field(None, ge=32, description="Shrink larger images to this side first.")
    yunet_model: Path | None = Field(None, description="Path of a YuNet .onnx model (detector=yunet).")
    yunet_score_threshold: float = Field(0.7, ge=0.0, le=1.0, description="YuNet: minimum face score.")
    yunet_small_faces: bool = Field(False, description="YuNet: add an upscaled pass for small faces.")

    max_bytes: int = Field(DEFAULT_MAX_BYTES, ge=1, description="Largest accepted upload, bytes.")
    max_pixels: int = Field(DEFAULT_MAX_PIXELS, ge=1, description="Largest accepted image, pixels.")
    work_budget_mp: float = Field(DEFAULT_WORK_BUDGET_MP, gt=0, le=100_000, allow_inf_nan=False,
                                  description="Most work per detection, pyramid megapixels; larger images "
                                              "are shrunk to fit (docs/benchmarks.md, bounded work).")

    s3_bucket: str | None = Field(None, min_length=3, description="S3 bucket of the aws backend.")
    s3_prefix: str = Field("", description="Key prefix inside the bucket.")
    dynamodb_table: str = Field("faces", min_length=3, description="DynamoDB table of the aws backend.")
    aws_endpoint_url: str | None = Field(None, description="Custom AWS endpoint (moto server, LocalStack).")
    allowed_origins: str = Field("", description="Comma-separated browser origins allowed to call the API (CORS).")

    @model_validator(mode="after")
    def _required_together(self) -> Settings:
        if self.backend == "aws" and not self.s3_bucket:
            raise ValueError("FACEDETECT_S3_BUCKET is required when FACEDETECT_BACKEND=aws")
        if self.detector == "yunet" and self.yunet_model is None and find_model("yunet") is None:
            raise ValueError("FACEDETECT_DETECTOR=yunet needs a model: run 'facedetect models download yunet' "
                             "or set FACEDETECT_YUNET_MODEL")
        return self

    def detector_options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`facedetect.detectors.create_detector`."""
        if self.detector == "yunet":
            model = str(self.yunet_model) if self.yunet_model else None  # None: the cached model
            return {"yunet_model": model, "score_threshold": self.yunet_score_threshold,
                    "max_dimension": self.max_dimension, "small_faces": self.yunet_small_faces or None}
        if self.detector == "haar-multi":  # its cascades and pyramid steps are its own
            return {"min_size": self.min_size, "max_size": self.max_size, "max_dimension": self.max_dimension}
        return {"cascade": self.cascade, "scale_factor": self.scale_factor, "min_neighbors": self.min_neighbors,
                "min_size": self.min_size, "max_size": self.max_size, "max_dimension": self.max_dimension}


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment, with ``overrides`` (``None`` values ignored) winning.

    Raises
    ------
    ConfigurationError
        One line naming the first bad setting and why.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = "_".join(str(p) for p in first["loc"]).upper()
        where = f"FACEDETECT_{loc}: " if loc else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigurationError(f"Invalid configuration: {where}{message}") from None
