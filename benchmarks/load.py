"""Load test: a room of students on every tab at once.

Starts ``python app.py --offline`` on 127.0.0.1 (a free port), then runs ``--clients``
``gradio_client`` sessions for ``--seconds`` each round; every session loops over the
:data:`MIX` (weighted random choice, small sizes, a short think time), waits for the
result and records its latency and its queue wait (from the job's status updates: the
time until the job left the queue). Meanwhile the server's resident memory is read from
``/proc/<pid>/status`` (VmRSS; VmHWM for the peak). A second identical round checks that
memory does not grow: its end RSS should be within 10 % of the first round's end (the
warm level).

    python benchmarks/load.py [--clients 32] [--seconds 60] [--rounds 2] [--app-args "--threads 2"]

Prints a markdown table per round and the RSS summary. Only loopback addresses are used.
Add a tab to the load by adding one :class:`Call` to :data:`MIX`.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gradio_client import Client, handle_file
from gradio_client.utils import Status

from synth.examples import example_path
from synth.translate.lab import lab_models
from synth.weights import default_store

ROOT = Path(__file__).resolve().parent.parent  # where app.py is

RANDOM_CLASS = "(random class per cell)"
TOY = ("ring", None, "gaussian", "non-saturating", 0.002, 0.002, 0)


def _image(name: str) -> Callable[[random.Random], object]:
    return lambda rng: handle_file(str(example_path(name)))


@dataclass(frozen=True)
class Call:
    """One kind of click: the endpoint, how often it is chosen, its arguments.

    ``args(rng)`` returns the positional arguments; ``needs`` are manifest entries that
    must be in the local weights cache (the call is left out of the mix otherwise).
    """

    api_name: str
    weight: float
    args: Callable[[random.Random], tuple]
    needs: tuple[str, ...] = ()
    label: str = ""  # tells two calls of one endpoint apart in the table (e.g. the model)

    @property
    def row(self) -> str:
        return f"{self.api_name} ({self.label})" if self.label else self.api_name


#: The realistic mix over all tabs, at small sizes (what a student clicks first).
#: A new tab adds its clicks here.
MIX: list[Call] = [
    Call("pyramid_texture", 3, lambda rng: (handle_file(str(example_path(rng.choice(["gravel", "grass", "wood"])))), 4, 4, 3, 1.0, "periodic", rng.randrange(100), 128)),
    Call("neural_texture_run", 1, lambda rng: (handle_file(str(example_path("brick"))), "vgg16-caffe", ["conv1_1", "pool1", "pool2", "pool3", "pool4"], 20, 64, rng.randrange(100), False, False, 0, "lbfgs", "avg"), needs=("vgg16-caffe",)),
    Call("style_transfer_run", 1, lambda rng: (handle_file(str(example_path("chelsea"))), handle_file(str(example_path("swirls"))), None, 0.5, "gatys", 64, 0.3, 10, "none", "content", 0, 1.0, 0.0, "lbfgs", "vgg16-caffe", "relu4_2", ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"], rng.randrange(100), 1.0), needs=("vgg16-caffe",)),
    Call("style_transfer_fast", 2, lambda rng: (handle_file(str(example_path(rng.choice(["chelsea", "coffee"])))), handle_file(str(example_path("swirls"))), None, 0.5, 256, "none", rng.choice([0.5, 1.0])), needs=("style/ghiasi-predict", "style/ghiasi-transform")),
    Call("neural_texture_show", 1, lambda rng: (handle_file(str(example_path("fur"))), "vgg16-caffe", "relu2_1", "avg"), needs=("vgg16-caffe",)),
    Call("gan_sample", 4, lambda rng: ("dcgan/faces-64", RANDOM_CLASS, rng.randrange(10_000), 1.0, 16), needs=("dcgan/faces-64",)),
    Call("gan_walk", 1, lambda rng: ("dcgan/faces-64", RANDOM_CLASS, 1.0, "0,1,2,3", 4), needs=("dcgan/faces-64",)),
    Call("gan_interpolate", 1, lambda rng: ("dcgan/faces-64", RANDOM_CLASS, 1.0, rng.randrange(100), rng.randrange(100), "slerp", 8, False), needs=("dcgan/faces-64",)),
    Call("gan2d_step", 2, lambda rng: TOY),
    Call("cyclegan_translate", 2, lambda rng: (handle_file(str(example_path(rng.choice(["chelsea", "coffee"])))), "cyclegan/vintage", 256, False), needs=("cyclegan/vintage",), label="vintage"),
    Call("pix2pix_translate", 1, lambda rng: (handle_file(str(example_path("map"))), "pix2pix/map2sat", "eval", 0, 256), needs=("pix2pix/map2sat",), label="official"),
    # The lab's own models ship in weights/lab: these clicks are in the mix everywhere.
    Call("pix2pix_translate", 1, lambda rng: (handle_file(str(example_path("map"))), "lab/maps-cgan+l1", "paper", rng.randrange(100), 256), label="lab"),
    Call("pix2pix_why_gan_loss", 1, lambda rng: (None, None, rng.choice(["maps", "colour"]), "sample", rng.randrange(64), "final", 0)),
    Call("cyclegan_translate", 1, lambda rng: (handle_file(str(example_path("horses"))), "lab/horse2zebra-gan+cycle+identity", 256, True), label="lab"),
    Call("cyclegan_why_cycle", 1, lambda rng: (None, "sample", rng.randrange(64), rng.choice(["final", *map(str, lab_models("coats")[0].snapshots[:-1])]))),
]

LEFT_QUEUE = {Status.PROCESSING, Status.ITERATING, Status.PROGRESS, Status.FINISHED, Status.SENDING_DATA}


@dataclass
class Sample:
    row: str
    seconds: float
    queue_wait: float | None
    error: str | None


@dataclass
class Round:
    samples: list[Sample] = field(default_factory=list)
    rss_start: int = 0
    rss_peak: int = 0
    rss_end: int = 0
    seconds: float = 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in bytes."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024


def start_app(port: int, app_args: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "app.py", "--offline", "--host", "127.0.0.1", "--port", str(port), *app_args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"app.py exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit(f"app.py did not start in 240 s:\n{log.read_text()[-3000:]}")


def one_call(client: Client, call: Call, rng: random.Random, timeout: float) -> Sample:
    start = time.perf_counter()
    left_queue: float | None = None
    error = None
    try:
        job = client.submit(*call.args(rng), api_name=f"/{call.api_name}")
        while not job.done():
            if left_queue is None and job.status().code in LEFT_QUEUE:
                left_queue = time.perf_counter()
            if time.perf_counter() - start > timeout:
                job.cancel()
                raise TimeoutError(f"no result in {timeout:.0f} s")
            time.sleep(0.05)
        job.result()
    except Exception as err:  # every failure is counted; the message is kept for the report
        error = f"{type(err).__name__}: {err}"[:200]
    end = time.perf_counter()
    wait = (left_queue if left_queue is not None else end) - start if error is None else None
    return Sample(call.row, end - start, wait, error)


def connect(url: str, count: int) -> list[Client]:
    """``count`` sessions, opened one after the other before the clock starts (each reads the
    app's API description once, which is slow and not what a student's browser does)."""
    sessions = []
    for _ in range(count):
        for attempt in range(5):
            try:
                sessions.append(Client(url, verbose=False))
                break
            except Exception:  # a busy server: try again
                if attempt == 4:
                    raise
                time.sleep(2)
    return sessions


def run_round(url: str, pid: int | None, mix: list[Call], sessions: list[Client], seconds: float, think: float, seed: int, timeout: float) -> Round:
    result = Round()
    stop_submitting = threading.Event()
    done_sampling = threading.Event()
    lock = threading.Lock()
    if pid:
        result.rss_start = memory(pid)[0]
    peaks = [result.rss_start]

    def watch() -> None:
        while not done_sampling.is_set():
            peaks.append(memory(pid)[0])
            time.sleep(0.25)

    def student(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        client = sessions[index]
        weights = [call.weight for call in mix]
        time.sleep(rng.uniform(0, min(2.0, seconds / 4)))  # do not all click in the same millisecond
        while not stop_submitting.is_set():
            sample = one_call(client, rng.choices(mix, weights)[0], rng, timeout)
            with lock:
                result.samples.append(sample)
            time.sleep(rng.uniform(0, think))

    watcher = threading.Thread(target=watch, daemon=True) if pid else None
    if watcher:
        watcher.start()
    started = time.perf_counter()
    threads = [threading.Thread(target=student, args=(i,), daemon=True) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop_submitting.set()
    for thread in threads:
        thread.join(timeout + 30)
    result.seconds = time.perf_counter() - started
    done_sampling.set()
    if pid:
        time.sleep(2.0)  # let finished requests release their buffers
        result.rss_end, hwm = memory(pid)
        result.rss_peak = max([*peaks, result.rss_end])
    return result


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def report(rounds: list[Round], mix: list[Call], skipped: list[str], clients: int, seconds: float) -> str:
    mb = 2**20
    lines = []
    for number, rnd in enumerate(rounds, 1):
        total = len(rnd.samples)
        errors = sum(s.error is not None for s in rnd.samples)
        lines += [
            f"### Round {number}: {clients} clients, {seconds:.0f} s (+ drain: {rnd.seconds:.0f} s in all), {total} requests, {errors} errors",
            "",
            "| endpoint | count | errors | p50 s | p95 s | max s | queue wait p50 s | queue wait p95 s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for call in mix:
            samples = [s for s in rnd.samples if s.row == call.row]
            ok = [s.seconds for s in samples if s.error is None]
            waits = [s.queue_wait for s in samples if s.queue_wait is not None]
            lines.append(
                f"| `{call.row}` | {len(samples)} | {len(samples) - len(ok)} | {percentile(ok, 0.5):.2f} | {percentile(ok, 0.95):.2f} | "
                f"{max(ok, default=float('nan')):.2f} | {percentile(waits, 0.5):.2f} | {percentile(waits, 0.95):.2f} |"
            )
        for message in sorted({s.error for s in rnd.samples if s.error})[:5]:
            lines.append(f"\n- error: {message}")
        lines.append("")
    if rounds and rounds[0].rss_end:
        lines += ["| server RSS (MB) | start | peak | end |", "|---|---:|---:|---:|"]
        for number, rnd in enumerate(rounds, 1):
            lines.append(f"| round {number} | {rnd.rss_start / mb:.0f} | {rnd.rss_peak / mb:.0f} | {rnd.rss_end / mb:.0f} |")
        if len(rounds) > 1:
            warm, last = rounds[0].rss_end, rounds[-1].rss_end
            growth = (last - warm) / warm
            lines.append(f"\nEnd RSS of the last round vs the warm level (end of round 1): {growth:+.1%} ({'within' if abs(growth) <= 0.10 else 'OUTSIDE'} 10 %).")
    if skipped:
        lines.append(f"\nLeft out (weights not in the local cache): {', '.join(skipped)}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None, *, mix: list[Call] | None = None) -> int:
    """Run the benchmark; ``mix`` replaces :data:`MIX` (the smoke test uses two cheap calls)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--think", type=float, default=2.0, help="each client waits up to this long between clicks")
    parser.add_argument("--timeout", type=float, default=600, help="a request with no result after this long is an error")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--app-args", default="", help="extra arguments for app.py, e.g. '--threads 2'")
    parser.add_argument("--url", help="load an app that is already running (loopback only; no RSS then)")
    args = parser.parse_args(argv)

    store = default_store()
    wanted = MIX if mix is None else mix
    mix = [call for call in wanted if all(store.availability(name).cached for name in call.needs)]
    skipped = [call.row for call in wanted if call not in mix]
    process = None
    if args.url:
        if not args.url.startswith(("http://127.0.0.1", "http://localhost")):
            parser.error("--url must be a loopback address")
        url, pid = args.url, None
    else:
        port = free_port()
        log = Path(tempfile.mkdtemp(prefix="synth_load_")) / "app.log"
        process = start_app(port, shlex.split(args.app_args), log)
        url, pid = f"http://127.0.0.1:{port}/", process.pid
        print(f"app.py --offline {args.app_args} on {url} (pid {pid}, log {log})", file=sys.stderr)
    try:
        sessions = connect(url, args.clients)
        rounds = []
        for number in range(args.rounds):
            print(f"round {number + 1} of {args.rounds} ...", file=sys.stderr)
            rounds.append(run_round(url, pid, mix, sessions, args.seconds, args.think, args.seed, args.timeout))
        if process and process.poll() is not None:
            print(f"the server died (exit {process.returncode})", file=sys.stderr)
        print(report(rounds, mix, skipped, args.clients, args.seconds))
    finally:
        if process:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0 if all(s.error is None for rnd in rounds for s in rnd.samples) else 1


if __name__ == "__main__":
    sys.exit(main())
