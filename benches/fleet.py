#!/usr/bin/env python3
"""Whole-process scale benchmarks (docs/ARCHITECTURE.md, "Budgets"): wsmon's headless
`watch` and the floor (examples/floor.rs: bare tokio-tungstenite holding the
same sockets and nothing else), one after the other against the same local
fleet (examples/load_fleet.rs), in one run; the real TUI in a pseudo-terminal
during a 1012 storm; and the in-process figures from `cargo bench --bench
budgets` (criterion). Prints a Markdown table, medians of --runs.

    python3 benches/fleet.py                     # everything (about 10 minutes)
    python3 benches/fleet.py --runs 1 --no-criterion --sizes 1000   # a quick look
    python3 benches/fleet.py --log-volume-only   # session log bytes, about 70 s
    python3 benches/fleet.py --metrics ...       # also wsmon serving --metrics, side by side

Measured with /proc only: VmRSS from /proc/PID/status, utime + stime from
/proc/PID/stat; storm recovery is timed by the fleet (from the storm until
every connection has completed a new WebSocket handshake), the same clock
for both clients.
"""

import argparse
import os
import pty
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import fcntl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release")
SETTLE_S = 3.0
CPU_WINDOW_S = 30.0
TICKS = os.sysconf("SC_CLK_TCK")


def build():
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "--bin", "wsmon", "--example", "load_fleet", "--example", "floor"],
        cwd=ROOT,
        check=True,
    )


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the whole line.
    return (int(fields[11]) + int(fields[12])) / TICKS


