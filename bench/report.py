# SPDX-License-Identifier: Apache-2.0
"""Writes BENCHMARKS.md and bench/results/benchmarks.png from the JSON files of one run.

Called as `bench.py report` by scripts/bench. Keeps the "## Codec throughput" section that
scripts/bench-codec wrote into BENCHMARKS.md during the same run. Every number written here
comes from those files; where a step did not run or failed, the report says so instead.
"""

import json
import os
import pathlib
import re

import bench
from bench import MESSAGES, WINDOW, read_json

PROFILES = ("small", "default", "full")
PROFILE_TEXT = {
    "small": "small: MQTT 3.1.1, QoS ≤ 1, 256 B buffers",
    "default": "default: the Kconfig defaults (3.1.1, QoS ≤ 2, 1 KiB buffers)",
    "full": "full: MQTT 5.0 + 3.1.1, TLS",
}
# The C image each profile's whole image is compared with.
C_IMAGE = {"small": "c", "default": "c", "full": "c-tls"}


def kib(n):
    return f"{n / 1024:.1f} KiB"


def status(name):
    """Why a step produced no result (written by scripts/bench), or None."""
    s = read_json(f"status-{name}")
    return s.get("error") if s else None


def missing(name):
    """What to print in place of a number that this run did not produce."""
    return status(name) or "not measured in this run"


def ratio_verdict(value, limit, higher_is_better=False):
    ok = value >= limit if higher_is_better else value <= limit
    return "met" if ok else "missed"


# ----- sections --------------------------------------------------------------------------------

def header(meta):
    if not meta:
        return "# Benchmarks\n\nNo metadata: scripts/bench did not record this run.\n"
    tools = ", ".join(f"{k} `{v}`" for k, v in meta["tools"].items())
    load = " / ".join(f"{x:.1f}" for x in meta["load"])
    elapsed = os.environ.get("BENCH_ELAPSED")
    reused = int(os.environ.get("BENCH_REUSED", "0"))
    took = ""
    if elapsed:
        ccache = ("; Zephyr compiles its C through ccache, which is installed here"
                  if os.environ.get("BENCH_CCACHE") == "1" else "")
        took = f" The run took {int(elapsed) // 60} min {int(elapsed) % 60} s" + (
            f", reusing {reused} Zephyr build directories an earlier run left in `build/bench/` (a run from "
            f"clean builds them first{ccache})." if reused else f", building everything from clean{ccache}.")
    return f"""# Benchmarks

Every number on this page comes from one run of

```sh
{meta['command']}
```

on {meta['date']} at commit `{meta['commit']}`, on {meta['machine']}. The machine is shared
with other jobs (load average {load} when the run started), so throughput numbers carry noise:
each is the median of several runs, and the raw runs are in `bench/results/results.json`.
Builds and benchmarks ran under `nice -n 10`, one at a time.{took}

Tools: {tools}.

![Footprint and throughput, this run](bench/results/benchmarks.png)
"""


