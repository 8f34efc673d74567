# SPDX-License-Identifier: Apache-2.0
"""A local stand-in for Azure IoT Hub: a TLS MQTT 3.1.1 server of the subset a device uses,
written from Microsoft's "Communicate with an IoT hub using MQTT" page, that checks what the
device sends instead of trusting it.

It is a fake because the real service cannot run here. It is also a separate implementation:
SAS tokens are checked with Python's hmac/hashlib/base64/urllib, never with the firmware's code.

What it checks on each CONNECT: MQTT 3.1.1, client id = device id, user name
`{hub}/{device}/?api-version=2021-04-12`, keep-alive 1..1177, and the password: a SAS token
for `{hub}/devices/{device}` whose signature is HMAC-SHA256 over "{sr}\\n{se}" with the
device key and whose expiry lies in the future. A bad one gets CONNACK 4 and the link closes.
While connected: no QoS 2, no retain, SUBACK grants at most QoS 1. Like the hub, it closes
the connection when the token expires. Every event is recorded for the test to assert on.
"""

import base64
import hashlib
import hmac
import json
import os
import queue
import re
import socket
import ssl
import struct
import threading
import time
import urllib.parse

from mqtt_fixtures import FakePeer, tcp_listener

API_VERSION = "2021-04-12"

CONNECT, CONNACK, PUBLISH, PUBACK = 1, 2, 3, 4
SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 12, 13, 14


def expected_signature(key_b64: str, resource: str, expiry: int) -> str:
    """Azure's SAS signature, as its documentation's Python example computes it."""
    sr = urllib.parse.quote(resource, safe="")
    mac = hmac.new(base64.b64decode(key_b64), f"{sr}\n{expiry}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def check_sas_token(token: str, hub: str, device: str, key_b64: str, now: float):
    """(expiry, problem): problem is None for a valid token."""
    prefix = "SharedAccessSignature "
    if not token.startswith(prefix):
        return None, f"not a SAS token: {token!r}"
    fields = {}
    for part in token[len(prefix):].split("&"):
        name, sep, value = part.partition("=")
        if not sep or name in fields:
            return None, f"bad field {part!r}"
        fields[name] = urllib.parse.unquote(value)
    if set(fields) != {"sr", "sig", "se"}:
        return None, f"fields {sorted(fields)}, want sr, sig, se"
    resource = f"{hub}/devices/{device}"
    if fields["sr"] != resource:
        return None, f"sr {fields['sr']!r}, want {resource!r}"
    if not fields["se"].isdigit():
        return None, f"se {fields['se']!r}"
    expiry = int(fields["se"])
    if not hmac.compare_digest(fields["sig"], expected_signature(key_b64, resource, expiry)):
        return expiry, "bad signature"
    if expiry <= now:
        return expiry, f"expired {now - expiry:.0f} s ago"
    return expiry, None


def encode_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(kind: int, flags: int, body: bytes) -> bytes:
    return bytes([kind << 4 | flags]) + encode_length(len(body)) + body


def mqtt_string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


class TokenExpired(Exception):
    """The connection's SAS token expired: the hub closes it."""


def split_packet(buf: bytearray):
    """Removes the first whole packet from buf: (kind, flags, body), or None for too few bytes."""
    length, shift, at = 0, 0, 1
    while True:
        if at >= len(buf):
            return None
        byte = buf[at]
        at += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
        if shift > 21:
            raise ValueError("malformed remaining length")
    if len(buf) < at + length:
        return None
    first, body = buf[0], bytes(buf[at:at + length])
    del buf[:at + length]
    return first >> 4, first & 0x0F, body


class Reader:
    """MQTT fields from a packet body."""

    def __init__(self, body: bytes):
        self.body, self.at = body, 0

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.body):
            raise ValueError("packet too short")
        out = self.body[self.at:self.at + n]
        self.at += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack("!H", self.take(2))[0]

    def binary(self) -> bytes:
        return self.take(self.u16())

    def string(self) -> str:
        return self.binary().decode()

    def rest(self) -> bytes:
        return self.take(len(self.body) - self.at)


class Connection:
    """One device connection and what happened on it."""

    def __init__(self, hub, tls, number):
        self.hub, self.tls, self.number = hub, tls, number
        self.token = self.expiry = None
        self.user_name = self.client_id = None
        self.keep_alive = None
        self.refused = None  # why CONNACK refused it
        self.accepted_at = None
        self.closed_by = None  # "device" (DISCONNECT), "hub-expiry", "eof", "violation: ..."
        self.closed_at = None
        self.subscriptions = []  # (filter, qos)
        self.twin_gets = []  # rid
        self.reports = []  # (rid, parsed JSON)
        self.method_replies = {}  # rid -> (status, payload bytes)
        self.telemetry = []  # (topic, payload)
        self.pubacks = set()
        # What to send: only the connection's own thread touches the TLS socket (OpenSSL's
        # SSL object is not for two threads at once), so the test's sends wait here.
        self.outbox = queue.Queue()
        self.next_id = 1

    def send(self, data: bytes):
        self.outbox.put(data)

    def flush(self):
        while True:
            try:
                data = self.outbox.get_nowait()
            except queue.Empty:
                return
            self.tls.sendall(data)

    def publish(self, topic: str, payload: bytes, qos: int = 0) -> int:
        body = mqtt_string(topic)
        pid = 0
        if qos:
            pid, self.next_id = self.next_id, self.next_id + 1
            body += struct.pack("!H", pid)
        self.send(packet(PUBLISH, qos << 1, body + payload))
        return pid


