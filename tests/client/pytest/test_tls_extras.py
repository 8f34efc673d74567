# SPDX-License-Identifier: Apache-2.0
"""The TLS extras cloud brokers need, seen by a TLS peer this test controls: SNI (the URL's
host name), the ALPN list the firmware sets (MqttClient::set_alpn), and session resumption
on reconnect (CONFIG_ZMQTT_TLS_SESSION_CACHE). The peer reads the ClientHello's bytes itself
(RFC 5246 §7.4.1.2, RFC 6066 §3, RFC 7301 §3.1) before Python's ssl module (OpenSSL) takes
the handshake, then passes the MQTT bytes on to a real mosquitto on the next port."""

import os
import select
import socket
import ssl
import struct
import threading

import pytest
from mqtt_fixtures import Broker, FakePeer, tcp_listener, wait_line

# What tests/client/src/lib.rs passes to set_alpn, most preferred first.
FIRMWARE_ALPN = [b"x-amzn-mqtt-ca", b"mqtt"]


def parse_client_hello(record: bytes) -> dict:
    """session id, SNI host names and ALPN names of a ClientHello in one TLS record."""
    assert record[0] == 22, f"not a handshake record: {record[:5]!r}"
    body = record[5:]
    assert body[0] == 1, "not a ClientHello"
    p = 4 + 2 + 32  # handshake header, client_version, random
    sid_len = body[p]
    session_id = body[p + 1:p + 1 + sid_len]
    p += 1 + sid_len
    p += 2 + struct.unpack("!H", body[p:p + 2])[0]  # cipher suites
    p += 1 + body[p]  # compression methods
    end = p + 2 + struct.unpack("!H", body[p:p + 2])[0]
    p += 2
    sni, alpn = [], []
    while p < end:
        kind, length = struct.unpack("!HH", body[p:p + 4])
        data = body[p + 4:p + 4 + length]
        p += 4 + length
        if kind == 0:  # server_name: list length, then (type, length, name)...
            q = 2
            while q < len(data):
                name_len = struct.unpack("!H", data[q + 1:q + 3])[0]
                sni.append(data[q + 3:q + 3 + name_len])
                q += 3 + name_len
        elif kind == 16:  # application_layer_protocol_negotiation
            q = 2
            while q < len(data):
                alpn.append(data[q + 1:q + 1 + data[q]])
                q += 1 + data[q]
    return {"session_id": session_id, "sni": sni, "alpn": alpn}


class TlsPeer(FakePeer):
    """TLS 1.2 on 127.0.0.1:port with the test PKI's server certificate; each connection is
    recorded and its MQTT bytes relayed to mosquitto on upstream_port."""

    def __init__(self, port: int, upstream_port: int, certs: str):
        self.upstream_port = upstream_port
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self.ctx.load_cert_chain(os.path.join(certs, "server.pem"), os.path.join(certs, "server.key"))
        self.ctx.set_alpn_protocols(["x-amzn-mqtt-ca"])
        self.sni_seen = []
        self.ctx.sni_callback = lambda sslobj, name, ctx: self.sni_seen.append(name)
        self.links = []  # per connection: parsed ClientHello, chosen ALPN, session reused
        self.live = []
        self.cut = False
        self.event = threading.Condition()
        super().__init__(tcp_listener(port))

    def _serve_once(self):
        raw, _ = self.sock.accept()
        threading.Thread(target=self._handle, args=(raw,), daemon=True).start()

    def _handle(self, raw):
        raw.settimeout(30)
        # Peek the whole first record (the ClientHello), leaving it for OpenSSL.
        head = raw.recv(5, socket.MSG_PEEK | socket.MSG_WAITALL)
        size = 5 + struct.unpack("!H", head[3:5])[0]
        record = raw.recv(size, socket.MSG_PEEK | socket.MSG_WAITALL)
        hello = parse_client_hello(record)
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as e:
            with self.event:
                self.links.append({"hello": hello, "error": str(e)})
                self.event.notify_all()
            return
        up = socket.create_connection(("127.0.0.1", self.upstream_port))
        with self.event:
            self.links.append({"hello": hello, "alpn": tls.selected_alpn_protocol(),
                               "reused": tls.session_reused})
            self.live.append(tls)
            self.event.notify_all()
        tls.setblocking(False)
        self.cut = False
        try:
            while self.running and not self.cut:
                ready, _, _ = select.select([tls, up], [], [], 0.2)
                if tls in ready or tls.pending():
                    try:
                        data = tls.recv(4096)
                    except ssl.SSLWantReadError:
                        data = None
                    if data == b"":
                        break
                    if data:
                        up.sendall(data)
                if up in ready:
                    data = up.recv(4096)
                    if not data:
                        break
                    tls.setblocking(True)
                    tls.sendall(data)
                    tls.setblocking(False)
        except (OSError, ValueError):
            pass
        finally:
            up.close()
            try:
                # close_notify first: OpenSSL drops a session from its cache when its
                # connection ends without one, and the reconnect could not resume it.
                tls.settimeout(2)
                tls.unwrap().close()
            except (OSError, ValueError):
                tls.close()

    def wait_links(self, n: int, timeout: float = 60):
        with self.event:
            assert self.event.wait_for(lambda: len(self.links) >= n, timeout), \
                f"{len(self.links)} TLS connection(s), expected {n}: {self.links}"
            return self.links[:n]

    def drop_all(self):
        """Ends every relayed connection (with a TLS close), as a broker restart would."""
        with self.event:
            self.cut = True
            self.live.clear()

    def stop(self):
        self.drop_all()
        super().stop()


@pytest.fixture()
def peer(broker_port, build_dir):
    certs = os.path.join(build_dir, "certs")
    upstream = Broker(broker_port + 1)
    upstream.start()
    p = TlsPeer(broker_port, broker_port + 1, certs)
    yield p
    p.stop()
    upstream.stop()


def test_sni_alpn_and_session_resumption_on_reconnect(peer, dut):
    wait_line(dut, r"on_connect rc=0", 60)
    first = peer.wait_links(1)[0]
    # SNI: the URL's host name (CONFIG_APP_BROKER_HOST, "localhost"), on the wire and to OpenSSL.
    assert first["hello"]["sni"] == [b"localhost"], first
    assert peer.sni_seen[0] == "localhost", peer.sni_seen
    # ALPN: the list the firmware set, in its order; the peer chose the one it serves.
    assert first["hello"]["alpn"] == FIRMWARE_ALPN, first
    assert first["alpn"] == "x-amzn-mqtt-ca", first
    assert first["reused"] is False, first
    wait_line(dut, r"on_subscribe mid=\d+ granted=\[2\]", 20)

    peer.drop_all()
    wait_line(dut, r"on_connect rc=0", 30)
    second = peer.wait_links(2)[1]
    # The reconnect offered the first session's id and the peer resumed it (abbreviated
    # handshake: no certificate exchange, no key agreement).
    assert second["hello"]["session_id"], second
    assert second["reused"] is True, second
    assert second["hello"]["sni"] == [b"localhost"] and second["alpn"] == "x-amzn-mqtt-ca"
    wait_line(dut, r"on_subscribe mid=\d+ granted=\[2\]", 20)
