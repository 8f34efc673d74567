# SPDX-License-Identifier: Apache-2.0
"""The sample does what its README says, against a real mosquitto."""

from mqtt_fixtures import wait_line


def test_sample_publishes_after_subscribing_and_again_after_a_message(broker, observer, dut, client_id):
    observer.subscribe(f"{client_id}/interesting/topic/#", 1)
    wait_line(dut, r"on_subscribe: mid=\d+ granted=\[2\]", 60)
    first = observer.wait_for(
        lambda m: m.topic == f"{client_id}/interesting/topic/news", 15, "Hello, World!"
    )
    assert first[0].payload.decode().startswith("Hello, World! at ")
    observer.publish(f"{client_id}/interesting/topic/greeting", "hello sample", 1)
    wait_line(dut, rf"on_message: topic={client_id}/interesting/topic/greeting payload=hello sample")
    # 4 s after a received message the sample publishes again.
    wait_line(dut, r"publish: mid=\d+ payload=Hello, World! at", 10)