class StandInHub(FakePeer):
    """The hub on 127.0.0.1:port with the test PKI's server certificate (certs folder)."""

    def __init__(self, port: int, certs: str, hub_host: str, device_id: str, key_b64: str):
        self.hub_host, self.device_id, self.key = hub_host, device_id, key_b64
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(certs, "server.pem"), os.path.join(certs, "server.key"))
        self.connections = []
        self.violations = []
        self.twin = {"desired": {"$version": 1, "telemetry_interval": 3},
                     "reported": {"$version": 1}}
        self.event = threading.Condition()
        super().__init__(tcp_listener(port))

    # --- what the test calls ---

    def wait_for(self, predicate, timeout: float, what: str):
        deadline = time.time() + timeout
        with self.event:
            while True:
                result = predicate()
                if result:
                    return result
                left = deadline - time.time()
                assert left > 0, f"timed out waiting for {what}; violations: {self.violations}"
                self.event.wait(min(left, 0.5))

    def accepted(self):
        with self.event:
            return [c for c in self.connections if c.accepted_at is not None]

    def current(self) -> Connection:
        live = [c for c in self.accepted() if c.closed_by is None]
        assert live, "no live device connection"
        return live[-1]

    def send_desired(self, patch: dict) -> int:
        """Patches the desired properties; returns the new version."""
        with self.event:
            version = self.twin["desired"]["$version"] + 1
            self.twin["desired"].update(patch)
            self.twin["desired"]["$version"] = version
        body = dict(patch, **{"$version": version})
        self.current().publish(f"$iothub/twin/PATCH/properties/desired/?$version={version}",
                               json.dumps(body).encode())
        return version

    def invoke_method(self, name: str, payload: bytes, rid: str):
        self.current().publish(f"$iothub/methods/POST/{name}/?$rid={rid}", payload)

    def send_c2d(self, properties: str, payload: bytes) -> tuple:
        """A QoS 1 cloud-to-device message; (connection, packet id) for its PUBACK."""
        conn = self.current()
        return conn, conn.publish(f"devices/{self.device_id}/messages/devicebound/{properties}",
                                  payload, qos=1)

    # --- the server ---

    def _serve_once(self):
        raw, _ = self.sock.accept()
        threading.Thread(target=self._handle, args=(raw,), daemon=True).start()

    def _record(self, fn):
        with self.event:
            fn()
            self.event.notify_all()

    def _violation(self, conn, text):
        self._record(lambda: self.violations.append(f"connection {conn.number}: {text}"))

    def _handle(self, raw):
        raw.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        # Short reads, so that one thread can also send and watch the token's expiry.
        tls.settimeout(0.1)
        with self.event:
            conn = Connection(self, tls, len(self.connections) + 1)
            self.connections.append(conn)
        reason = "eof"
        try:
            packets = self._packets(conn)
            kind, flags, body = next(packets)
            if kind != CONNECT:
                raise ValueError(f"first packet type {kind}, want CONNECT")
            if not self._connect(conn, Reader(body)):
                conn.flush()
                return
            for kind, flags, body in packets:
                if kind == DISCONNECT:
                    reason = "device"
                    return
                self._packet(conn, kind, flags, body)
        except TokenExpired:
            # Like the hub: the connection ends when its token expires, with a TLS
            # close_notify before the TCP close.
            reason = "hub-expiry"
            try:
                tls.settimeout(1)
                tls.unwrap()
            except (OSError, ssl.SSLError):
                pass
        except (EOFError, OSError):
            pass  # the device closed the link
        except ValueError as e:  # includes UnicodeDecodeError: a malformed packet
            reason = f"violation: {e}"
            self._violation(conn, str(e))
        finally:
            def close():
                if conn.closed_by is None:
                    conn.closed_by = reason
                    conn.closed_at = time.time()
            self._record(close)
            try:
                tls.close()
            except OSError:
                pass

    def _packets(self, conn):
        """The device's packets (kind, flags, body), sending what waits in the outbox
        between reads; TokenExpired once the accepted token's expiry has passed."""
        buf = bytearray()
        while True:
            conn.flush()
            if conn.expiry is not None and conn.accepted_at and time.time() >= conn.expiry:
                raise TokenExpired()
            try:
                chunk = conn.tls.recv(4096)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            if not chunk:
                raise EOFError("closed")
            buf += chunk
            while (packet_ := split_packet(buf)) is not None:
                yield packet_

    def _connect(self, conn, r: Reader) -> bool:
        if r.string() != "MQTT" or r.u8() != 4:
            raise ValueError("not MQTT 3.1.1")
        flags = r.u8()
        conn.keep_alive = r.u16()
        conn.client_id = r.string()
        if flags & 0x04:
            r.string(), r.binary()  # will topic and message
        conn.user_name = r.string() if flags & 0x80 else None
        conn.token = r.binary().decode() if flags & 0x40 else None
        problems = []
        if conn.client_id != self.device_id:
            problems.append(f"client id {conn.client_id!r}")
        want_user = f"{self.hub_host}/{self.device_id}/?api-version={API_VERSION}"
        if conn.user_name != want_user:
            problems.append(f"user name {conn.user_name!r}, want {want_user!r}")
        if not 1 <= conn.keep_alive <= 1177:
            problems.append(f"keep-alive {conn.keep_alive}")
        if conn.token is None:
            problems.append("no password")
        else:
            conn.expiry, problem = check_sas_token(conn.token, self.hub_host, self.device_id,
                                                   self.key, time.time())
            if problem:
                problems.append(f"SAS token: {problem}")
        if problems:
            conn.refused = "; ".join(problems)
            conn.send(packet(CONNACK, 0, bytes([0, 4])))  # bad user name or password
            self._record(lambda: None)
            return False
        conn.send(packet(CONNACK, 0, bytes([0, 0])))  # no session kept
        self._record(lambda: setattr(conn, "accepted_at", time.time()))
        return True

    def _packet(self, conn, kind, flags, body):
        r = Reader(body)
        if kind == PINGREQ:
            conn.send(packet(PINGRESP, 0, b""))
        elif kind == SUBSCRIBE:
            pid = r.u16()
            granted = []
            while r.at < len(body):
                topic, qos = r.string(), r.u8()
                self._record(lambda: conn.subscriptions.append((topic, qos)))
                granted.append(min(qos, 1))
            conn.send(packet(SUBACK, 0, struct.pack("!H", pid) + bytes(granted)))
        elif kind == PUBACK:
            pid = r.u16()
            self._record(lambda: conn.pubacks.add(pid))
        elif kind == PUBLISH:
            qos, retain = (flags >> 1) & 3, flags & 1
            topic = r.string()
            if qos > 1:
                raise ValueError(f"QoS {qos} PUBLISH to {topic}")  # the hub closes the link
            if retain:
                raise ValueError(f"retained PUBLISH to {topic}")
            if qos:
                conn.send(packet(PUBACK, 0, struct.pack("!H", r.u16())))
            self._publish(conn, topic, r.rest())
        else:
            raise ValueError(f"unexpected packet type {kind}")

    def _publish(self, conn, topic, payload):
        events = f"devices/{self.device_id}/messages/events/"
        m = re.fullmatch(r"\$iothub/twin/GET/\?\$rid=([^&]+)", topic)
        if m:
            rid = m.group(1)
            # The hub answers on $iothub/twin/res/#: a GET before that subscription is lost.
            if not any(f == "$iothub/twin/res/#" for f, _ in conn.subscriptions):
                self._violation(conn, "twin GET before subscribing to $iothub/twin/res/#")
            self._record(lambda: conn.twin_gets.append(rid))
            with self.event:
                twin = json.dumps(self.twin).encode()
            conn.publish(f"$iothub/twin/res/200/?$rid={rid}", twin)
            return
        m = re.fullmatch(r"\$iothub/twin/PATCH/properties/reported/\?\$rid=([^&]+)", topic)
        if m:
            rid = m.group(1)
            try:
                patch = json.loads(payload)
                assert isinstance(patch, dict)
            except (ValueError, AssertionError):
                conn.publish(f"$iothub/twin/res/400/?$rid={rid}", b"")
                self._violation(conn, f"reported patch is not a JSON object: {payload!r}")
                return
            with self.event:
                reported = self.twin["reported"]
                reported.update(patch)
                reported["$version"] += 1
                version = reported["$version"]
                conn.reports.append((rid, patch))
                self.event.notify_all()
            conn.publish(f"$iothub/twin/res/204/?$rid={rid}&$version={version}", b"")
            return
        m = re.fullmatch(r"\$iothub/methods/res/(\d+)/\?\$rid=([^&]+)", topic)
        if m:
            status, rid = int(m.group(1)), m.group(2)
            self._record(lambda: conn.method_replies.__setitem__(rid, (status, payload)))
            return
        if topic.startswith(events):
            self._record(lambda: conn.telemetry.append((topic, payload)))
            return
        self._violation(conn, f"PUBLISH to a topic IoT Hub does not take: {topic}")
