# SPDX-License-Identifier: Apache-2.0
"""Shared by the twister pytest suites (tests/*/pytest, samples/*/pytest): a real
mosquitto on the port the firmware was built for (CONFIG_APP_BROKER_PORT), and
paho-mqtt clients on the host that observe and drive the device. Each suite's
conftest.py imports the fixtures from here."""

import getpass
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest


def kconfig_or_none(build_dir: str, name: str):
    text = Path(build_dir, "zephyr", ".config").read_text()
    m = re.search(rf"^CONFIG_{name}=(.*)$", text, re.M)
    return m.group(1).strip('"') if m else None


def kconfig(build_dir: str, name: str) -> str:
    value = kconfig_or_none(build_dir, name)
    assert value is not None, f"CONFIG_{name} not in the build's .config"
    return value


def tcp_listener(port: int) -> socket.socket:
    """A listening TCP socket on 127.0.0.1:port (reusable at once after an earlier run)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen()
    return sock


class FakePeer:
    """A host-side peer the firmware talks to, served on a thread until `stop()`: for what
    no real program here can be (a hung broker, an NTP server without root). Subclasses
    bind `sock` and implement `_serve_once()`, which returns within about 0.2 s."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                self._serve_once()
            except socket.timeout:
                continue

    def _serve_once(self):
        raise NotImplementedError

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()


class SntpServer(FakePeer):
    """Answers SNTP requests (RFC 4330) on 127.0.0.1:port with the host's clock.

    The dl7450 model's clock starts at 1970, so certificate dates cannot be checked
    until something sets it; on a device that is an NTP server. Zephyr's net_config
    asks one at boot (CONFIG_NET_CONFIG_CLOCK_SNTP_INIT). This is a fake only because
    no NTP server can be started here without root."""

    NTP_EPOCH_OFFSET = 2208988800  # 1900-01-01 to 1970-01-01

    def __init__(self, port: int):
        self.requests = 0
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", port))
        super().__init__(sock)

    @classmethod
    def _timestamp(cls) -> bytes:
        now = time.time() + cls.NTP_EPOCH_OFFSET
        return struct.pack("!II", int(now), int((now % 1) * 2**32))

    def _serve_once(self):
        request, peer = self.sock.recvfrom(512)
        if len(request) < 48:
            return
        received = self._timestamp()
        version = (request[0] >> 3) & 7
        header = struct.pack("!BBbb", (version << 3) | 4, 1, 0, -20)  # server, stratum 1
        # root delay, root dispersion, reference id "LOCL", reference timestamp;
        # originate = the client's transmit timestamp, which the client checks.
        reply = (header + bytes(8) + b"LOCL" + received + request[40:48] + received
                 + self._timestamp())
        self.sock.sendto(reply, peer)
        self.requests += 1


class SilentBroker(FakePeer):
    """A TCP peer on 127.0.0.1:port that takes the client's CONNECT and never answers:
    a broker that hangs, which mosquitto cannot be made to be."""

    def __init__(self, port: int):
        self.links = []  # (first bytes, seconds from accept until the client closed)
        super().__init__(tcp_listener(port))

    def _serve_once(self):
        conn, _ = self.sock.accept()
        accepted = time.monotonic()
        conn.settimeout(0.2)
        first = b""
        while self.running:
            try:
                data = conn.recv(512)
            except socket.timeout:
                continue
            except OSError:
                data = b""
            if not data:
                self.links.append((first, time.monotonic() - accepted))
                break
            first = first or data
        conn.close()


@pytest.fixture(scope="session", autouse=True)
def wall_clock(build_dir):
    """An SNTP server where the firmware looks for one (CONFIG_NET_CONFIG_SNTP_INIT_SERVER
    "10.0.2.2:<port>"), started before the device boots; nothing for other builds."""
    server = None
    if kconfig_or_none(build_dir, "NET_CONFIG_CLOCK_SNTP_INIT") == "y":
        address = kconfig(build_dir, "NET_CONFIG_SNTP_INIT_SERVER")
        host, _, port = address.rpartition(":")
        assert host == "10.0.2.2" and port, f"SNTP server {address!r}: expected 10.0.2.2:<port>"
        server = SntpServer(int(port))
    yield server
    if server:
        server.stop()


@pytest.fixture(scope="session")
def build_dir(request) -> str:
    return request.config.getoption("--build-dir")


@pytest.fixture(scope="session")
def client_id(build_dir) -> str:
    return kconfig(build_dir, "APP_CLIENT_ID")


@pytest.fixture(scope="session")
def keepalive(build_dir) -> int:
    return int(kconfig(build_dir, "APP_KEEPALIVE_SEC"))


