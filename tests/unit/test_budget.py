"""The cost model and work budget (core/budget.py): pure arithmetic on sizes."""

from __future__ import annotations

import math

import pytest

from facedetect.domain.budget import (
    CONSERVATIVE_SECONDS_PER_MP,
    DEFAULT_WORK_BUDGET_MP,
    WorkPlan,
    WorkRate,
    haar_pyramid,
    plan_work,
    work_mp,
)

HAAR = {"scale_factor": 1.1, "min_neighbors": 5, "min_size": None, "max_size": None, "max_dimension": None}
#: The largest pixel count at which every image, whatever its shape, is detected at full size with
#: the default options and budget (docs/benchmarks.md states it; found by scanning all widths).
PARITY_LIMIT = 5_750_000


def levels_by_hand(width: int, height: int, step: float) -> int:
    """OpenCV's scale loop, counted independently: windows of round(24 * step**k) that fit the image."""
    k = 0
    while round(24 * step**k) <= min(width, height):
        k += 1
    return k


@pytest.mark.parametrize(("width", "height", "step"), [(1632, 1224, 1.1), (640, 480, 1.01), (100, 3000, 1.3),
                                                      (24, 24, 1.1)])
def test_pyramid_levels_are_opencvs_scale_loop(width: int, height: int, step: float) -> None:
    assert haar_pyramid(width, height, step).levels == levels_by_hand(width, height, step)


@pytest.mark.parametrize("step", [1.01, 1.05, 1.1, 1.3])
def test_pyramid_area_is_about_p_over_one_minus_inverse_square(step: float) -> None:
    width, height = 4000, 3000
    pyramid = haar_pyramid(width, height, step)
    expected = width * height / (1 - 1 / step**2)
    assert 0.8 * expected < pyramid.pixels < 1.05 * expected  # the smallest levels are cut off by the window
    assert pyramid.pixels <= pyramid.buffer_pixels < 1.5 * pyramid.pixels  # packing wastes a little


def test_min_size_skips_the_largest_levels_and_max_size_the_smallest() -> None:
    full = haar_pyramid(2000, 1500, 1.1)
    no_small_faces = haar_pyramid(2000, 1500, 1.1, min_size=(200, 200))
    no_big_faces = haar_pyramid(2000, 1500, 1.1, max_size=(200, 200))
    assert no_small_faces.levels + no_big_faces.levels == pytest.approx(full.levels, abs=1)
    # Skipping the large levels saves most of the area; skipping the small ones saves little.
    assert no_small_faces.pixels < 0.05 * full.pixels
    assert no_big_faces.pixels > 0.95 * full.pixels


def test_an_image_smaller_than_the_window_costs_nothing() -> None:
    assert haar_pyramid(20, 500, 1.1).levels == 0
    assert work_mp("haar", HAAR, 20, 500) == 0


def test_yunet_and_unknown_detectors_cost_one_pass_over_their_input() -> None:
    assert work_mp("yunet", {}, 2000, 1000) == pytest.approx(2 * 9.0)
    assert work_mp("counting", {}, 2000, 1000) == pytest.approx(2.0)
    assert work_mp("yunet", {}, 4000, 2000) == pytest.approx(4 * work_mp("yunet", {}, 2000, 1000))


@pytest.mark.parametrize(("width", "height"), [(1632, 1224), (2304, 1728), (2000, 2000), (2940, 1955),
                                               (3196, 1798), (1024, 5541), (111, 51801), (5541, 1024)])
def test_default_options_keep_full_size_up_to_the_parity_limit(width: int, height: int) -> None:
    assert width * height <= PARITY_LIMIT
    plan = plan_work("haar", HAAR, width, height, DEFAULT_WORK_BUDGET_MP)
    assert plan.scale == 1.0 and (plan.width, plan.height) == (width, height)


@pytest.mark.parametrize(("width", "height", "step", "min_neighbors"),
                         [(4000, 3000, 1.1, 5), (8160, 6120, 1.1, 5), (2304, 1728, 1.01, 0), (7000, 7000, 1.05, 5)])