def targets_table(fp, scen, sim, host):
    rows = []

    # Client flash per profile.
    for profile, limit in bench.TARGET_CLIENT_FLASH.items():
        e = fp.get(profile)
        name = f"Client flash, {profile} profile ≤ {limit / 1000:g} KB"
        if not e:
            rows.append((name, missing(f"elf-{profile}"), "not measured"))
            continue
        v = e["client"]["flash"]
        verdict = "met" if v <= limit else f"missed by {v - limit:,} B ({v / limit:.1f}× the target)"
        rows.append((name, f"{v:,} B", verdict))

    # Whole image against the C sample.
    for kind, limit, label in (("flash", bench.TARGET_IMAGE_FLASH_RATIO, f"flash ≤ {bench.TARGET_IMAGE_FLASH_RATIO}×"),
                               ("ram", bench.TARGET_IMAGE_RAM_RATIO, f"RAM ≤ {bench.TARGET_IMAGE_RAM_RATIO}×")):
        parts, verdicts = [], []
        for profile in PROFILES:
            e, c = fp.get(profile), fp.get(C_IMAGE[profile])
            if not (e and c):
                continue
            r = e["image"][kind] / c["image"][kind]
            parts.append(f"{profile} {r:.2f}×")
            excess = e["image"][kind] - limit * c["image"][kind]
            verdicts.append(f"{profile} met" if r <= limit else f"{profile} missed by {kib(excess)}")
        if parts:
            rows.append((f"Whole image {label} the C sample's (full: with TLS)", ", ".join(parts),
                         ", ".join(verdicts)))

    # Shared scenario.
    if scen:
        by = {r["client"]: r for r in scen["rows"]}
        z = by["zmqtt"]["flash"]
        for peer, limit in (("minimq", bench.TARGET_VS_MINIMQ),):
            r = z / by[peer]["flash"]
            verdict = "met" if r <= limit else f"missed: {r:.2f}× against {limit}× ({kib(z - limit * by[peer]['flash'])} too much)"
            rows.append((f"Shared scenario flash ≤ {limit}× {peer}'s",
                         f"{r:.2f}× ({kib(z)} against {kib(by[peer]['flash'])})", verdict))

    # Throughput.
    for data, limit, label, other in ((sim, bench.TARGET_SIM_RATIO, f"native_sim ≥ {bench.TARGET_SIM_RATIO}× Zephyr's C library", "c"),
                                      (host, bench.TARGET_HOST_RATIO, f"host ≥ {bench.TARGET_HOST_RATIO}× libmosquitto", "mosquitto")):
        if not data:
            rows.append((f"Throughput, {label}", "not measured", "not measured"))
            continue
        ratios = [(r["ratio"], r["qos"], r["size"]) for r in data]
        lo = min(ratios)
        low_cases = [f"QoS {q} {s} B {x:.2f}×" for x, q, s in sorted(ratios) if x < limit]
        verdict = "met in every case" if lo[0] >= limit else f"missed in {len(low_cases)} of {len(ratios)} cases: " + ", ".join(low_cases)
        rows.append((f"Throughput, {label}", f"lowest {lo[0]:.2f}× (QoS {lo[1]}, {lo[2]} B)", verdict))

    out = "| target | measured | verdict |\n|---|---|---|\n"
    out += "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    return "## Targets\n\n" + out + "\n\nWhere a target is missed, [Why targets are missed](#why-targets-are-missed) says why.\n"


