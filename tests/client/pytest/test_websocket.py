# SPDX-License-Identifier: Apache-2.0
"""What mosquitto cannot show about ws://: the upgrade request (path, subprotocol, Host) and
the frames on the wire, checked by a WebSocket peer written here from RFC 6455 (the
handshake's accept key, the frame layout, masking) and MQTT 3.1.1 §6 (binary frames; an MQTT
packet may span frames and a frame may hold several packets). mosquitto itself carries the
round trips and the restart (test_roundtrip.py, test_reconnect.py)."""

import base64
import hashlib
import socket
import struct
import time

import pytest
from mqtt_fixtures import wait_line

# RFC 6455 §1.3: the server proves it read the key by hashing it with this GUID.
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def read_exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("peer closed")
        data += chunk
    return data


def read_frame(conn: socket.socket):
    """One frame (RFC 6455 §5.2): (fin, opcode, masked, unmasked payload)."""
    b0, b1 = read_exact(conn, 2)
    length = b1 & 0x7F
    if length == 126:
        length = struct.unpack("!H", read_exact(conn, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", read_exact(conn, 8))[0]
    masked = bool(b1 & 0x80)
    key = read_exact(conn, 4) if masked else b"\0\0\0\0"
    payload = bytes(b ^ key[i % 4] for i, b in enumerate(read_exact(conn, length)))
    return bool(b0 & 0x80), b0 & 0x0F, masked, payload


def frame(payload: bytes, opcode: int = 2) -> bytes:
    """A server frame: final, unmasked (servers never mask, §5.1), short length."""
    assert len(payload) < 126
    return bytes([0x80 | opcode, len(payload)]) + payload


class MqttStream:
    """Reassembles the MQTT packets carried in the client's frames."""

    def __init__(self, conn):
        self.conn = conn
        self.buf = b""
        self.frames = []  # (fin, opcode, masked, payload) of every frame read

    def _fill(self):
        f = read_frame(self.conn)
        self.frames.append(f)
        if f[1] in (0, 1, 2):
            self.buf += f[3]
        return f

    def packet(self) -> bytes:
        while True:
            # Fixed header: type byte, then the remaining length (variable byte integer).
            if len(self.buf) >= 2:
                mult, length, i = 1, 0, 1
                while i < len(self.buf):
                    length += (self.buf[i] & 0x7F) * mult
                    mult *= 128
                    if not self.buf[i] & 0x80:
                        break
                    i += 1
                else:
                    self._fill()
                    continue
                if len(self.buf) >= i + 1 + length:
                    pkt, self.buf = self.buf[: i + 1 + length], self.buf[i + 1 + length:]
                    return pkt
            self._fill()

    def packet_of_type(self, kind: int) -> bytes:
        while True:
            pkt = self.packet()
            if pkt[0] >> 4 == kind:
                return pkt


@pytest.fixture()
def listener(broker_port):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", broker_port))
    sock.listen()
    sock.settimeout(60)
    yield sock
    sock.close()


def read_request(conn) -> tuple[str, dict]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(1024)
        assert chunk, f"client closed during the upgrade request: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    assert rest == b"", f"client sent data before the upgrade was answered: {rest!r}"
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers


def test_upgrade_request_and_binary_frames_carry_mqtt_packets_split_and_merged(
        listener, dut, client_id, build_dir):
    conn, _ = listener.accept()
    conn.settimeout(30)
    request_line, headers = read_request(conn)
    # ws://host:port with no path: GET /mqtt, subprotocol mqtt (MQTT 3.1.1 §6).
    assert request_line == "GET /mqtt HTTP/1.1", request_line
    assert headers.get("upgrade", "").lower() == "websocket", headers
    assert headers.get("sec-websocket-protocol") == "mqtt", headers
    assert headers.get("sec-websocket-version") == "13", headers
    # The port is not 80, so the Host header names it (RFC 6455 §4.1).
    assert headers.get("host", "").endswith(f":{listener.getsockname()[1]}"), headers
    accept = base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode() + WS_GUID).digest())
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept +
                 b"\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n")

    stream = MqttStream(conn)
    connect = stream.packet()
    assert connect[0] == 0x10 and b"\x00\x04MQTT\x04" in connect, connect
    fin, opcode, masked, _ = stream.frames[0]
    # Binary, masked as every client frame must be (RFC 6455 §5.3, MQTT 3.1.1 §6).
    assert (fin, opcode, masked) == (True, 2, True), stream.frames[0]

    # CONNACK split across two frames, sent apart: the client must join them.
    conn.sendall(frame(b"\x20\x02"))
    time.sleep(0.3)
    # A ping between the halves (control frames may come between data frames, §5.4)
    # is answered and does not reach the MQTT stream.
    conn.sendall(frame(b"hi", opcode=9))
    time.sleep(0.3)
    conn.sendall(frame(b"\x00\x00"))
    wait_line(dut, r"on_connect rc=0", 20)

    subscribe = stream.packet_of_type(8)
    pid = subscribe[2:4]
    assert any(f[1] == 10 and f[3] == b"hi" for f in stream.frames), \
        f"no pong with the ping's payload among {stream.frames}"
    # SUBACK and a PUBLISH merged in one frame: the client must take both.
    topic = f"{client_id}/in/ws".encode()
    body = struct.pack("!H", len(topic)) + topic + b"merged"
    conn.sendall(frame(b"\x90\x03" + pid + b"\x02" + bytes([0x30, len(body)]) + body))
    wait_line(dut, r"on_subscribe mid=\d+ granted=\[2\]", 20)
    wait_line(dut, rf"on_message topic={client_id}/in/ws payload=merged", 20)
    # Every frame the client sent was a binary (or pong) frame, masked.
    assert all(f[2] and f[1] in (0, 2, 10) for f in stream.frames), stream.frames
    conn.close()


def test_refused_upgrade_is_reported_and_retried(listener, dut):
    for attempt in range(2):
        conn, _ = listener.accept()
        conn.settimeout(30)
        read_request(conn)
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        lines = dut.readlines_until(regex=r"WebSocket upgrade refused", timeout=30)
        assert not [l for l in lines if "on_connect rc=0" in l], lines
        # DL-7450's on_connect reports every failed attempt; a refused upgrade is a connection
        # that could not be made (-28), and the client tries again.
        line = wait_line(dut, r"on_connect rc=", 30)
        assert "on_connect rc=-28 " in line, line
        conn.close()
