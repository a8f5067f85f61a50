"""A recording longer than the studio's limit (30 min) tried on the share page: the page says that
`earmark timeline MODEL FILE` labels it whole, whatever its length, as well as to cut it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def long_flac(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """31 minutes of quiet at 8 kHz: a FLAC of a few hundred kB that states its length."""
    rate = 8000
    path = tmp_path_factory.mktemp("long") / "rehearsal.flac"
    sf.write(path, np.zeros(31 * 60 * rate, dtype=np.int16), rate, subtype="PCM_16")
    return path


def test_a_recording_over_the_limit_points_to_earmark_timeline(page: Page, studio, demo_model, page_errors,
                                                               long_flac) -> None:
    page.goto(f"{studio.url}/try/{demo_model['token']}")
    page.wait_for_selector("body[data-ready=true]")
    page.set_input_files("#try-file", str(long_flac))
    expect(page.locator("#try-result .error-text")).to_have_text(
        "rehearsal.flac is 31.0 min long, more than the limit of 30.0 min; cut it into shorter files, or label it "
        "whole with `earmark timeline MODEL FILE` (on a computer with earmark and the model file), which takes a "
        "recording of any length", timeout=30000)
    assert not page_errors