def footprint_section(fp):
    s = ["## Footprint on dl7450\n"]
    s.append(f"""Each profile is `samples/publisher` built for `dl7450` with `-DEXTRA_CONF_FILE=bench/profiles/<profile>.conf`
({"; ".join(PROFILE_TEXT.values())}). The Rust code is built with the same release profile as the shared
scenario below, opt-level "s", fat LTO, one codegen unit, panic abort, given to cargo as
`CARGO_PROFILE_RELEASE_*` variables; the row "default, as shipped" is the same sample built without them,
with the `[profile.release]` of its own `Cargo.toml` (the same settings today, so the same image). The C comparison is Zephyr's own `samples/net/mqtt_publisher` for `dl7450` with
`bench/zephyr-c-mqtt/mqtt_publisher.conf`, which gives it the network configuration of `samples/publisher`
(IPv4, TCP, sockets, the same static address and socket limits, minimal logging, no network shell); for the full
profile it also gets its own `overlay-tls.conf`, whose TLS settings `bench/profiles/full.conf` copies.
""")
    # Client alone.
    s.append("### The client alone\n")
    s.append("| profile | client flash | codec | engine | driver | glue (Rust + C shim) | client static RAM | its buffers | RAM beyond the buffers |")
    s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for profile in PROFILES:
        e = fp.get(profile)
        if not e:
            s.append(f"| {profile} | {missing('elf-' + profile)} | | | | | | | |")
            continue
        p = e["client_parts"]
        buf = sum(e["buffers"].values()) if e["buffers"] else 0
        s.append(f"| {profile} | {e['client']['flash']} B | {p['codec']['flash']} | {p['engine']['flash']} | "
                 f"{p['driver']['flash']} | {p['glue']['flash']} | {e['client']['ram']} B | {buf} B | "
                 f"{e['client']['ram'] - buf} B |")
    s.append("""
Buffers are the Kconfig-sized memory: `ZMQTT_RX_BUFFER_SIZE` + `ZMQTT_TX_BUFFER_SIZE` +
`ZMQTT_MESSAGE_STORE_SIZE` + `ZMQTT_TOPIC_STORE_SIZE` + `ZMQTT_THREAD_STACK_SIZE` (the client thread's stack).
The split into codec, engine, driver and glue follows symbol names; LTO inlines much of the engine and the codec
into the glue's thread function, so the split shows where code ended up rather than where it was written. The
Zephyr thread runs `zmqtt::driver`, the same loop the host tests run.
""")
    # Whole image.
    s.append("### The whole image\n")
    s.append("| image | flash | static RAM | Rust code in it | client | compared with | flash ratio | RAM ratio |")
    s.append("|---|---:|---:|---:|---:|---|---:|---:|")
    rows = [(p, p, C_IMAGE[p]) for p in PROFILES] + [("default, as shipped", "default-shipped", "c"),
                                                     ("Zephyr C sample", "c", None),
                                                     ("Zephyr C sample + TLS", "c-tls", None)]
    for label, key, cmp_key in rows:
        e = fp.get(key)
        if not e:
            s.append(f"| {label} | {missing('elf-' + key)} | | | | | | |")
            continue
        c = fp.get(cmp_key) if cmp_key else None
        cmp_label = {"c": "C sample", "c-tls": "C sample + TLS"}.get(cmp_key, "")
        fr = f"{e['image']['flash'] / c['image']['flash']:.2f}×" if c else ""
        rr = f"{e['image']['ram'] / c['image']['ram']:.2f}×" if c else ""
        client = f"{e['client']['flash']} B" if e["client"]["flash"] else "—"
        rust = e["link_map"]["rust"]["flash"] if e.get("link_map") else e["rust"]["flash"]
        s.append(f"| {label} | {e['image']['flash']} B | {e['image']['ram']} B | {rust} B | "
                 f"{client} | {cmp_label} | {fr} | {rr} |")
    s.append("""
Flash is `text + data` and static RAM `data + bss` of `arm-none-eabi-size` on `zephyr.elf` (the stacks of
Zephyr's threads are in `bss`). "Rust code in it" is what the link map (`zephyr.map`) places from the Rust
static library `librustapp.a` into flash (code, read-only data, initial values): the client, `core`, compiler
builtins, the `zephyr` crate and the sample, including the anonymous strings and tables no symbol accounts for.
""")
    e = fp.get("default")
    if e:
        s.append("Largest client symbols in the default profile (flash):\n")
        s.append("| bytes | symbol |\n|---:|---|")
        s += [f"| {x['size']} | `{x['name']}` |" for x in e["client_top"]]
        s.append("\nThe client's static RAM in the default profile:\n")
        s.append("| bytes | section | symbol |\n|---:|---|---|")
        s += [f"| {x['size']} | {'.data' if x['type'] in 'dD' else '.bss'} | `{x['name']}` |"
              for x in e["client_ram_symbols"]]
    s.append("""
**Method.** The client is the sum of the sizes `arm-none-eabi-nm -S` gives the symbols of `zephyr.elf` that
belong to it: Rust symbols whose demangled path starts in the `zmqtt` or `zmqtt_zephyr` crate (including trait
impls and drop glue for their types), and the C shim's `zmqtt_*` functions and the module's log registration
(`log_const_zmqtt`). Flash counts code and read-only data (`t`, `r`) and the initial values of
initialised statics (`d`); RAM counts `d` and `b`. This is a lower bound: generic `core` code instantiated for
the client's types and shared code (`core::fmt`, `memcpy`, compiler builtins) are not counted, and client code
that LTO inlined into the sample's own functions counts as the sample's.
""")
    return "\n".join(s)