def test_over_budget_is_shrunk_to_just_fit(width: int, height: int, step: float, min_neighbors: int) -> None:
    options = {**HAAR, "scale_factor": step, "min_neighbors": min_neighbors}
    plan = plan_work("haar", options, width, height, DEFAULT_WORK_BUDGET_MP)
    assert plan.downscaled and plan.work <= DEFAULT_WORK_BUDGET_MP < plan.full_work
    bigger = plan_work("haar", options, width, height, plan.work * 1.2)
    assert bigger.width > plan.width  # not shrunk much more than needed
    assert (plan.width, plan.height) == (round(width * plan.scale), round(height * plan.scale))


def test_max_dimension_applies_first_and_the_budget_only_if_still_over() -> None:
    asked = plan_work("haar", {**HAAR, "max_dimension": 1000}, 8000, 6000, DEFAULT_WORK_BUDGET_MP)
    assert (asked.width, asked.height) == (1000, 750)
    assert asked.work == pytest.approx(work_mp("haar", HAAR, 1000, 750))
    costly = plan_work("haar", {**HAAR, "scale_factor": 1.01, "max_dimension": 4000}, 8000, 6000, 20.0)
    assert max(costly.width, costly.height) < 4000 and costly.work <= 20.0


def test_face_sizes_shrink_with_the_image() -> None:
    options = {**HAAR, "min_size": [400, 400]}
    plan = plan_work("haar", options, 12000, 4000, 10.0)
    min_side = round(400 * plan.scale)
    assert plan.work == pytest.approx(work_mp("haar", {**HAAR, "min_size": [min_side, min_side]},
                                              plan.width, plan.height))


def test_no_budget_means_full_size() -> None:
    plan = plan_work("haar", HAAR, 8160, 6120, None)
    assert plan.scale == 1.0 and plan.work == plan.full_work > 300


def plan_of(work: float) -> WorkPlan:
    return WorkPlan(scale=1.0, width=1, height=1, work=work, full_work=work)


def test_work_rate_is_conservative_until_it_has_measured_then_the_slowest_recent() -> None:
    rate = WorkRate(window=3)
    assert rate.seconds_per_mp == CONSERVATIVE_SECONDS_PER_MP
    rate.observe(0.5, 10.0)  # too small to say anything about the rate (fixed overheads)
    assert rate.seconds_per_mp == CONSERVATIVE_SECONDS_PER_MP
    for seconds in (1.0, 3.0, 2.0):
        rate.observe(10.0, seconds)
    assert rate.seconds_per_mp == pytest.approx(0.3)
    for _ in range(3):
        rate.observe(10.0, 1.0)
    assert rate.seconds_per_mp == pytest.approx(0.1)  # the slow one has left the window
    assert rate.predict(plan_of(20.0), full_pixels=0) == pytest.approx(2.0)
    assert rate.predict(plan_of(20.0), full_pixels=50_000_000) > rate.predict(plan_of(20.0), full_pixels=0)


def test_the_default_budget_scans_a_50_megapixel_photo_at_about_six_megapixels() -> None:
    plan = plan_work("haar", HAAR, 8160, 6120, DEFAULT_WORK_BUDGET_MP)
    assert 4e6 < plan.width * plan.height < 8e6
    assert math.isclose(plan.width / plan.height, 8160 / 6120, rel_tol=0.01)


@pytest.mark.shared
def test_every_wider_dev_image_is_detected_at_full_size_with_the_defaults() -> None:
    import json
    from pathlib import Path

    truth = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "widerface-dev" / "truth.json"
    if not truth.is_file():
        pytest.skip("../shared's WIDER dev subset is absent")
    images = json.loads(truth.read_text())["images"]
    assert len(images) == 783
    shrunk = [im["file"] for im in images
              if plan_work("haar", HAAR, im["width"], im["height"], DEFAULT_WORK_BUDGET_MP).downscaled]
    assert shrunk == []  # so the seed parity on WIDER (783/783, benchmarks/accuracy.py) is untouched
