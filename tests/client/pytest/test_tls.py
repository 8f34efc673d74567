# SPDX-License-Identifier: Apache-2.0
"""TLS against a mosquitto TLS listener with certificates made by this build
(scripts/gen-test-certs): the right CA connects, also with mutual TLS; a certificate from another
CA, for another host name, or expired is refused with a clear error, and the device
never reports a connection."""

import os
import shutil

import pytest
from mqtt_fixtures import Broker, broker_log, kconfig, wait_line, websockets


@pytest.fixture()
def certs(build_dir) -> str:
    path = os.path.join(build_dir, "certs")
    assert os.path.exists(os.path.join(path, "ca.pem")), "scripts/gen-test-certs did not run"
    return path


def start(port, certs, name, require_certificate=False, ws=False) -> Broker:
    b = Broker(port, tls=f"{certs}:{name}", require_certificate=require_certificate,
               websockets=ws)
    b.start()
    return b


@pytest.fixture()
def tls_broker(request, broker_port, certs, build_dir):
    name, mutual = request.param
    # wss:// firmware (CONFIG_APP_WEBSOCKET): the same certificates on a websockets listener.
    b = start(broker_port, certs, name, mutual, websockets(build_dir))
    yield b
    b.stop()
    shutil.rmtree(b.dir, ignore_errors=True)


@pytest.mark.parametrize("tls_broker", [("server", False), ("server", True)], indirect=True,
                         ids=["server-auth", "mutual-tls"])
def test_trusted_broker_connects_and_messages_flow(tls_broker, dut, client_id, build_dir,
                                                  wall_clock):
    wait_line(dut, r"on_connect rc=0", 60)
    if wall_clock:
        # dl7450: the clock came from SNTP, or the certificate (valid from today) would
        # have been refused as not yet valid.
        assert wall_clock.requests >= 1
    # The credentials sit in Zephyr's store under CONFIG_ZMQTT_TLS_SEC_TAG_BASE.
    tag = int(kconfig(build_dir, "ZMQTT_TLS_SEC_TAG_BASE"))
    wait_line(dut, rf"sec tag {tag} ca yes certificate yes key yes", 10)
    wait_line(dut, r"on_subscribe mid=\d+ granted=\[2\]", 20)
    wait_line(dut, r"on_publish mid=\d+", 20)  # a QoS 1 tick acknowledged over TLS
    if tls_broker.conf and "require_certificate true" in open(tls_broker.conf).read():
        # mosquitto accepted the client certificate the firmware presented.
        assert "zmqtt-test" in broker_log(tls_broker)


@pytest.mark.parametrize(
    "tls_broker",
    [("other-ca-server", False), ("wrong-host-server", False), ("expired-server", False)],
    indirect=True,
    ids=["wrong-ca", "wrong-hostname", "expired"],
)
def test_untrusted_broker_is_refused_with_a_clear_error(tls_broker, dut):
    # Each attempt is reported to on_connect as a failed TLS handshake (-30), after the log
    # line that says why.
    lines = dut.readlines_until(regex=r"on_connect rc=", timeout=60)
    assert "on_connect rc=-30 " in lines[-1], lines
    assert [l for l in lines if "TLS handshake failed" in l], lines
    # It keeps refusing on every retry, and never connects.
    lines = dut.readlines_until(regex=r"on_connect rc=", timeout=30)
    assert "on_connect rc=-30 " in lines[-1], lines
    assert not [l for l in lines if "on_connect rc=0" in l], lines
