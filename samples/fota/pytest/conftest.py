# SPDX-License-Identifier: Apache-2.0
"""The broker fixtures live in tests/common/mqtt_fixtures.py; the backend is the sample's
own backend.py."""

import sys
from pathlib import Path

here = Path(__file__).resolve()
sys.path.insert(0, str(here.parents[3] / "tests" / "common"))
sys.path.insert(0, str(here.parents[1]))

from mqtt_fixtures import broker, broker_port, build_dir, client_id  # noqa: E402,F401