def scenario_section(scen):
    if not scen:
        return "## Shared scenario on thumbv7m-none-eabi\n\n" + missing("scenario") + "\n"
    s = ["## Shared scenario on thumbv7m-none-eabi\n"]
    s.append("""The same program for every client (`bench/footprint/`, its own workspace): connect with client id, user name,
password and a will (MQTT 5.0, the only version minimq and rust-mqtt speak); subscribe at QoS 2; publish at QoS
0, 1 and 2; then a receive loop that hands each message to the application. Transport and clock are opaque
`extern "C"` functions (one-instruction assembly stubs that LTO cannot see through), so nothing the client does
can be optimised away. Each is a `no_std` binary for `thumbv7m-none-eabi` built with the same release profile
(opt-level "s", fat LTO, one codegen unit, panic abort), linked with `--gc-sections` from `_start`; logging is
compiled out in all three (minimq without `defmt`, rust-mqtt without its `log-level-*` features, zmqtt's `log`
with `max_level_off`); the panic handler is one loop, shared. Flash is `.text + .rodata + .data` of the linked
ELF; "over the harness" subtracts the same program without a client (`baseline`: opening the transport and
echoing what it reads).

Per-instance state is the size of the static holding the client (`nm -S`), separate from the byte buffers it is
given: zmqtt keeps QoS 1/2 messages until acknowledged in a 1 KiB pool inside the instance (and subscriptions, for
restoring them, in 128 B), and gets 1 KiB receive and transmit buffers; minimq gets 1 KiB to receive and 2 KiB to
encode and to keep unacknowledged packets in; rust-mqtt gets a 1 KiB bump buffer for what it receives and encodes
straight to the transport. All allow 8 messages in flight. The async clients' futures live on the stack and are
not counted.

What each does beyond the common part: zmqtt's driver keeps alive, reconnects with back-off, re-subscribes after a
session loss, and can speak 3.1.1 as well; minimq keeps alive and replays in-flight messages; rust-mqtt does neither
(the scenario pings and reconnects for it).
""")
    s.append("| client | crate version | linked flash | over the harness | .text | .rodata | .data + .bss | state per instance | buffers given |")
    s.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in scen["rows"]:
        s.append(f"| {r['client']} | {r['version'] or '—'} | {r['flash']} B | {r['over_baseline']} B | {r['text']} | "
                 f"{r['rodata']} | {r['data'] + r['bss']} | {r['state']} B | {r['buffers']} B |")
    for label, size, note in bench.COREMQTT_CITED:
        s.append(f"| {label} | — | {size / 1024:.1f} KB ({note}) | | | | | | |")
    s.append("""
coreMQTT is not built (its numbers are cited from its published size table: v5, 18.9 KB at -Os with every API kept;
v2.x, 7.0 KB), so it is not part of the targets. Its table measures the library alone, without a transport,
an application or a C library; the Rust numbers include what the scenario pulls in from `core` and compiler
builtins.

Largest functions of each image:
""")
    for r in scen["rows"][1:]:
        s.append(f"- {r['client']}: " + ", ".join(f"`{t['name']}` {t['size']} B" for t in r["top"][:5]))
    s.append("\nFlash with a symbol, per crate (demangled paths; `core::` includes what is instantiated for the client's types):\n")
    for r in scen["rows"][1:]:
        crates = sorted(r["by_crate"].items(), key=lambda kv: -kv[1])
        s.append(f"- {r['client']}: " + ", ".join(f"{k} {v} B" for k, v in crates[:7]))
    s.append("""
`bench_rt` is `block_on`, which holds each async client's scenario future with the client's code inlined into it;
`harness` is `_start` (for zmqtt, with the driver's setup inlined) and the transport stubs.""")
    return "\n".join(s) + "\n"


def throughput_section(sim, host, sim_meta, host_meta):
    s = ["## Throughput\n"]
    s.append(f"""Each run publishes {MESSAGES:,} messages to a local mosquitto with at most {WINDOW} unacknowledged
(QoS 1 and 2), once per QoS and payload size, and counts as done when the last message is delivered: written
(QoS 0), acknowledged by PUBACK (QoS 1) or completed by PUBCOMP (QoS 2). Rates are messages per second of wall
time.

### native_sim/native/64 (offloaded sockets)

Both apps are built for `native_sim/native/64` with the network of `samples/publisher` there
(`bench/zephyr-c-mqtt/net.conf`: the host's sockets through `NET_NATIVE_OFFLOADED_SOCKETS`), speak MQTT 3.1.1
(the only version Zephyr 4.1's library has) and use one connection for all six runs. `bench/zephyr-zmqtt` uses
zmqtt's DL-7450 API, `zmqtt_zephyr::MqttClient`: the application thread publishes while `pending()` is below the
window and waits on a semaphore that `on_publish` gives; the client thread does the I/O. `bench/zephyr-c-mqtt`
drives Zephyr's MQTT library from one thread, the library's intended use: `mqtt_publish` while the window has room,
then `poll` and `mqtt_input` until something is acknowledged, answering PUBREC itself. Its Rust is built with the
size profile above, its C with Zephyr's default `-Os`. Time is taken by `bench/bench.py` from the moment each run's
"bench: start" line reaches it to its "bench: done" line, because native_sim's own clock stands still while code
runs. Median of {sim_meta} runs per app.
""")
    if sim:
        s.append("| QoS | payload | zmqtt msg/s | Zephyr MQTT library msg/s | ratio |\n|---|---:|---:|---:|---:|")
        s += [f"| {r['qos']} | {r['size']} B | {r['zmqtt_rate']:,.0f} | {r['c_rate']:,.0f} | {r['ratio']:.2f}× |" for r in sim]
    else:
        s.append("Not measured: zmqtt " + missing("sim-zmqtt") + "; C library " + missing("sim-c") + ".")
    s.append(f"""
### Host (the ceiling)

`bench/throughput` runs zmqtt's engine with its blocking driver (`zmqtt::driver`) over `std::net::TcpStream`;
it is timed against `mosquitto_pub -l -q <qos> -M {WINDOW}` (libmosquitto) reading the same messages as
{MESSAGES:,} lines on stdin. Both speak MQTT 3.1.1 with Nagle's algorithm on (mosquitto_pub's default), and each
process is timed from start to exit, connect and disconnect included. Median of {host_meta} runs each. At QoS 0
nothing is acknowledged, so a message counts as done once written: those runs measure how fast each client turns
messages into socket writes (zmqtt's from a loop in memory, mosquitto_pub's from lines it reads), not the broker.
""")
    if host:
        s.append("| QoS | payload | zmqtt msg/s | mosquitto_pub msg/s | ratio |\n|---|---:|---:|---:|---:|")
        s += [f"| {r['qos']} | {r['size']} B | {r['zmqtt_rate']:,.0f} | {r['mosquitto_rate']:,.0f} | {r['ratio']:.2f}× |"
              for r in host]
    else:
        s.append(missing("host"))
    return "\n".join(s) + "\n"