class Broker:
    """A mosquitto on 127.0.0.1:port with persistence, which tests may stop and start."""

    def __init__(self, port: int, tls: str = "", require_certificate: bool = False,
                 ipv6: bool = False, websockets: bool = False):
        """tls: empty for plain TCP, else the directory of scripts/gen-test-certs' files and the
        server certificate to present, as "<certs dir>:<name>" (e.g. ".../certs:server").
        ipv6: also listen on [::1]:port.
        websockets: the device's listener on `port` speaks MQTT over WebSocket (with `tls`:
        over TLS); a plain listener for host clients beside it on port + 1 becomes `self.port`.
        mosquitto 2.0.11 needs that plain listener, and binds a websockets listener to loopback
        only when given the interface name `lo` (it ignores an address there)."""
        self.ws_port = port if websockets else None
        self.port = port + 1 if websockets else port
        self.dir = tempfile.mkdtemp(prefix="zmqtt-broker-")
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        lines = [
            # Run as whoever runs the tests: started as root, mosquitto would otherwise
            # switch to the "mosquitto" user, which cannot read our keys or persistence dir.
            f"user {getpass.getuser()}",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {self.dir}/",
            "log_type all",
            f"listener {self.port} 127.0.0.1",
            *([f"listener {port} ::1"] if ipv6 else []),
        ]
        if websockets:
            # TLS settings below apply to this listener, the last one.
            lines += [f"listener {port} lo", "protocol websockets"]
        if tls:
            certs, name = tls.rsplit(":", 1)
            lines += [
                f"cafile {certs}/ca.pem",
                f"certfile {certs}/{name}.pem",
                f"keyfile {certs}/{name}.key",
                "tls_version tlsv1.2",
                f"require_certificate {'true' if require_certificate else 'false'}",
            ]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None
        self.log = open(os.path.join(self.dir, "mosquitto.log"), "ab")

    def start(self):
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        for port in filter(None, (self.port, self.ws_port)):
            with socket.socket() as s:
                # As mosquitto does: connections of an earlier broker in TIME_WAIT don't count.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    pytest.fail(f"port {port} (CONFIG_APP_BROKER_PORT or + 1) is taken: free it and run again")
        self.proc = subprocess.Popen([binary, "-c", self.conf], stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                for port in filter(None, (self.port, self.ws_port)):
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail("mosquitto did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture()
def broker_port(build_dir) -> int:
    return int(kconfig(build_dir, "APP_BROKER_PORT"))


def websockets(build_dir: str) -> bool:
    """Whether the firmware connects with ws:// or wss:// (CONFIG_APP_WEBSOCKET)."""
    return kconfig_or_none(build_dir, "APP_WEBSOCKET") == "y"


@pytest.fixture()
def broker(broker_port, build_dir):
    # A firmware built for an IPv6 literal ("[::1]") finds the broker there too.
    # A TLS firmware (CONFIG_APP_TLS) finds its listener with the test PKI's server
    # certificate (host clients keep a plain listener only beside a websockets one).
    tls = f"{build_dir}/certs:server" if kconfig_or_none(build_dir, "APP_TLS") == "y" else ""
    b = Broker(broker_port, ipv6=":" in (kconfig_or_none(build_dir, "APP_BROKER_HOST") or ""),
               websockets=websockets(build_dir), tls=tls)
    b.start()
    yield b
    b.stop()
    shutil.rmtree(b.dir, ignore_errors=True)


def broker_log(b: Broker) -> str:
    b.log.flush()
    return Path(b.dir, "mosquitto.log").read_text(errors="replace")


class Observer:
    """A paho-mqtt client on the host that records what it receives."""

    def __init__(self, port: int, client_id: str, clean: bool = True):
        self.messages = []
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean
        )
        self.client.on_message = lambda c, u, m: self.messages.append(m)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.port = port

    def connect(self):
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        return self

    def subscribe(self, topic: str, qos: int):
        result, mid = self.client.subscribe(topic, qos)
        assert result == mqtt.MQTT_ERR_SUCCESS
        time.sleep(0.3)

    def publish(self, topic: str, payload: str, qos: int, retain: bool = False):
        info = self.client.publish(topic, payload, qos, retain)
        info.wait_for_publish(5)

    def wait_for(self, predicate, timeout: float, what: str):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [m for m in self.messages if predicate(m)]
            if found:
                return found
            time.sleep(0.05)
        got = [(m.topic, m.payload) for m in self.messages]
        pytest.fail(f"host never received {what}; it got {got}")

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture()
def observer(broker):
    obs = Observer(broker.port, "zmqtt-observer").connect()
    yield obs
    obs.close()


def wait_line(dut, regex: str, timeout: float = 30) -> str:
    """The first device line matching regex (fails after timeout)."""
    lines = dut.readlines_until(regex=regex, timeout=timeout)
    return lines[-1]
