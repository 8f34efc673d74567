# SPDX-License-Identifier: Apache-2.0
"""The broker and host-client fixtures live in tests/common/mqtt_fixtures.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "common"))

from mqtt_fixtures import broker_port, build_dir, client_id, wall_clock  # noqa: E402,F401
