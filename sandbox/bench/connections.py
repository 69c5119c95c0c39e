#!/usr/bin/env python3
"""Connection figures of a running vlens-sandbox (called by connections.sh; standard library).

1. Pipelining at depth 2 on one connection: without TCP_NODELAY each pair of small replies
   waited ~40 ms for the client's delayed ACK (issue 8: 46 req/s).
2. The latency other clients see (CheckEligibility, 4 keep-alive clients, paced), first alone,
   then while SLOWLORIS connections each send one byte of their request head per second and
   reconnect whenever the server closes them.

Loopback only; every phase is bounded in time.
"""

import argparse
import asyncio
import http.client
import socket
import threading
import time


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def read_reply(sock, buffered):
    """Reads one HTTP/1.1 reply with a Content-Length; returns (status, leftover bytes)."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-reply")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        rest += chunk
    return int(head.split(b" ")[1]), rest[length:]


def pipelined(host, port, request, pairs):
    """Requests per second with two requests written at once, `pairs` times, on one socket."""
    sock = socket.create_connection((host, port))
    leftover = b""
    started = time.perf_counter()
    for _ in range(pairs):
        sock.sendall(request + request)
        for _ in range(2):
            status, leftover = read_reply(sock, leftover)
            assert status == 200, status
    elapsed = time.perf_counter() - started
    sock.close()
    return 2 * pairs / elapsed


def measure(host, port, path, headers, seconds, clients, rate):
    """Latencies (ms) of paced GETs from `clients` keep-alive clients for `seconds`."""
    latencies, errors = [], []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        connection = http.client.HTTPConnection(host, port, timeout=10)
        interval = 1.0 / rate
        next_at = time.monotonic()
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                reply = connection.getresponse()
                reply.read()
                ok = reply.status == 200
            except (OSError, http.client.HTTPException) as error:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=10)
                with lock:
                    errors.append(str(error))
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    latencies.append(elapsed)
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


async def slowloris(host, port, count, seconds, stats):
    """`count` connections sending one byte of a request head per second, reopened when closed."""
    deadline = time.monotonic() + seconds
    head = b"GET /api/BusinessRequest/CheckEligibility HTTP/1.1\r\nHost: sandbox\r\nX-Slow: "

    async def one():
        while time.monotonic() < deadline:
            try:
                reader, writer = await asyncio.open_connection(host, port)
            except OSError:
                stats["refused"] += 1
                await asyncio.sleep(1)
                continue
            stats["opened"] += 1
            closed = asyncio.ensure_future(reader.read(1))
            try:
                for byte in head + b"a" * 3600:
                    if time.monotonic() >= deadline:
                        break
                    writer.write(bytes([byte]))
                    await writer.drain()
                    done, _ = await asyncio.wait({closed}, timeout=1)
                    if done:
                        stats["closed by the server"] += 1
                        break
            except OSError:
                stats["closed by the server"] += 1
            closed.cancel()
            writer.close()

    await asyncio.gather(*(one() for _ in range(count)))


def report(label, latencies, errors):
    print(
        f"{label:<34} {len(latencies):6d} requests   p50 {percentile(latencies, 0.5):6.2f} ms   "
        f"p99 {percentile(latencies, 0.99):6.2f} ms   max {max(latencies, default=float('nan')):7.2f} ms"
        f"   errors {len(errors)}"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--slowloris", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    host = "127.0.0.1"
    path = "/api/BusinessRequest/CheckEligibility"
    headers = {"ApiKey": args.api_key, "Authorization": f"Bearer {args.token}"}
    request = (
        f"GET {path} HTTP/1.1\r\nHost: sandbox\r\nApiKey: {args.api_key}\r\n"
        f"Authorization: Bearer {args.token}\r\n\r\n"
    ).encode()

    print(f"pipelining at depth 2, one connection: {pipelined(host, args.port, request, 500):,.0f} req/s")

    latencies, errors = measure(host, args.port, path, headers, args.seconds, 4, 100)
    report("alone (4 clients x 100 req/s)", latencies, errors)

    stats = {"opened": 0, "closed by the server": 0, "refused": 0}
    crowd = threading.Thread(
        target=lambda: asyncio.run(slowloris(host, args.port, args.slowloris, args.seconds + 2, stats))
    )
    crowd.start()
    time.sleep(2)  # let the crowd connect first
    latencies, errors = measure(host, args.port, path, headers, args.seconds, 4, 100)
    report(f"with {args.slowloris} slowloris at 1 byte/s", latencies, errors)
    crowd.join()
    print(
        f"slowloris connections: {stats['opened']} opened, {stats['closed by the server']} "
        f"closed by the server (header-read timeout), {stats['refused']} refused"
    )


if __name__ == "__main__":
    main()
