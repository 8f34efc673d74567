# SPDX-License-Identifier: Apache-2.0
"""Retained messages both ways: one kept by the broker reaches the device when it subscribes,
with the retain flag set (MQTT 3.1.1 §3.3.1.3) and the QoS of publisher and subscription's
minimum (§3.8.4); one the device publishes retained is kept by the broker for later
subscribers."""

import paho.mqtt.client as mqtt
import pytest
from mqtt_fixtures import Observer, wait_line


@pytest.fixture()
def retained(broker, client_id):
    publisher = Observer(broker.port, "zmqtt-retainer").connect()
    publisher.publish(f"{client_id}/in/config", "kept by the broker", 1, retain=True)
    publisher.close()


def test_retained_message_arrives_on_subscribe(broker, retained, dut, client_id):
    wait_line(dut, rf"on_message topic={client_id}/in/config payload=kept by the broker")
    # Published at QoS 1, subscribed at QoS 2: delivered at QoS 1, from the retained store.
    wait_line(dut, r"message qos=1 retain=1 dup=0", 5)


def test_a_message_the_device_publishes_retained_is_kept_for_later_subscribers(
    broker, observer, dut, client_id
):
    wait_line(dut, r"on_subscribe mid=\d+ granted=\[2\]", 60)
    observer.publish(f"{client_id}/in/retain", "kept for later", 1)
    # The trigger itself is live, not retained.
    wait_line(dut, r"message qos=1 retain=0 dup=0", 20)
    wait_line(dut, r"retain mid=\d+", 10)
    wait_line(dut, r"on_publish mid=\d+", 10)
    # A subscriber that comes afterwards gets it from the broker's store, flagged retained.
    later = Observer(broker.port, "zmqtt-later").connect()
    later.subscribe(f"{client_id}/out/retained", 1)
    got = later.wait_for(lambda m: m.topic == f"{client_id}/out/retained", 10, "the retained message")
    later.close()
    assert got[0].payload == b"kept for later"
    assert got[0].retain
