#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Plays the firmware-update backend of zmqtt's pull protocol (rust/zmqtt-fota/README.md):
offers an image on <prefix>/fw/offer, answers each "<offset> <length>" request on
<prefix>/fw/get with those bytes on <prefix>/fw/chunk/<offset>, and prints what the device
reports on <prefix>/fw/status. Exits 0 when the device says "rebooting", 1 on "failed".

    samples/fota/backend.py --port 1883 --prefix dl7450-fota zephyr.signed.bin

The pytest suite (samples/fota/pytest) imports the Backend class."""

import argparse
import hashlib
import re
import sys
import threading
import time

import paho.mqtt.client as mqtt

GET = re.compile(rb"^(\d+) (\d+)$")


class Backend:
    """Serves one image to one device prefix over a broker, from a paho-mqtt thread."""

    def __init__(self, host: str, port: int, prefix: str, image: bytes, version: str = "1.0.1",
                 chunk: int = 1024, sha256: str = ""):
        """sha256: the hash to offer (hex); by default the image's own."""
        self.prefix = prefix
        self.image = image
        self.version = version
        self.chunk = chunk
        self.sha256 = sha256 or hashlib.sha256(image).hexdigest()
        self.host, self.port = host, port
        self.statuses = []
        self.requests = []
        self.bad_requests = []
        self.serving = True
        self.subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"fota-backend-{prefix}")
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_message = self._on_message

    def offer_text(self) -> str:
        return (f"version={self.version} size={len(self.image)} sha256={self.sha256} "
                f"chunk={self.chunk}")

    def start(self) -> "Backend":
        self.client.connect(self.host, self.port)
        self.client.loop_start()
        if not self.subscribed.wait(10):
            raise TimeoutError("the backend could not subscribe")
        return self

    def stop(self):
        self.client.loop_stop()
        self.client.disconnect()

    def offer(self):
        info = self.client.publish(f"{self.prefix}/fw/offer", self.offer_text(), 1)
        info.wait_for_publish(5)

    def wait_status(self, pattern: str, timeout: float) -> str:
        """The first status (since the start) that matches pattern; TimeoutError after timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for s in list(self.statuses):
                if re.fullmatch(pattern, s):
                    return s
            time.sleep(0.05)
        raise TimeoutError(f"no status matching {pattern!r}; got {self.statuses}")

    def _on_connect(self, client, userdata, flags, reason, properties):
        # On every (re)connect: the session is clean, so subscribe again.
        client.subscribe([(f"{self.prefix}/fw/get", 1), (f"{self.prefix}/fw/status", 1)])

    def _on_message(self, client, userdata, msg):
        if msg.topic == f"{self.prefix}/fw/status":
            self.statuses.append(msg.payload.decode(errors="replace"))
            return
        m = GET.match(msg.payload)
        if not m:
            self.bad_requests.append(msg.payload)
            return
        offset, length = int(m.group(1)), int(m.group(2))
        self.requests.append((offset, length))
        if not self.serving or offset >= len(self.image) or length == 0:
            return
        client.publish(f"{self.prefix}/fw/chunk/{offset}", self.image[offset:offset + length], 1)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("image", help="the image to offer (imgtool-signed for MCUboot)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=1883)
    p.add_argument("--prefix", default="dl7450-fota", help="the device's topic prefix")
    p.add_argument("--version", default="1.0.1")
    p.add_argument("--chunk", type=int, default=1024, help="bytes per chunk request")
    p.add_argument("--timeout", type=float, default=600, help="give up after this many seconds")
    p.add_argument("--sha256", default="",
                   help="offer this hash (hex) instead of the image's own, to see it refused")
    args = p.parse_args()
    with open(args.image, "rb") as f:
        image = f.read()
    backend = Backend(args.host, args.port, args.prefix, image, args.version, args.chunk,
                      args.sha256).start()
    print(f"offering {args.image}: {backend.offer_text()}")
    backend.offer()
    seen = 0
    deadline = time.time() + args.timeout
    try:
        while time.time() < deadline:
            for s in backend.statuses[seen:]:
                print(f"{args.prefix}: {s}")
                if s == "rebooting":
                    return 0
                if s.startswith("failed"):
                    return 1
            seen = len(backend.statuses)
            time.sleep(0.1)
        print("timed out")
        return 1
    finally:
        backend.stop()


if __name__ == "__main__":
    sys.exit(main())
