# SPDX-License-Identifier: Apache-2.0
"""A retained message is delivered when the device subscribes."""

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
