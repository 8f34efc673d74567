# SPDX-License-Identifier: Apache-2.0
"""Firmware update over MQTT on native_sim with file-backed flash, against a real
mosquitto and the sample's own backend.py.

The tests start the firmware themselves (not twister's `dut`): they restart it on the same
flash file. Expected values come from outside the firmware: the image's SHA-256 from
hashlib, the partition layout from the build's devicetree, and the MCUboot image-trailer
layout from MCUboot's docs/design.md ("Image trailer"; BOOT_MAX_ALIGN 8 on this flash):
the last 16 bytes of a slot are the magic, then going down in 8-byte steps Image OK,
Copy done and Swap info (swap type in bits 0-3, BOOT_SWAP_TYPE_TEST = 2)."""

import hashlib
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from backend import Backend

# docs/design.md, "MAGIC ... If BOOT_MAX_ALIGN is 8 bytes".
BOOT_MAGIC = bytes([0x77, 0xC2, 0x95, 0xF3, 0x60, 0xD2, 0xEF, 0x7F,
                    0x35, 0x52, 0x50, 0x0F, 0x2C, 0xB6, 0x79, 0x80])
MAX_ALIGN = 8
SWAP_TYPE_TEST = 2
FLAG_SET = 0x01
FLAG_UNSET = 0xFF


def partitions(build_dir: str) -> dict:
    """label -> (offset, size), read from the build's final devicetree."""
    dts = Path(build_dir, "zephyr", "zephyr.dts").read_text()
    found = {}
    for m in re.finditer(r"(\w+): partition@\w+ \{[^}]*?reg = < (0x[0-9a-f]+) (0x[0-9a-f]+) >;", dts):
        found[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16))
    assert {"slot0_partition", "slot1_partition"} <= found.keys(), found
    return found


class Trailer:
    """An MCUboot image trailer as docs/design.md lays it out, at the end of a slot."""

    def __init__(self, flash: bytes, offset: int, size: int):
        end = offset + size
        self.magic = flash[end - 16:end]
        self.image_ok = flash[end - 16 - MAX_ALIGN]
        self.copy_done = flash[end - 16 - 2 * MAX_ALIGN]
        self.swap_info = flash[end - 16 - 3 * MAX_ALIGN]

    @staticmethod
    def write_after_test_swap(path: Path, offset: int, size: int):
        """What MCUboot leaves in the primary slot after a test swap: magic, copy done,
        swap type test, image not OK (yet)."""
        data = bytearray(path.read_bytes())
        end = offset + size
        data[end - 16:end] = BOOT_MAGIC
        data[end - 16 - 2 * MAX_ALIGN] = FLAG_SET
        data[end - 16 - 3 * MAX_ALIGN] = SWAP_TYPE_TEST
        path.write_bytes(bytes(data))


class Firmware:
    """The native_sim firmware as a process on a given flash file."""

    def __init__(self, build_dir: str, flash: Path, log: Path):
        self.exe = Path(build_dir, "zephyr", "zephyr.exe")
        self.flash = flash
        self.log_path = log
        self.proc = None

    def start(self) -> "Firmware":
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(self.exe), f"-flash={self.flash}"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()

    def wait_exit(self, timeout: float) -> int:
        rc = self.proc.wait(timeout)
        self.log.close()
        return rc

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture()
def run(build_dir, tmp_path):
    """Starts firmwares on tmp_path/flash.bin and kills what is left at the end."""
    started = []

    def start():
        fw = Firmware(build_dir, tmp_path / "flash.bin", tmp_path / "device.log").start()
        started.append(fw)
        return fw

    yield start
    for fw in started:
        if fw.proc.poll() is None:
            fw.kill()
    log = tmp_path / "device.log"
    if log.exists():
        print(log.read_text(errors="replace")[-6000:])


