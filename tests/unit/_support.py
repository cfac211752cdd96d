"""Kept for unit tests written against the old location: use ``support.fakes`` and ``support.geometry``."""

from support.fakes import CountingDetector, FailingImageStore, FailingRepository
from support.geometry import iou, raw_xyxy, xyxy

__all__ = ["CountingDetector", "FailingImageStore", "FailingRepository", "iou", "raw_xyxy", "xyxy"]