class Fleet:
    def __init__(self):
        self.proc = subprocess.Popen(
            [os.path.join(TARGET, "examples", "load_fleet"), "--ports", "4"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        first = self.proc.stdout.readline().split()
        assert first[0] == "ports", first
        self.ports = [int(port) for port in first[1:]]

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def read_until(self, pattern):
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the fleet stopped")
            match = re.match(pattern, line)
            if match:
                return match

    def expect_open(self, count):
        """Milliseconds until `count` connections are open."""
        self.send(f"expect {count}")
        return int(self.read_until(r"open \d+ after (\d+) ms").group(1))

    def storm(self):
        """Milliseconds from the 1012 storm until the expected count is open again."""
        self.send("storm")
        return int(self.read_until(r"open \d+ after (\d+) ms").group(1))

    def wait_empty(self, timeout_s=60):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.send("count")
            if int(self.read_until(r"count (\d+)").group(1)) == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("connections still open after the client stopped")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def write_profile(config_dir, ports, count):
    os.makedirs(os.path.join(config_dir, "profiles"), exist_ok=True)
    name = f"fleet-{count}"
    with open(os.path.join(config_dir, "profiles", name + ".toml"), "w") as profile:
        for i in range(count):
            profile.write(f'[[connection]]\nname = "c{i}"\nurl = "ws://127.0.0.1:{ports[i % len(ports)]}/"\n\n')
    return name


class Clients:
    def __init__(self, fleet, scratch):
        self.fleet = fleet
        self.env = dict(os.environ, WSMON_CONFIG_DIR=scratch, WSMON_DATA_DIR=scratch)
        self.scratch = scratch

    def command(self, client, count):
        if client == "floor":
            return [os.path.join(TARGET, "examples", "floor"), str(count)] + [str(p) for p in self.fleet.ports]
        profile = write_profile(self.scratch, self.fleet.ports, count)
        command = [os.path.join(TARGET, "wsmon"), "watch", "--json", "--profile", profile]
        # The same watch serving Prometheus metrics (port 0: any free one).
        return command + ["--metrics", "127.0.0.1:0"] if client == "wsmon+metrics" else command

    def measure(self, client, count, storm):
        """RSS with `count` open; with `storm`, also CPU over the window and storm recovery."""
        proc = subprocess.Popen(self.command(client, count), env=self.env, stdout=subprocess.DEVNULL)
        try:
            self.fleet.expect_open(count)
            time.sleep(SETTLE_S)
            figures = {"rss_kib": rss_kib(proc.pid)}
            if storm:
                before = cpu_seconds(proc.pid)
                time.sleep(CPU_WINDOW_S)
                figures["cpu_percent"] = 100 * (cpu_seconds(proc.pid) - before) / CPU_WINDOW_S
                figures["storm_ms"] = self.fleet.storm()
            return figures
        finally:
            proc.kill()
            proc.wait()
            self.fleet.wait_empty()


def frame_gaps(stamps, start, end, same_frame_s=0.003):
    """The longest time between two frames' output within [start, end]; writes
    closer than `same_frame_s` belong to one frame."""
    frames = []
    for stamp in stamps:
        if not frames or stamp - frames[-1][1] > same_frame_s:
            frames.append([stamp, stamp])
        else:
            frames[-1][1] = stamp
    starts = [first for first, _ in frames if start <= first <= end]
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    return (max(gaps) if gaps else float("inf")), len(starts)


def tui_during_storm(fleet, scratch, count):
    """The real TUI, 200x50, in a pseudo-terminal: the longest interval
    between frames from the storm until every connection is back."""
    profile = write_profile(scratch, fleet.ports, count)
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        env = dict(os.environ, WSMON_CONFIG_DIR=scratch, WSMON_DATA_DIR=scratch, TERM="xterm-256color")
        os.execve(os.path.join(TARGET, "wsmon"), ["wsmon", "--profile", profile], env)
    stamps = []
    done = threading.Event()

    def read():
        while not done.is_set():
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                return
            if not data:
                return
            stamps.append(time.monotonic())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        fleet.expect_open(count)
        time.sleep(SETTLE_S)
        start = time.monotonic()
        storm_ms = fleet.storm()
        end = time.monotonic()
        longest, frames = frame_gaps(list(stamps), start, end)
        return {"frame_ms": longest * 1000, "frames": frames, "storm_ms": storm_ms}
    finally:
        os.write(fd, b"q")
        os.waitpid(pid, 0)
        done.set()
        fleet.wait_empty()


def criterion():
    """The in-process budgets from benches/budgets.rs: draw time, apply rate, scrape time."""
    output = subprocess.run(
        ["cargo", "bench", "--locked", "--bench", "budgets"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    figures = {}
    draw = re.search(r"draw one frame.*?time:\s+\[\S+ \S+ (\S+) (\S+)", output, re.S)
    figures["draw"] = f"{draw.group(1)} {draw.group(2)}"
    apply = re.search(r"apply 100,000 events.*?thrpt:\s+\[\S+ \S+ (\S+) (\S+)", output, re.S)
    figures["apply"] = f"{apply.group(1)} {apply.group(2)}"
    scrape = re.search(r"scrape: encode the registry, 10,000 connections\s.*?time:\s+\[\S+ \S+ (\S+) (\S+)", output, re.S)
    figures["scrape"] = f"{scrape.group(1)} {scrape.group(2)}"
    return figures


LOG_CONNECTIONS = 1000
LOG_SECONDS = 60


def log_volume(fleet, scratch):
    """Bytes of session log and of `--json` output (one line per ping) for
    LOG_CONNECTIONS pinging every second for LOG_SECONDS: the RTT volume of
    10,000 connections at 15 s pings."""
    clients = Clients(fleet, scratch)
    sessions = os.path.join(scratch, "sessions")
    before = set(os.listdir(sessions)) if os.path.isdir(sessions) else set()
    profile = write_profile(scratch, fleet.ports, LOG_CONNECTIONS)
    command = [os.path.join(TARGET, "wsmon"), "watch", "--json", "--profile", profile,
               "--ping-interval", "1s", "--duration", f"{LOG_SECONDS}s"]
    with tempfile.TemporaryFile() as out:
        subprocess.run(command, env=clients.env, stdout=out, check=True)
        json_bytes = out.tell()
    fleet.wait_empty()
    (log,) = set(os.listdir(sessions)) - before
    return {"log_bytes": os.path.getsize(os.path.join(sessions, log)), "json_bytes": json_bytes}


def rss_budget(size):
    """The memory budget is set at 10,000 connections; at fewer, costs that
    do not grow with the connections weigh on the ratio."""
    return "≤ 1.15×" if size >= 10_000 else "– (set at 10,000)"


def median(runs, client, key):
    return statistics.median(run[client][key] for run in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1000,10000", help="connection counts; the largest gets the CPU window and the storm")
    parser.add_argument("--no-tui", action="store_true")
    parser.add_argument("--no-criterion", action="store_true")
    parser.add_argument("--log-volume-only", action="store_true", help="only the session log's size")
    parser.add_argument("--metrics", action="store_true", help="also wsmon with --metrics on, side by side")
    args = parser.parse_args()
    if args.log_volume_only:
        build()
        fleet = Fleet()
        try:
            with tempfile.TemporaryDirectory() as scratch:
                volume = log_volume(fleet, scratch)
        finally:
            fleet.stop()
        print_log_volume(volume)
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    build()
    fleet = Fleet()
    results = {size: [] for size in [1] + sizes}
    tui = []
    clients_measured = ("floor", "wsmon", "wsmon+metrics") if args.metrics else ("floor", "wsmon")
    with tempfile.TemporaryDirectory() as scratch:
        clients = Clients(fleet, scratch)
        try:
            for run in range(args.runs):
                for size in results:
                    row = {}
                    for client in clients_measured:
                        row[client] = clients.measure(client, size, storm=size == max(sizes))
                        print(f"run {run + 1} n={size} {client}: {row[client]}", file=sys.stderr)
                    results[size].append(row)
                if run == 0:
                    volume = log_volume(fleet, scratch)
                if not args.no_tui:
                    tui.append(tui_during_storm(fleet, scratch, max(sizes)))
                    print(f"run {run + 1} tui: {tui[-1]}", file=sys.stderr)
        finally:
            fleet.stop()
    in_process = {} if args.no_criterion else criterion()

    def per_connection(client, size):
        base = median(results[1], client, "rss_kib")
        return (median(results[size], client, "rss_kib") - base) / (size - 1)

    print(f"\nMedians of {args.runs} runs; floor and wsmon against the same fleet, one after the other.\n")
    print("| figure | wsmon | floor | wsmon / floor | budget |")
    print("|---|---:|---:|---:|---|")
    for size in sizes:
        ours, floor = per_connection("wsmon", size), per_connection("floor", size)
        print(f"| RSS per connection, N = {size:,} | {ours:.1f} KiB | {floor:.1f} KiB | {ours / floor:.2f}× | {rss_budget(size)} |")
        if args.metrics:
            served = per_connection("wsmon+metrics", size)
            print(f"| RSS per connection with --metrics, N = {size:,} | {served:.1f} KiB | {floor:.1f} KiB | {served / floor:.2f}× | {rss_budget(size)} |")
    top = max(sizes)
    ours, floor = median(results[top], "wsmon", "cpu_percent"), median(results[top], "floor", "cpu_percent")
    print(f"| CPU over {CPU_WINDOW_S:.0f} s, {top:,} open | {ours:.1f} % | {floor:.1f} % | {ours / floor:.2f}× | ≤ 1.25× |")
    ours, floor = median(results[top], "wsmon", "storm_ms"), median(results[top], "floor", "storm_ms")
    print(f"| 1012 storm: all {top:,} open again after | {ours / 1000:.2f} s | {floor / 1000:.2f} s | {(ours - floor) / 1000:+.2f} s | ≤ +1 s |")
    if tui:
        frame = statistics.median(run["frame_ms"] for run in tui)
        back = statistics.median(run["storm_ms"] for run in tui)
        print(f"| TUI: longest frame interval during the storm (all back after {back / 1000:.2f} s) | {frame:.0f} ms | – | – | ≤ 100 ms (10 fps) |")
    if in_process:
        print(f"| `Model::apply` | {in_process['apply']} | – | – | > 1 M events/s |")
        print(f"| draw one frame, 10,000 rows, 200×50 | {in_process['draw']} | – | – | < 2 ms |")
        print(f"| metrics scrape (encode the registry), 10,000 connections | {in_process['scrape']} | – | – | < 5 ms |")
    print_log_volume(volume)


def print_log_volume(volume):
    print(f"| session log, {LOG_CONNECTIONS:,} connections pinging every second for {LOG_SECONDS} s "
          f"(`--json` output, every ping: {volume['json_bytes'] / 1e6:.2f} MB) "
          f"| {volume['log_bytes'] / 1e6:.2f} MB | – | – | ≤ 1 MB |")


if __name__ == "__main__":
    main()