def why_section(fp, scen, sim, host):
    s = ["## Why targets are missed\n"]
    d, c = fp.get("default"), fp.get("c")
    small, full = fp.get("small"), fp.get("full")
    if d:
        parts = d["client_parts"]
        s.append(f"""**Client flash.** In the default profile the client is {kib(d['client']['flash'])}: codec
{kib(parts['codec']['flash'])}, engine {kib(parts['engine']['flash'])}, glue {kib(parts['glue']['flash'])} (the glue's
client thread has much of the engine inlined into it). Where it goes:
""")
        details = []
        data_init = sum(x["size"] for x in d["client_ram_symbols"] if x["type"] in "dD")
        if data_init:
            big = max((x for x in d["client_ram_symbols"] if x["type"] in "dD"), key=lambda x: x["size"])
            details.append(f"{data_init} B are the initial values of initialised statics, nearly all of them "
                           f"`{big['name']}` ({big['size']} B): its initial value is not all zeros, so the "
                           "static sits in `.data` and its whole image is stored in flash too, where a "
                           "zero-initialised static in `.bss` would cost nothing")
        g = d.get("client_groups") or {}
        if g.get("Debug/Display impls"):
            details.append(f"{g['Debug/Display impls']} B are `Debug`/`Display` impls of the client's types, "
                           "there for log lines; the `core::fmt` code they call is not even counted")
        if g.get("URL parsing"):
            details.append(f"{g['URL parsing']} B parse the broker URL (`zmqtt::url`)")
        if small:
            sp = small["client_parts"]
            details.append(f"the small profile (3.1.1 only, QoS ≤ 1, 256 B buffers) is "
                           f"{kib(d['client']['flash'] - small['client']['flash'])} smaller: Kconfig compiles "
                           "MQTT 5.0 and the QoS 2 state machine out (the core's cargo features `v5` and "
                           f"`qos2`); what is left is the 3.1.1 codec ({kib(sp['codec']['flash'])}), the engine "
                           f"({kib(sp['engine']['flash'])}) and the glue ({kib(sp['glue']['flash'])}); the codec is "
                           "client-role (one writer per packet a client sends, one parser per packet it "
                           "receives), so most of it is inlined into the engine and the driver")
        if full:
            details.append(f"the full profile adds {full['client']['flash'] - d['client']['flash']} B: MQTT 5.0 "
                           "(properties, reason codes, topic aliases, AUTH) and TLS credentials and sockets "
                           "in the glue")
        s += [f"- {x}." for x in details]
        shipped = fp.get("default-shipped")
        if shipped and shipped["image"]["flash"] == d["image"]["flash"]:
            s.append("\nThe sample ships with that size profile (`[profile.release] opt-level = \"s\", "
                     "lto = true, codegen-units = 1` in its `Cargo.toml`), so \"default, as shipped\" is the "
                     "default profile. Applications should set the same: at opt-level 3 without LTO the "
                     "client is larger (55.9 KiB against 36.1 KiB when last measured that way, at "
                     "commit e2b46bc).")
        elif shipped:
            s.append(f"\nBuilt as the sample ships today (opt-level 3, no LTO) the default client is "
                     f"{kib(shipped['client']['flash'])} and the image {kib(shipped['image']['flash'])}, against "
                     f"{kib(d['client']['flash'])} and {kib(d['image']['flash'])} with the size profile: setting "
                     "`[profile.release] opt-level = \"s\", lto = true, codegen-units = 1` in the application's "
                     "`Cargo.toml` is the cheapest saving.")
    if d and c:
        extra_flash = d["image"]["flash"] - c["image"]["flash"]
        lm, clm = d.get("link_map"), c.get("link_map")
        only = sorted(((v, k) for k, v in d["c_flash"].items() if k not in c["c_flash"]), reverse=True)
        c_only = sum(v for k, v in c["c_flash"].items() if k not in d["c_flash"])
        s.append(f"""
**Whole image.** The default image is {kib(extra_flash)} larger than the C sample's.""")
        if lm and clm:
            s.append(f"""Of the image, the link map puts {kib(lm['rust']['flash'])} in the Rust library
(`librustapp.a`): the client ({kib(d['client']['flash'])} counted by symbol above), `core` (formatting, and the
Unicode tables `str`'s `Debug` needs), compiler builtins, the `zephyr` crate, the sample, and
{kib(lm['rust']['rodata'])} of read-only data, mostly anonymous strings and tables that no symbol claims. The rest of
the image, {kib(lm['other']['flash'])}, is about the size of the whole C sample ({kib(clm['other']['flash'])}), whose
MQTT library and application (C symbols the zmqtt image does not have) are {kib(c_only)}. The C the zmqtt image has
and the C sample has not adds up to {kib(sum(v for v, _ in only))}:
{", ".join(f"`{k}` {v} B" for v, k in only[:8])}: among them the eventfd that wakes the client thread,
`getaddrinfo` for the broker's host name, thread join and condition variables. So the ratio is set by the Rust side: the client's own
size, and `core`'s formatting machinery, which the sample's `printkln!` lines pull in (the client's own
log lines are static formats handed to Zephyr's logging, with no `core::fmt`).""")
        dr = d["image"]["ram"] - c["image"]["ram"]
        diff_ram = sorted(((d["c_ram"].get(k, 0) - c["c_ram"].get(k, 0), k)
                           for k in set(d["c_ram"]) | set(c["c_ram"])
                           if d["c_ram"].get(k, 0) != c["c_ram"].get(k, 0)), reverse=True)
        buf = sum(d["buffers"].values()) if d["buffers"] else 0
        s.append(f"""
Static RAM is {dr:+d} B against the C sample. The client has {d['client']['ram']} B, of which {buf} B are its
buffers and its thread's stack; the C sample publishes from `main` with 128-byte MQTT buffers and keeps no message
store, so it cannot queue or resend. The largest C-side differences:
{", ".join(f"`{k}` {v:+d} B" for v, k in diff_ram[:5])}; the other way,
{", ".join(f"`{k}` {v:+d} B" for v, k in sorted(diff_ram)[:4] if v < 0)}.""")
    if scen:
        by = {r["client"]: r for r in scen["rows"]}
        z, m, r = by["zmqtt"], by["minimq"], by["rust-mqtt"]
        s.append(f"""
**Shared scenario.** zmqtt's scenario links to {kib(z['flash'])} against minimq's {kib(m['flash'])} and
rust-mqtt's {kib(r['flash'])}: {z['flash'] / m['flash']:.2f}× minimq's, where the target is {bench.TARGET_VS_MINIMQ}×.
Its largest functions are the driver's turn and transmit with the engine inlined
({", ".join(f"`{t['name']}` {t['size']} B" for t in z['top'][:3])}). The difference with minimq is what zmqtt does
that minimq leaves out: both protocol versions in one build (3.1.1 and 5.0, chosen at run time), the message
pool with an ordered queue and resend after reconnect, subscriptions remembered and restored after a session
loss, reconnect back-off, and validation of every topic, property and reason code on the way in.""")
    if sim:
        lows = [x for x in sim if x["ratio"] < bench.TARGET_SIM_RATIO]
        if lows:
            s.append(f"""
**native_sim throughput.** zmqtt is below {bench.TARGET_SIM_RATIO}× Zephyr's library in {len(lows)} of {len(sim)} cases
({", ".join(f"QoS {x['qos']} {x['size']} B {x['ratio']:.2f}×" for x in lows)}). Every message
through `MqttClient` crosses two threads: `publish` copies it into the engine's store under a mutex and wakes the
client thread through an eventfd, the client thread writes it and, when it is delivered, calls `on_publish`, which
here gives a semaphore to wake the application thread. The C library is called from one thread and writes
straight from `mqtt_publish`, with no copy and no store, so it cannot resend after a reconnect. Under native_sim
every thread switch and every `poll` through the offloaded sockets costs a round through the simulator.""")
    if host:
        lows = [x for x in host if x["ratio"] < bench.TARGET_HOST_RATIO]
        if lows:
            s.append(f"""
**Host throughput.** zmqtt is below {bench.TARGET_HOST_RATIO}× libmosquitto in {len(lows)} of {len(host)} cases:
{", ".join(f"QoS {x['qos']} {x['size']} B ({x['ratio']:.2f}×)" for x in lows)}.""")
    if len(s) == 1:
        s.append("Every target was met in this run.")
    return "\n".join(s) + "\n"


