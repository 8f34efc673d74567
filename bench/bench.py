#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Measurements and the report behind scripts/bench.

scripts/bench builds everything (cmake/ninja/cargo, under nice) and calls this module for the
parts that measure or write:

  bench.py elf NAME ELF [DOTCONFIG]     footprint of a Zephyr image (client symbols, whole image)
  bench.py scenario TARGET_DIR LOCK     the shared scenario's images (bench/footprint)
  bench.py host BIN PORT                host throughput: zmqtt's driver vs mosquitto_pub -l
  bench.py sim NAME EXE                 native_sim throughput of one app (zmqtt or Zephyr's C library)
  bench.py meta COMMAND...              machine, date, tool versions, the command
  bench.py report                       BENCHMARKS.md and bench/results/benchmarks.png

Each measuring command writes one JSON file into $BENCH_OUT (build/bench/results); `report`
reads them all, so every number in BENCHMARKS.md comes from the run that wrote them.
"""

import datetime
import json
import os
import pathlib
import platform
import re
import selectors
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
OUT = pathlib.Path(os.environ.get("BENCH_OUT", REPO / "build/bench/results"))
RESULTS = REPO / "bench/results"
CHART = RESULTS / "benchmarks.png"
MD = REPO / "BENCHMARKS.md"

MESSAGES = 20_000
WINDOW = 16
QOS_LEVELS = (0, 1, 2)
SIZES = (64, 1024)
HOST_REPEATS = 3
SIM_REPEATS = 3

# Issue #12's targets (size-first client). KB = 1000 bytes, the stricter reading.
TARGET_CLIENT_FLASH = {"small": 8000, "default": 14000, "full": 14000}
TARGET_IMAGE_FLASH_RATIO = 1.3
TARGET_IMAGE_RAM_RATIO = 1.1
TARGET_VS_MINIMQ = 0.6
# Throughput must not fall below the ratios the issue recorded.
TARGET_SIM_RATIO = 1.5
TARGET_HOST_RATIO = 1.2

# coreMQTT's published sizes: cited, never built (the issue says so).
COREMQTT_CITED = [
    ("coreMQTT v5 (cited)", 18.9 * 1024, "-Os, every API kept; coreMQTT's published size table"),
    ("coreMQTT v2.x (cited)", 7.0 * 1024, "-Os; coreMQTT's published size table"),
]


def write_json(name, data):
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(data, indent=1, sort_keys=True))


def read_json(name):
    path = OUT / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


# ----- footprint of a Zephyr image ---------------------------------------------------------

FLASH_TYPES = set("tTrRdD")  # code, read-only data, and the initial values of .data
RAM_TYPES = set("dDbB")


def symbols(elf):
    """(size, type, raw name, demangled name) of every sized symbol."""
    raw = run(["arm-none-eabi-nm", "-S", "--defined-only", elf]).splitlines()
    dem = run(["arm-none-eabi-nm", "-S", "--defined-only", "-C", elf]).splitlines()
    out = []
    for r, d in zip(raw, dem):
        rf, df = r.split(" ", 3), d.split(" ", 3)
        if len(rf) < 4:
            continue
        out.append((int(rf[1], 16), rf[2], rf[3], df[3]))
    return out


def client_part(raw, name):
    """Which part of the client a symbol belongs to, or None (see BENCHMARKS.md, Method)."""
    if raw.startswith(("_ZN", "_R")):
        # Rust: the crate the item is defined in, or whose type a trait impl or drop glue is for.
        m = re.match(r"^(?:core::ptr::drop_in_place<)?<?(zmqtt(?:_zephyr)?)::(\w+)", name)
        if not m:
            return None
        if m.group(1) == "zmqtt_zephyr":
            return "glue"
        return {"codec": "codec", "driver": "driver"}.get(m.group(2), "engine")
    if name.startswith("zmqtt_") or name == "log_const_zmqtt":
        return "glue"  # the C socket shim and the module's log registration
    return None


# Unmangled (`#[no_mangle]`) Rust functions: Rust code, though nm cannot tell.
RUST_EXPORTS = {"rust_main"}


def link_map_split(path):
    """Bytes per input-section kind (text, rodata, data, bss) that the link map attributes to the
    Rust static library (`librustapp.a`: the client, the sample, `core`, the `zephyr` crate and
    compiler builtins) and to everything else. Unlike symbol sizes, this counts the anonymous
    read-only data (strings, tables) that has no sized symbol."""
    out = {who: {k: 0 for k in ("text", "rodata", "data", "bss", "exidx")} for who in ("rust", "other")}
    text = pathlib.Path(path).read_text(errors="replace")
    if "Linker script and memory map" not in text:
        return None
    pending, discard = None, False
    for line in text.split("Linker script and memory map", 1)[1].splitlines():
        if line.startswith("/DISCARD/"):
            discard = True
            continue
        if line and not line[0].isspace():
            discard = False
        m = re.match(r"^ (\.\S+)\s*$", line)
        if m:
            pending = m.group(1)
            continue
        m = re.match(r"^ (\.\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", line)
        if not m:
            pending = None
            continue
        name, pending = m.group(1) or pending, None
        size = int(m.group(3), 16)
        if discard or not name or not size:
            continue
        kind = next((k for p, k in ((".text", "text"), (".rodata", "rodata"), (".data", "data"),
                                    (".bss", "bss"), (".noinit", "bss"), (".ARM.exidx", "exidx"))
                     if name.startswith(p)), None)
        if kind:
            out["rust" if "librustapp.a(" in m.group(4) else "other"][kind] += size
    for who in out.values():
        who["flash"] = who["text"] + who["rodata"] + who["data"] + who["exidx"]
        who["ram"] = who["data"] + who["bss"]
    return out


def berkeley(elf):
    line = run(["arm-none-eabi-size", "-B", elf]).splitlines()[1].split()
    text, data, bss = (int(x) for x in line[:3])
    return {"flash": text + data, "ram": data + bss, "text": text, "data": data, "bss": bss}


def dotconfig(path):
    values = {}
    if path and pathlib.Path(path).exists():
        for line in pathlib.Path(path).read_text().splitlines():
            m = re.match(r"^(CONFIG_\w+)=(.*)$", line)
            if m:
                values[m.group(1)] = m.group(2).strip('"')
    return values


def cmd_elf(name, elf, config_path=None):
    syms = symbols(elf)
    parts = {p: {"flash": 0, "ram": 0} for p in ("codec", "engine", "driver", "glue")}
    rust = {"flash": 0, "ram": 0}
    client_syms = []
    for size, typ, raw, dem in syms:
        is_rust = raw.startswith(("_ZN", "_R"))
        part = client_part(raw, dem)
        for kind, types in (("flash", FLASH_TYPES), ("ram", RAM_TYPES)):
            if typ in types:
                if is_rust:
                    rust[kind] += size
                if part:
                    parts[part][kind] += size
        if part and typ in FLASH_TYPES | RAM_TYPES:
            client_syms.append((size, typ, dem))
    client_syms.sort(reverse=True)
    # Client flash in a few groups the report explains.
    groups = {"Debug/Display impls": 0, "MQTT 5.0 properties": 0, "URL parsing": 0}
    for size, typ, sym in client_syms:
        if typ not in "tTrR":
            continue
        if " as core::fmt::" in sym:
            groups["Debug/Display impls"] += size
        elif sym.startswith("zmqtt::codec::properties::"):
            groups["MQTT 5.0 properties"] += size
        elif sym.startswith("zmqtt::url::"):
            groups["URL parsing"] += size
    # Non-Rust, non-client symbols by name: the report compares them with the C sample's.
    c_flash, c_ram = {}, {}
    for size, typ, raw, dem in syms:
        if raw.startswith(("_ZN", "_R")) or raw in RUST_EXPORTS or client_part(raw, dem):
            continue
        if typ in "tTrR":
            c_flash[dem] = c_flash.get(dem, 0) + size
        if typ in RAM_TYPES:
            c_ram[dem] = c_ram.get(dem, 0) + size
    cfg = dotconfig(config_path)
    buffers = None
    if "CONFIG_ZMQTT_RX_BUFFER_SIZE" in cfg:
        buffers = {
            k: int(cfg[f"CONFIG_ZMQTT_{k}"])
            for k in ("RX_BUFFER_SIZE", "TX_BUFFER_SIZE", "MESSAGE_STORE_SIZE", "TOPIC_STORE_SIZE",
                      "THREAD_STACK_SIZE")
        }
    data = {
        "name": name,
        "elf": str(elf),
        "image": berkeley(elf),
        "rust": rust,
        "link_map": link_map_split(pathlib.Path(elf).with_suffix(".map")),
        "client_parts": parts,
        "client_groups": groups,
        "client": {k: sum(p[k] for p in parts.values()) for k in ("flash", "ram")},
        "client_top": [
            {"size": s, "type": t, "name": n} for s, t, n in client_syms if t in "tTrR"
        ][:12],
        "client_ram_symbols": [
            {"size": s, "type": t, "name": n} for s, t, n in client_syms if t in RAM_TYPES
        ],
        "buffers": buffers,
        "c_flash": c_flash,
        "c_ram": c_ram,
        "rust_top": [
            {"size": s, "type": t, "name": d}
            for s, t, r, d in sorted(syms, reverse=True)
            if r.startswith(("_ZN", "_R")) and t in "tTrR"
        ][:12],
        "config": {k: v for k, v in cfg.items() if k.startswith(("CONFIG_ZMQTT_", "CONFIG_MBEDTLS"))},
    }
    write_json(f"elf-{name}", data)
    print(f"{name}: image {data['image']['flash']} B flash, {data['image']['ram']} B RAM; "
          f"client {data['client']['flash']} B flash, {data['client']['ram']} B RAM")


# ----- the shared scenario -------------------------------------------------------------------

SCENARIOS = [
    # (binary, label, instance symbols, buffer symbols)
    ("baseline", "harness only", [], []),
    ("zmqtt", "zmqtt", ["ZMQTT_STATE"], ["ZMQTT_RX", "ZMQTT_TX", "ZMQTT_TOPIC"]),
    ("minimq", "minimq", ["MINIMQ_STATE"], ["MINIMQ_RX", "MINIMQ_TX"]),
    ("rust-mqtt", "rust-mqtt", ["RUST_MQTT_STATE", "RUST_MQTT_BUMP"], ["RUST_MQTT_RX"]),
]


def sections(elf):
    out = {}
    for line in run(["arm-none-eabi-size", "-A", elf]).splitlines():
        f = line.split()
        if len(f) >= 2 and f[0].startswith(".") and f[1].isdigit():
            out[f[0]] = int(f[1])
    return out


def by_crate(elf):
    """Flash (code and read-only data with a symbol) per crate, from demangled symbol paths;
    `_start` and the transport stubs count as the harness."""
    out = {}
    for size, typ, raw, dem in symbols(elf):
        if typ not in "tTrR":
            continue
        m = re.match(r"^(?:core::ptr::drop_in_place<)?<?(?:&(?:mut )?)?([A-Za-z_][A-Za-z0-9_]*)::", dem)
        if m:
            crate = m.group(1)
        elif raw.startswith(("_ZN", "_R")):
            crate = "generic impls"
        elif dem.startswith(".L"):
            crate = "anonymous data"
        elif dem == "_start" or dem.startswith("bench_"):
            crate = "harness"
        else:
            crate = "compiler_builtins"  # its unmangled exports: __aeabi_*, memcpy and friends
        out[crate] = out.get(crate, 0) + size
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def lock_versions(lock):
    text = pathlib.Path(lock).read_text()
    return {m.group(1): m.group(2)
            for m in re.finditer(r'name = "([^"]+)"\nversion = "([^"]+)"', text)}


def cmd_scenario(target_dir, lock):
    versions = lock_versions(lock)
    rows = []
    for binary, label, state, buffers in SCENARIOS:
        elf = pathlib.Path(target_dir) / binary
        sec = sections(elf)
        syms = {dem: size for size, _, _, dem in symbols(elf)}
        missing = [s for s in state + buffers if s not in syms]
        if missing:
            sys.exit(f"{elf}: symbols {missing} missing: the scenario was optimised away")
        text, rodata, data, bss = (sec.get(s, 0) for s in (".text", ".rodata", ".data", ".bss"))
        rows.append({
            "client": label,
            "version": versions.get({"zmqtt": "zmqtt", "minimq": "minimq",
                                     "rust-mqtt": "rust-mqtt"}.get(binary, ""), ""),
            "text": text, "rodata": rodata, "data": data, "bss": bss,
            "flash": text + rodata + data,
            "state": sum(syms[s] for s in state),
            "buffers": sum(syms[s] for s in buffers),
            "top": [{"size": size, "name": dem} for size, typ, _, dem in sorted(symbols(elf),
                    reverse=True) if typ in "tT"][:8],
            "by_crate": by_crate(elf),
        })
    base = rows[0]["flash"]
    for r in rows:
        r["over_baseline"] = r["flash"] - base
    write_json("scenario", {"rows": rows})
    for r in rows:
        print(f"{r['client']}: {r['flash']} B flash ({r['over_baseline']} over the harness), "
              f"state {r['state']} B, buffers {r['buffers']} B")


# ----- throughput ----------------------------------------------------------------------------

def timed(cmd, stdin=None):
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=stdin, capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({p.returncode}): {p.stderr.strip()}")
    return elapsed


def cmd_host(binary, port):
    lines = {}
    for size in SIZES:
        path = OUT / f"lines-{size}.txt"
        OUT.mkdir(parents=True, exist_ok=True)
        path.write_text(("x" * size + "\n") * MESSAGES)
        lines[size] = path
    runs = []
    for qos in QOS_LEVELS:
        for size in SIZES:
            zm, mo = [], []
            for rep in range(HOST_REPEATS):
                topic = f"bench/host/{qos}/{size}/{rep}"
                zm.append(timed([binary, "--port", str(port), "--qos", str(qos), "--size",
                                 str(size), "--count", str(MESSAGES), "--topic", topic + "/zmqtt"]))
                with open(lines[size]) as f:
                    mo.append(timed(["mosquitto_pub", "-p", str(port), "-q", str(qos),
                                     "-M", str(WINDOW), "-l", "-t", topic + "/mosquitto"], stdin=f))
            row = {"qos": qos, "size": size, "zmqtt_s": statistics.median(zm),
                   "mosquitto_s": statistics.median(mo), "zmqtt_all": zm, "mosquitto_all": mo}
            row["zmqtt_rate"] = MESSAGES / row["zmqtt_s"]
            row["mosquitto_rate"] = MESSAGES / row["mosquitto_s"]
            runs.append(row)
            print(f"host qos {qos} {size} B: zmqtt {row['zmqtt_rate']:.0f}/s, "
                  f"mosquitto_pub {row['mosquitto_rate']:.0f}/s")
    write_json("host", {"runs": runs, "repeats": HOST_REPEATS})


def sim_once(exe, timeout=300):
    """Runs a native_sim bench app; per (qos, size) the wall time between its start and done lines.

    The app's stdout is line-buffered (the native simulator sets it so), and it is read here
    unbuffered, so each line is timestamped when the app prints it."""
    p = subprocess.Popen([exe, f"--stop_at={timeout}"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    fd = p.stdout.fileno()
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    results, start, log, pending = {}, None, [], b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                raise RuntimeError(f"{exe}: no result within {timeout} s; last lines: {log[-5:]}")
            chunk = os.read(fd, 65536)
            now = time.monotonic()
            if not chunk:
                raise RuntimeError(f"{exe} exited early; last lines: {log[-5:]}")
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                line = raw.decode(errors="replace").rstrip()
                log.append(line)
                if m := re.search(r"bench: start qos=(\d) size=(\d+)", line):
                    start = (int(m.group(1)), int(m.group(2)), now)
                elif m := re.search(r"bench: done qos=(\d) size=(\d+) count=(\d+) failed=(\d+)",
                                    line):
                    qos, size, count, failed = (int(g) for g in m.groups())
                    if not start or (start[0], start[1]) != (qos, size):
                        raise RuntimeError(f"{exe}: done without start: {line}")
                    if count != MESSAGES or failed:
                        raise RuntimeError(f"{exe}: {count} delivered, {failed} failed: {line}")
                    results[(qos, size)] = now - start[2]
                elif "bench: finished" in line:
                    return results
                elif "bench: failed" in line:
                    raise RuntimeError(f"{exe} failed; last lines: {log[-5:]}")
    finally:
        p.kill()
        p.wait()


def cmd_sim(name, exe):
    all_runs = [sim_once(exe) for _ in range(SIM_REPEATS)]
    runs = []
    for qos in QOS_LEVELS:
        for size in SIZES:
            times = [r[(qos, size)] for r in all_runs]
            s = statistics.median(times)
            runs.append({"qos": qos, "size": size, "seconds": s, "all": times, "rate": MESSAGES / s})
            print(f"native_sim {name} qos {qos} {size} B: {MESSAGES / s:.0f}/s")
    write_json(f"sim-{name}", {"runs": runs, "repeats": SIM_REPEATS})


# ----- metadata ------------------------------------------------------------------------------

def first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not found"


def help_version(cmd, pattern):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except OSError:
        return "not found"
    m = re.search(pattern, out.stdout + out.stderr)
    return m.group(0).strip() if m else "unknown"


def cmd_meta(command):
    cpu = "unknown CPU"
    try:
        cpu = re.search(r"model name\s*:\s*(.*)", pathlib.Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s*(\d+)", pathlib.Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    zephyr = "unknown"
    zb = os.environ.get("ZEPHYR_BASE")
    if zb and (pathlib.Path(zb) / "VERSION").exists():
        v = dict(re.findall(r"^(\w+) = (\S*)$", (pathlib.Path(zb) / "VERSION").read_text(), re.M))
        zephyr = f"{v.get('VERSION_MAJOR')}.{v.get('VERSION_MINOR')}.{v.get('PATCHLEVEL')}"
    git = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    write_json("meta", {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "command": " ".join(command),
        "machine": f"{cpu}, {os.cpu_count()} cores, {mem}, {platform.system()} {platform.release()}",
        "commit": git + (" (with uncommitted changes)" if dirty else ""),
        "tools": {
            "rustc": first_line(["rustc", "--version"]),
            "cargo": first_line(["cargo", "--version"]),
            "arm-none-eabi-gcc": first_line(["arm-none-eabi-gcc", "--version"]),
            "gcc (native_sim)": first_line(["gcc", "--version"]),
            "cmake": first_line(["cmake", "--version"]),
            "ninja": first_line(["ninja", "--version"]),
            "mosquitto": first_line(["mosquitto", "-h"]),
            "mosquitto_pub": help_version(["mosquitto_pub", "--help"], r"mosquitto_pub version .*"),
            "Zephyr": zephyr,
        },
        "load": os.getloadavg(),
    })


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "elf":
        cmd_elf(*args)
    elif cmd == "scenario":
        cmd_scenario(*args)
    elif cmd == "host":
        cmd_host(args[0], int(args[1]))
    elif cmd == "sim":
        cmd_sim(*args)
    elif cmd == "meta":
        cmd_meta(args)
    elif cmd == "report":
        import report

        report.main()
    else:
        sys.exit(__doc__)
