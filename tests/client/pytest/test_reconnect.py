# SPDX-License-Identifier: Apache-2.0
"""A broker restart: the device reconnects on the 1, 2, 4 … s schedule (capped by
CONFIG_ZMQTT_RECONNECT_MAX_DELAY_SEC) and the QoS 1 messages it queued meanwhile
arrive, none lost, in order."""

import re
import time

from mqtt_fixtures import Observer, wait_line


def test_broker_restart_reconnects_with_backoff_and_delivers_queued(broker, dut, client_id):
    observer = Observer(broker.port, "zmqtt-tick-observer", clean=False).connect()
    observer.subscribe(f"{client_id}/tick", 1)
    wait_line(dut, r"on_subscribe")
    first = int(wait_line(dut, r"tick \d+ mid=").split("tick ")[1].split()[0])

    broker.stop()
    wait_line(dut, r"reconnecting in 1 s", 20)
    lines = dut.readlines_until(regex=r"reconnecting in 4 s", timeout=20)
    lines += dut.readlines_until(regex=r"reconnecting in \d+ s", timeout=20)
    delays = [int(m.group(1)) for m in (re.search(r"reconnecting in (\d+) s", l) for l in lines) if m]
    # Doubling from 1 s, capped by CONFIG_ZMQTT_RECONNECT_MAX_DELAY_SEC=4 (prj.conf).
    assert delays[:3] == [2, 4, 4], f"back-off after the first failure: {delays}"
    broker.start()
    wait_line(dut, r"on_connect rc=0", 30)
    # Ticks made while the broker was down were queued: wait for the newest one.
    last = int(wait_line(dut, r"tick \d+ mid=", 10).split("tick ")[1].split()[0])
    got = observer.wait_for(lambda m: m.payload.decode() == str(last), 30, f"tick {last}")
    ticks = [int(m.payload) for m in observer.messages if m.topic == f"{client_id}/tick"]
    observer.close()
    seen = [t for t in ticks if first <= t <= last]
    assert sorted(set(seen)) == list(range(first, last + 1)), f"lost ticks: {ticks}"
    assert seen == sorted(seen), f"ticks out of order: {ticks}"
    assert got
