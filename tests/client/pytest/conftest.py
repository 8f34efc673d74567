# SPDX-License-Identifier: Apache-2.0
"""The broker and host-client fixtures live in tests/common/mqtt_fixtures.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "common"))

from mqtt_fixtures import (  # noqa: E402,F401
    broker,
    broker_port,
    build_dir,
    client_id,
    keepalive,
    observer,
    wall_clock,
)
