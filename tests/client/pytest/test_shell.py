# SPDX-License-Identifier: Apache-2.0
"""The `mqtt` shell command drives the client from the console."""

import re

from mqtt_fixtures import wait_line
from twister_harness import Shell


def said(lines, pattern):
    """The match of pattern in the command's output, or None. The client thread's callback
    lines ("zmqtt-test: ...") can land in the middle of the shell's output, even mid-word:
    take them out first."""
    text = re.sub(r"zmqtt-test: [^\n]*\n", "", "\n".join(lines) + "\n")
    return re.search(pattern, text, re.S)


def test_mqtt_shell_command_publishes_subscribes_and_reports(broker, observer, dut, client_id):
    wait_line(dut, r"on_subscribe", 60)
    sh = Shell(dut, timeout=20)
    assert sh.wait_for_prompt()
    status = sh.exec_command("mqtt status")
    assert said(status, r"(?<!not )connected to mqtt://"), status

    observer.subscribe(f"{client_id}/shell/#", 1)
    out = sh.exec_command(f"mqtt pub {client_id}/shell/out hello-from-shell 1")
    assert said(out, r"publish:.*mid \d+"), out
    got = observer.wait_for(lambda m: m.topic == f"{client_id}/shell/out", 15, "the shell's publish")
    assert got[0].payload == b"hello-from-shell"

    out = sh.exec_command(f"mqtt sub {client_id}/cmd/# 1")
    assert said(out, r"subscribe:.*mid \d+"), out
    observer.publish(f"{client_id}/cmd/x", "to-the-shell-subscription", 1)
    wait_line(dut, rf"on_message topic={client_id}/cmd/x payload=to-the-shell-subscription", 15)

    out = sh.exec_command(f"mqtt unsub {client_id}/cmd/#")
    assert said(out, r"unsubscribe:.*mid \d+"), out
    # The UNSUBACK reaches the application's on_unsubscribe with the same mid (#13 item 7).
    # Waiting for it also keeps its line from splitting the echo of the next command.
    mid = said(out, r"unsubscribe:.*mid (\d+)").group(1)
    if not any(re.search(rf"on_unsubscribe mid={mid}\b", line) for line in out):
        wait_line(dut, rf"on_unsubscribe mid={mid}\b", 15)
    # A wildcard in a topic name is refused with error -21 (wildcard in a topic name).
    out = sh.exec_command(f"mqtt pub {client_id}/bad/# x")
    assert said(out, r"publish failed: -21"), out
