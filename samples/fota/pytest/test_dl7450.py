# SPDX-License-Identifier: Apache-2.0
"""Firmware update on the dl7450 model in QEMU (slots in a RAM-backed simulated flash,
so no restart on the same flash here: test_update.py does that on native_sim), driven by
the sample's backend.py through a real mosquitto, with the `mqtt fw status` command."""

import hashlib
import os
import re
import time

from mqtt_fixtures import broker_log, wait_line
from twister_harness import Shell

from backend import Backend

# What `mqtt fw status` prints: the status as published on <prefix>/fw/status, then the
# counters. Only the statuses of rust/zmqtt-fota/README.md.
STATUS_LINE = re.compile(r"(idle|downloading \d+/\d+|verifying|rebooting|confirmed(?: \S+)?"
                         r"|failed [a-z_]+) \(duplicates (\d+), out of order (\d+), "
                         r"rejected (\d+), timeouts (\d+)\)")


def offer_when_subscribed(broker, backend, client_id: str):
    """Offers once the broker has the device's subscription to offers (its log, `log_type
    all`, names each filter as it adds it). The console's "status idle" comes when the device
    queues its SUBSCRIBE, not when the broker has it: under CI load an offer sent at once went
    to no subscriber and the device never heard of it."""
    deadline = time.time() + 30
    while f"{client_id}/fw/offer (QoS 1)" not in broker_log(broker):
        assert time.time() < deadline, "the device never subscribed to offers"
        time.sleep(0.05)
    backend.offer()


def fw_status(dut) -> tuple:
    """(status, duplicates, out of order, rejected, timeouts) from `mqtt fw status`."""
    sh = Shell(dut, timeout=20)
    assert sh.wait_for_prompt()
    lines = sh.exec_command("mqtt fw status")
    # Log lines from the client thread can land in the command's output: find ours.
    for line in lines:
        m = STATUS_LINE.search(line)
        if m:
            return (m.group(1), *map(int, m.groups()[1:]))
    raise AssertionError(f"no status line in {lines}")


def test_a_bad_hash_is_refused_and_the_shell_reports_it(broker, broker_port, dut, client_id):
    wait_line(dut, r"fota: status idle", 60)
    assert fw_status(dut) == ("idle", 0, 0, 0, 0)
    image = os.urandom(30_000)
    wrong = hashlib.sha256(b"not the image").hexdigest()
    backend = Backend("127.0.0.1", broker_port, client_id, image, chunk=1024, sha256=wrong).start()
    try:
        offer_when_subscribed(broker, backend, client_id)
        backend.wait_status("failed hash_mismatch", 120)
    finally:
        backend.stop()
    assert "rebooting" not in backend.statuses
    # The shell says what the device last published.
    assert fw_status(dut)[0] == backend.statuses[-1] == "failed hash_mismatch"


def test_an_image_is_downloaded_verified_and_the_upgrade_requested(broker, broker_port, dut,
                                                                   client_id):
    wait_line(dut, r"fota: status idle", 60)
    image = os.urandom(60_000 + 7)
    backend = Backend("127.0.0.1", broker_port, client_id, image, version="1.1.0",
                      chunk=1024).start()
    try:
        offer_when_subscribed(broker, backend, client_id)
        # The device says "rebooting" only after flash_img_check re-hashed slot 1 against
        # the offer's SHA-256 (hashlib's, above) and the upgrade request was written.
        backend.wait_status("rebooting", 180)
    finally:
        backend.stop()
    assert backend.statuses[-2:] == ["verifying", "rebooting"]
    # The requests walked the image in offer-sized chunks, the last one the remainder.
    asked = set(backend.requests)
    expected = {(o, min(1024, len(image) - o)) for o in range(0, len(image), 1024)}
    assert asked == expected, sorted(asked ^ expected)[:5]
    wait_line(dut, r"fota: upgrade requested, rebooting", 10)
    # It does reboot. Without MCUboot nothing swaps, and the simulated flash is RAM that
    # the driver erases at boot: the firmware comes back as it was, with nothing to resume.
    wait_line(dut, r"\*\*\* Booting Zephyr", 20)
    wait_line(dut, r"fota: status idle", 60)
    assert fw_status(dut) == ("idle", 0, 0, 0, 0)
