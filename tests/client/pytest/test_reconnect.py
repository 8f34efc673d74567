# SPDX-License-Identifier: Apache-2.0
"""A broker restart: the device reconnects on the 1, 2, 4 … s schedule (capped by
CONFIG_ZMQTT_RECONNECT_MAX_DELAY_SEC) and the QoS 1 messages it queued meanwhile
arrive, none lost, in order. on_connect tells the whole story (DL-7450's on_connect): 0 on the
first connection (a new session), -27 when the link is lost, -28 for each attempt the stopped
broker refuses, and 0 with the session present (MQTT 3.1.1 §3.2.2.2: the broker, persistent,
kept it) once it is back."""

import re
import time

from mqtt_fixtures import Observer, wait_line


def test_broker_restart_reconnects_with_backoff_and_delivers_queued(broker, dut, client_id):
    observer = Observer(broker.port, "zmqtt-tick-observer", clean=False).connect()
    observer.subscribe(f"{client_id}/tick", 1)
    lines = dut.readlines_until(regex=r"on_subscribe", timeout=30)
    connects = [l for l in lines if "on_connect" in l]
    assert len(connects) == 1 and "on_connect rc=0 session=0" in connects[0], lines
    first = int(wait_line(dut, r"tick \d+ mid=").split("tick ")[1].split()[0])

    broker.stop()
    lines = dut.readlines_until(regex=r"on_connect rc=", timeout=20)
    assert "on_connect rc=-27 " in lines[-1], lines
    lines += dut.readlines_until(regex=r"reconnecting in 4 s", timeout=20)
    lines += dut.readlines_until(regex=r"reconnecting in \d+ s", timeout=20)
    delays = [int(m.group(1)) for m in (re.search(r"reconnecting in (\d+) s", l) for l in lines) if m]
    # Doubling from 1 s, capped by CONFIG_ZMQTT_RECONNECT_MAX_DELAY_SEC=4 (prj.conf).
    assert delays[:4] == [1, 2, 4, 4], f"back-off after the loss: {delays}"
    # Each attempt the stopped broker refused was reported as such.
    failed = [l for l in lines if "on_connect rc=" in l][1:]  # after the -27 above
    assert len(failed) >= 2 and all("on_connect rc=-28 " in l for l in failed), lines
    broker.start()
    line = wait_line(dut, r"on_connect rc=0 ", 30)
    assert "session=1" in line, line
    # Ticks made while the broker was down were queued: wait for the newest one.
    last = int(wait_line(dut, r"tick \d+ mid=", 10).split("tick ")[1].split()[0])
    got = observer.wait_for(lambda m: m.payload.decode() == str(last), 30, f"tick {last}")
    ticks = [int(m.payload) for m in observer.messages if m.topic == f"{client_id}/tick"]
    observer.close()
    seen = [t for t in ticks if first <= t <= last]
    assert sorted(set(seen)) == list(range(first, last + 1)), f"lost ticks: {ticks}"
    assert seen == sorted(seen), f"ticks out of order: {ticks}"
    assert got
