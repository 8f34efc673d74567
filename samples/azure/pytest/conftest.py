# SPDX-License-Identifier: Apache-2.0
"""The stand-in hub for the sample, on the port the firmware was built for; the SNTP
fixture (wall_clock) and the Kconfig readers come from tests/common/mqtt_fixtures.py."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "common"))

from mqtt_fixtures import build_dir, kconfig, wall_clock  # noqa: E402,F401
from standin_hub import StandInHub  # noqa: E402


@pytest.fixture()
def hub(build_dir):
    server = StandInHub(
        int(kconfig(build_dir, "APP_BROKER_PORT")),
        os.path.join(build_dir, "certs"),
        kconfig(build_dir, "APP_HUB_HOST"),
        kconfig(build_dir, "APP_DEVICE_ID"),
        kconfig(build_dir, "APP_DEVICE_KEY"),
    )
    yield server
    server.stop()
