# SPDX-License-Identifier: Apache-2.0
"""on_connect for refused logins, and the credentials provider (zmqtt.client.tuned, built with
CONFIG_APP_CREDENTIALS_PROVIDER: the provider's first call gives the password "stale-token",
the second CONFIG_APP_PASSWORD, the later ones only credentials the client refuses).

- a refusal of provided credentials is retried once, at once, with the provider asked again;
- a second refusal is reported to on_connect with the broker's code, once, and is permanent;
- `reconnect()` asks the provider again and connects anew; when the provider's answers are
  refused (-8 too long, -23 a control character in the user name) the client keeps the
  credentials it had (the broker refuses a CONNECT without them).

The codes expected are those the same broker gives a paho client with the same credentials."""

import os
import re
import subprocess
import threading
import time

import paho.mqtt.client as mqtt
import pytest
from mqtt_fixtures import Broker, broker_log, kconfig, wait_line

# The refusal mosquitto logs for each CONNECT whose credentials it refuses.
REFUSED = "disconnected, not authorised."


def auth_broker(port: int, user: str, password: str) -> Broker:
    """A mosquitto that accepts `user` with `password` only."""
    b = Broker(port)
    passwd = os.path.join(b.dir, "passwd")
    subprocess.run(["mosquitto_passwd", "-b", "-c", passwd, user, password], check=True)
    conf = open(b.conf).read().replace(
        "allow_anonymous true", f"allow_anonymous false\npassword_file {passwd}")
    with open(b.conf, "w") as f:
        f.write(conf)
    b.start()
    return b


@pytest.fixture()
def wrong_password_broker(broker_port, build_dir):
    """Knows the firmware's user name, with a password the firmware never gives."""
    b = auth_broker(broker_port, kconfig(build_dir, "APP_USERNAME"), "not-the-firmware-s")
    yield b
    b.stop()


@pytest.fixture()
def login_broker(broker_port, build_dir):
    """Knows the firmware's user name and CONFIG_APP_PASSWORD."""
    b = auth_broker(broker_port, kconfig(build_dir, "APP_USERNAME"),
                    kconfig(build_dir, "APP_PASSWORD"))
    yield b
    b.stop()


def paho_connack_code(port: int, user: str, password: str) -> int:
    """The MQTT 3.1.1 CONNACK return code the broker gives paho for these credentials."""
    got = threading.Event()
    codes = []
    # Version 1 callbacks: on_connect gets the 3.1.1 return code as the broker sent it.
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, client_id="zmqtt-paho-login",
                         protocol=mqtt.MQTTv311)
    client.username_pw_set(user, password)

    def on_connect(c, userdata, flags, rc):
        codes.append(rc)
        got.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert got.wait(10), "paho got no CONNACK"
    client.loop_stop()
    client.disconnect()
    return codes[0]


def test_a_second_refused_login_is_reported_once_and_not_retried(wrong_password_broker, dut,
                                                                 build_dir):
    user = kconfig(build_dir, "APP_USERNAME")
    line = wait_line(dut, r"on_connect rc=", 30)
    expected = paho_connack_code(wrong_password_broker.port, user,
                                 kconfig(build_dir, "APP_PASSWORD"))
    assert expected in (4, 5), f"mosquitto accepted {user}?"
    assert f"on_connect rc={expected} " in line, line
    # Permanent: beyond the back-off steps (1, 2 s) there is no other attempt.
    time.sleep(5)
    lines = dut.readlines()
    assert not [l for l in lines if "on_connect" in l or "credentials call" in l], lines
    # The broker refused two CONNECTs from the firmware (stale token, then the provider's
    # second answer) and the one of the paho probe.
    assert broker_log(wrong_password_broker).count(REFUSED) == 3, \
        broker_log(wrong_password_broker)


def test_a_refused_stale_token_is_refreshed_and_retried_then_reconnect_asks_again(
    login_broker, dut, build_dir, client_id
):
    user = kconfig(build_dir, "APP_USERNAME")
    lines = dut.readlines_until(regex=r"on_connect rc=", timeout=30)
    assert "on_connect rc=0 " in lines[-1], lines
    # The first attempt's refusal was not reported: the provider was asked again instead.
    calls = [l for l in lines if "credentials call=" in l]
    assert [c.split("call=")[1].strip() for c in calls] == ["1", "2"], lines
    log = broker_log(login_broker)
    assert log.count(REFUSED) == 1, log
    assert len(re.findall(rf"New client connected from \S+ as {client_id} ", log)) == 1, log
    # The broker did refuse that token (paho with it gets a refusal) and takes the fresh one.
    assert paho_connack_code(login_broker.port, user, "stale-token") in (4, 5)
    assert paho_connack_code(login_broker.port, user, kconfig(build_dir, "APP_PASSWORD")) == 0

    wait_line(dut, r"on_subscribe", 20)
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="zmqtt-reconnecter")
    publisher.username_pw_set(user, kconfig(build_dir, "APP_PASSWORD"))
    publisher.connect("127.0.0.1", login_broker.port)
    publisher.loop_start()
    publisher.publish(f"{client_id}/in/reconnect", "now", 1).wait_for_publish(5)
    publisher.loop_stop()
    publisher.disconnect()
    lines = dut.readlines_until(regex=r"on_connect rc=", timeout=20)
    assert "on_connect rc=0 " in lines[-1], lines
    assert [l for l in lines if "credentials call=3" in l], lines
    # Both answers of the third call were refused, and the attempt used those of the second.
    errors = [l.split("credentials error=")[1].strip() for l in lines if "credentials error=" in l]
    assert errors == ["-8", "-23"], lines
    log = broker_log(login_broker)
    assert len(re.findall(rf"New client connected from \S+ as {client_id} ", log)) == 2, log