def wait_until(predicate, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


class LimitedBackend(Backend):
    """Serves chunks only below `limit` (None: all), to stop a download where a test wants."""

    limit = None

    def _on_message(self, client, userdata, msg):
        saved = self.serving
        m = re.match(rb"^(\d+) ", msg.payload)
        if m and self.limit is not None and int(m.group(1)) >= self.limit:
            self.serving = False
        try:
            super()._on_message(client, userdata, msg)
        finally:
            self.serving = saved


def stalled_at(backend: Backend, limit: int) -> bool:
    return any(o >= limit for o, _ in backend.requests)


def test_download_survives_a_link_cut_and_a_restart_then_the_image_confirms(
        broker, broker_port, build_dir, client_id, tmp_path, run):
    image = os.urandom(160_000 + 123)
    parts = partitions(build_dir)
    slot0, slot1 = parts["slot0_partition"], parts["slot1_partition"]
    flash = tmp_path / "flash.bin"

    fw = run()
    backend = LimitedBackend("127.0.0.1", broker_port, client_id, image, version="2.0.1",
                             chunk=1024).start()
    try:
        backend.wait_status("idle", 30)
        # 1. Stop answering at 40 %, then cut the link: the broker goes away and comes back.
        backend.limit = len(image) * 4 // 10
        backend.offer()
        wait_until(lambda: stalled_at(backend, backend.limit), 60, "the download to reach 40 %")
        cut_at = max(o for o, _ in backend.requests)
        asked_before = backend.requests.count((cut_at, 1024))
        broker.stop()
        time.sleep(1)
        broker.start()
        # After reconnecting (both ends), the device asks for the same chunk again.
        wait_until(lambda: backend.requests.count((cut_at, 1024)) > asked_before, 60,
                   "the request to be repeated after the link cut")
        # 2. Go on to 70 %, then kill the firmware and start it again on the same flash.
        backend.limit = len(image) * 7 // 10
        wait_until(lambda: stalled_at(backend, backend.limit), 60, "the download to reach 70 %")
        killed_at = max(o for o, _ in backend.requests)
        fw.kill()
        seen = len(backend.requests)
        fw = run()
        wait_until(lambda: len(backend.requests) > seen, 60, "a request after the restart")
        resumed_at = backend.requests[seen][0]
        # It resumes from the kept progress (an erase-page start), not from 0.
        assert 0 < resumed_at <= killed_at, (resumed_at, killed_at)
        assert resumed_at % 4096 == 0
        # 3. Serve the rest.
        backend.limit = None
        backend.wait_status("rebooting", 120)
        assert fw.wait_exit(15) != 0, "sys_reboot on native_sim exits"
    finally:
        backend.stop()

    assert "verifying" in backend.statuses
    data = flash.read_bytes()
    assert data[slot1[0]:slot1[0] + len(image)] == image, "slot 1 holds the image"
    t = Trailer(data, *slot1)
    assert t.magic == BOOT_MAGIC, "an upgrade is requested"
    assert t.swap_info & 0x0F == SWAP_TYPE_TEST, "a test upgrade, which MCUboot may revert"
    assert t.image_ok == FLAG_UNSET, "not permanent"

    # 4. MCUboot cannot run under native_sim (no bootloader chain-loads a native
    # executable): do what its test swap leaves behind, then run the firmware again.
    Trailer.write_after_test_swap(flash, *slot0)
    assert Trailer(flash.read_bytes(), *slot0).image_ok == FLAG_UNSET
    backend = Backend("127.0.0.1", broker_port, client_id, image, version="2.0.1").start()
    try:
        fw = run()
        backend.wait_status("confirmed 2.0.1", 60)
        assert Trailer(flash.read_bytes(), *slot0).image_ok == FLAG_SET, "boot_write_img_confirmed"
        # The installed image's offer again (a retained offer would be) starts nothing.
        requests = len(backend.requests)
        backend.offer()
        time.sleep(2)
        assert len(backend.requests) == requests
        assert fw.proc.poll() is None
    finally:
        backend.stop()


def test_a_bad_hash_is_refused_without_requesting_the_upgrade(
        broker, broker_port, build_dir, client_id, tmp_path, run):
    image = os.urandom(20_000)
    wrong = hashlib.sha256(image + b"x").hexdigest()
    slot1 = partitions(build_dir)["slot1_partition"]
    fw = run()
    backend = Backend("127.0.0.1", broker_port, client_id, image, sha256=wrong).start()
    try:
        backend.wait_status("idle", 30)
        backend.offer()
        backend.wait_status("failed hash_mismatch", 60)
        time.sleep(3)  # what a reboot would take
        assert fw.proc.poll() is None, "no reboot"
    finally:
        backend.stop()
    data = (tmp_path / "flash.bin").read_bytes()
    assert data[slot1[0]:slot1[0] + len(image)] == image, "all bytes arrived"
    assert Trailer(data, *slot1).magic == b"\xff" * 16, "no upgrade requested"
    assert "rebooting" not in backend.statuses
