# SPDX-License-Identifier: Apache-2.0
"""The sample against the stand-in hub: SAS credentials checked independently, twin GET and
reported PATCH with their $rid, a desired patch, direct methods, cloud-to-device messages with
a property bag, telemetry, and token renewal over several token lifetimes."""

import json
import urllib.parse

from mqtt_fixtures import kconfig, wait_line

TWIN_FILTERS = {
    "$iothub/twin/res/#",
    "$iothub/twin/PATCH/properties/desired/#",
    "$iothub/methods/POST/#",
}


def test_device_speaks_to_the_hub_and_renews_its_token(hub, dut, build_dir):
    device = kconfig(build_dir, "APP_DEVICE_ID")
    lifetime = int(kconfig(build_dir, "ZMQTT_AZURE_TOKEN_LIFETIME_SEC"))
    renew_permille = int(kconfig(build_dir, "ZMQTT_AZURE_RENEW_PERMILLE"))

    # First connection: valid credentials (checked by the hub), the four subscriptions at
    # QoS 1, then a twin GET, answered with the twin, which the sample prints.
    first = hub.wait_for(lambda: hub.accepted(), 60, "an accepted connection")[0]
    wanted = TWIN_FILTERS | {f"devices/{device}/messages/devicebound/#"}
    hub.wait_for(lambda: {f for f, _ in first.subscriptions} >= wanted, 20, "the subscriptions")
    assert all(qos == 1 for _, qos in first.subscriptions), first.subscriptions
    hub.wait_for(lambda: first.twin_gets, 20, "a twin GET")
    wait_line(dut, r'azure: twin status=200 .*"telemetry_interval": 3', 20)

    # Once it has the twin it reports; the hub answers 204 with the $rid it was sent.
    rid, patch = hub.wait_for(lambda: first.reports, 20, "a reported patch")[0]
    assert patch["telemetry_interval"] == 3 and patch["firmware"].startswith("zmqtt "), patch
    wait_line(dut, rf"azure: reported rid={rid} status=204 version=Some\(2\)", 20)

    # A desired patch reaches on_desired, and the sample acknowledges its version.
    version = hub.send_desired({"telemetry_interval": 5})
    wait_line(dut, rf"azure: desired version={version} .*\"telemetry_interval\": 5", 20)
    hub.wait_for(lambda: any(p.get("desired_version") == version for _, p in first.reports),
                 20, "the report of the desired version")

    # Direct methods: the reply goes to the status topic with the request's $rid.
    hub.invoke_method("echo", b'{"x":1}', "m1")
    status, payload = hub.wait_for(lambda: first.method_replies.get("m1"), 20, "echo's reply")
    assert (status, json.loads(payload)) == (200, {"x": 1})
    hub.invoke_method("reboot", b"{}", "m2")
    status, payload = hub.wait_for(lambda: first.method_replies.get("m2"), 20, "a 404")
    assert status == 404 and "error" in json.loads(payload)

    # Cloud-to-device at QoS 1 with a property bag: encoded names and values, a key alone.
    props = "%24.mid=m-7&colour=dark%20blue&flag"
    conn, pid = hub.send_c2d(props, b"switch on")
    wait_line(dut, r"azure: c2d switch on", 20)
    lines = dut.readlines_until(regex=r"azure: c2d property flag \(no value\)", timeout=10)
    assert any("azure: c2d property $.mid=m-7" in line for line in lines), lines
    assert any("azure: c2d property colour=dark blue" in line for line in lines), lines
    hub.wait_for(lambda: pid in conn.pubacks, 10, "the PUBACK of the C2D message")

    # Telemetry with its property bag, at QoS 1 (acknowledged by the hub).
    topic, body = hub.wait_for(lambda: first.telemetry, 20, "telemetry")[0]
    bag = topic[len(f"devices/{device}/messages/events/"):]
    assert bag == "source=zmqtt%20sample&sample", topic
    assert urllib.parse.unquote(bag.split("&")[0].split("=")[1]) == "zmqtt sample"
    assert "count" in json.loads(body)

    # Renewal, with nothing done by the application: at least two more token lifetimes.
    # Each connection had a new token, valid when it was used (else the hub refuses it), and
    # GETs the twin again; none outlived its token (the hub closes it at expiry).
    conns = hub.wait_for(lambda: len(hub.accepted()) >= 3 and hub.accepted(), 3 * lifetime + 30,
                         "two token renewals")
    for conn in conns[1:3]:
        hub.wait_for(lambda: conn.twin_gets, 20, f"connection {conn.number}'s twin GET")
        hub.wait_for(lambda: {f for f, _ in conn.subscriptions} >= wanted, 20,
                     f"connection {conn.number}'s subscriptions restored")
    tokens = [c.token for c in conns]
    assert len(set(tokens)) == len(tokens), "a token was used twice"
    assert [c.expiry for c in conns] == sorted(c.expiry for c in conns)
    for before, after in zip(conns, conns[1:]):
        assert before.closed_by in ("device", "hub-expiry"), (before.number, before.closed_by)
        assert before.closed_at <= before.expiry + 1, (before.number, before.closed_by)
        assert after.accepted_at - before.closed_at < 10
    closers = [c.closed_by for c in conns[:2]]
    if renew_permille < 1000:
        # The layer renews before expiry: the device closes (DISCONNECT) and reconnects.
        assert closers == ["device", "device"], closers
    else:
        # Renewal at the expiry itself: the hub closes first (se is whole seconds, so it
        # expires up to 1 s before the device's deadline) and the device comes back with a
        # new token; a device deadline that wins by a hair is allowed once.
        assert "hub-expiry" in closers, closers
    # Nothing refused, nothing the hub does not take.
    assert not [c.refused for c in hub.connections if c.refused], hub.connections
    assert hub.violations == []