# ----- chart -----------------------------------------------------------------------------------

def chart(fp, scen, sim, host, codec):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(18, 10.5))
    fig.suptitle("zmqtt benchmarks (scripts/bench; details and method in BENCHMARKS.md)", fontsize=14)
    colors = {"zmqtt": "#1f77b4", "other": "#ff7f0e", "third": "#2ca02c", "cited": "#bbbbbb"}

    ax = axes[0][0]
    profs = [p for p in PROFILES if fp.get(p)]
    vals = [fp[p]["client"]["flash"] / 1024 for p in profs]
    bars = ax.bar(profs, vals, color=colors["zmqtt"])
    ax.bar_label(bars, fmt="%.1f")
    for p, limit in bench.TARGET_CLIENT_FLASH.items():
        if p in profs:
            i = profs.index(p)
            ax.hlines(limit / 1024, i - 0.4, i + 0.4, colors="red", linestyles="--")
            ax.text(i, limit / 1024, f"target {limit / 1000:g} KB", color="red", ha="center", va="bottom",
                    backgroundcolor="white")
    ax.set_title("Client alone on dl7450: flash (KiB)")
    ax.margins(y=0.08)
    ax.set_ylabel("KiB")

    ax = axes[0][1]
    labels, ours, theirs = [], [], []
    for p in profs:
        c = fp.get(C_IMAGE[p])
        if c:
            labels.append(p)
            ours.append(fp[p]["image"]["flash"] / 1024)
            theirs.append(c["image"]["flash"] / 1024)
    x = range(len(labels))
    b1 = ax.bar([i - 0.2 for i in x], ours, 0.4, label="zmqtt sample", color=colors["zmqtt"])
    b2 = ax.bar([i + 0.2 for i in x], theirs, 0.4, label="Zephyr C mqtt_publisher (full: + TLS)", color=colors["other"])
    ax.bar_label(b1, fmt="%.0f")
    ax.bar_label(b2, fmt="%.0f")
    for i, t in enumerate(theirs):
        ax.hlines(t * bench.TARGET_IMAGE_FLASH_RATIO, i - 0.4, i + 0.4, colors="red", linestyles="--")
    ax.set_xticks(list(x), labels)
    ax.set_title(f"Whole dl7450 image: flash (KiB); red: {bench.TARGET_IMAGE_FLASH_RATIO}× C target")
    ax.margins(y=0.12)
    ax.legend(loc="upper left", fontsize=9)

    ax = axes[0][2]
    if scen:
        names = [r["client"] for r in scen["rows"][1:]] + [c[0].replace("coreMQTT ", "coreMQTT\n") for c in bench.COREMQTT_CITED]
        vals = [r["flash"] / 1024 for r in scen["rows"][1:]] + [c[1] / 1024 for c in bench.COREMQTT_CITED]
        cols = [colors["zmqtt"], colors["other"], colors["third"]] + [colors["cited"]] * len(bench.COREMQTT_CITED)
        bars = ax.bar(range(len(names)), vals, color=cols)
        ax.bar_label(bars, fmt="%.1f")
        ax.set_xticks(range(len(names)), names, fontsize=9)
        ax.margins(y=0.1)
    ax.set_title("Shared scenario, thumbv7m: linked flash (KiB)")

    for ax, data, other, title in ((axes[1][0], sim, "Zephyr MQTT library (C)", "native_sim: messages/s"),
                                   (axes[1][1], host, "libmosquitto (mosquitto_pub -l)", "Host: messages/s")):
        if data:
            labels = [f"QoS {r['qos']}\n{r['size']} B" for r in data]
            x = range(len(labels))
            okey = "c_rate" if data is sim else "mosquitto_rate"
            b1 = ax.bar([i - 0.2 for i in x], [r["zmqtt_rate"] for r in data], 0.4, label="zmqtt", color=colors["zmqtt"])
            b2 = ax.bar([i + 0.2 for i in x], [r[okey] for r in data], 0.4, label=other, color=colors["other"])
            ax.bar_label(b1, fmt="%.0f", fontsize=7, rotation=90, padding=2)
            ax.bar_label(b2, fmt="%.0f", fontsize=7, rotation=90, padding=2)
            ax.set_xticks(list(x), labels)
            ax.set_yscale("log")
            values = [r["zmqtt_rate"] for r in data] + [r[okey] for r in data]
            ax.set_ylim(min(values) / 3, max(values) * 6)
            ax.legend(loc="upper right", fontsize=9)
        else:
            ax.text(0.5, 0.5, "not measured", ha="center", transform=ax.transAxes)
        ax.set_title(f"{title} ({MESSAGES:,} messages, window {WINDOW})")

    ax = axes[1][2]
    if codec:
        labels = [f"{v} {p}\n{op}" for v, p, op, _ in codec]
        ratios = [r for *_, r in codec]
        ax.barh(range(len(labels)), ratios, color=colors["zmqtt"])
        ax.set_yticks(range(len(labels)), labels, fontsize=6)
        ax.axvline(1, color="black", linewidth=0.8)
        ax.axvline(2, color="red", linestyle="--", linewidth=0.8)
        ax.invert_yaxis()
        ax.set_xlabel("mqttbytes time / zmqtt time (above 1: zmqtt faster; red: 2× target)")
    else:
        ax.text(0.5, 0.5, "not measured", ha="center", transform=ax.transAxes)
    ax.set_title("Codec: zmqtt vs mqttbytes (criterion)")

    fig.tight_layout()
    bench.RESULTS.mkdir(parents=True, exist_ok=True)
    fig.savefig(bench.CHART, dpi=90)


def codec_rows(md_text):
    """(version, packet, op, ratio) rows of the codec section scripts/bench-codec wrote."""
    rows = []
    for m in re.finditer(r"^\| (v[\d.]+) \| (\w+) \| (encode|decode) \| [\d.]+ \| [\d.]+ \| ([\d.]+)× \|$",
                         md_text, re.M):
        rows.append((m.group(1), m.group(2), m.group(3), float(m.group(4))))
    return rows


def main():
    meta = read_json("meta")
    fp = {}
    for name in ("small", "default", "full", "default-shipped", "c", "c-tls"):
        data = read_json(f"elf-{name}")
        if data:
            fp[name] = data
    scen = read_json("scenario")
    sim_z, sim_c = read_json("sim-zmqtt"), read_json("sim-c")
    sim = None
    if sim_z and sim_c:
        sim = []
        for rz, rc in zip(sim_z["runs"], sim_c["runs"]):
            sim.append({"qos": rz["qos"], "size": rz["size"], "zmqtt_rate": rz["rate"], "c_rate": rc["rate"],
                        "ratio": rz["rate"] / rc["rate"], "zmqtt_runs_s": rz["all"], "c_runs_s": rc["all"]})
    host_data = read_json("host")
    host = None
    if host_data:
        host = [dict(r, ratio=r["zmqtt_rate"] / r["mosquitto_rate"]) for r in host_data["runs"]]

    old = bench.MD.read_text() if bench.MD.exists() else ""
    m = re.search(r"^## Codec throughput\n.*?(?=^## |\Z)", old, re.S | re.M)
    codec_md = m.group(0).rstrip() + "\n" if m else "## Codec throughput\n\n" + missing("codec") + "\n"
    codec = codec_rows(codec_md)

    text = "\n".join([
        header(meta),
        targets_table(fp, scen, sim, host),
        footprint_section(fp),
        scenario_section(scen),
        throughput_section(sim, host, sim_z["repeats"] if sim_z else "-", host_data["repeats"] if host_data else "-"),
        codec_md,
        why_section(fp, scen, sim, host),
    ])
    bench.MD.write_text(text.rstrip() + "\n")
    chart(fp, scen, sim, host, codec)

    # The record of this run, committed next to the chart: everything but the per-symbol maps.
    summary = {
        "meta": meta,
        "footprint": {k: {kk: vv for kk, vv in v.items() if kk not in ("c_flash", "c_ram")} for k, v in fp.items()},
        "scenario": scen,
        "native_sim": sim,
        "host": host,
        "codec": [{"version": v, "packet": p, "op": o, "ratio": r} for v, p, o, r in codec],
        "status": {p.stem[len("status-"):]: json.loads(p.read_text()) for p in bench.OUT.glob("status-*.json")},
    }
    (bench.RESULTS / "results.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    print(f"wrote {bench.MD} and {bench.CHART}")
