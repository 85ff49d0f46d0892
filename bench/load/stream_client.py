#!/usr/bin/env python3
"""Stream load helper for bench/load/stream.sh (standard library only).

fill PORT SECRET N          posts N GitHub-signed events (distinct bodies) over keep-alive
throughput PORT TOKEN N     reads /stream/github?after=0 until N events; prints events/s
idle PORT TOKEN K SECONDS   holds K streams open (each past its ready message) for SECONDS
"""
import hashlib
import hmac
import http.client
import socket
import sys
import threading
import time


def fill(port, secret, n):
    def worker(start, count):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for i in range(start, start + count):
            body = ('{"n":%d,"pad":"%s"}' % (i, "x" * 200)).encode()
            sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            conn.request("POST", "/in/github", body, {
                "X-GitHub-Event": "push", "X-GitHub-Delivery": "d-%d" % i,
                "X-Hub-Signature-256": "sha256=" + sig, "Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                sys.exit("fill: status %d" % r.status)
    threads, per = [], n // 8
    for t in range(8):
        count = per if t < 7 else n - per * 7
        threads.append(threading.Thread(target=worker, args=(t * per, count)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def open_stream(port, token, target):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n"
               % (target, token)).encode())
    return s


def throughput(port, token, n):
    s = open_stream(port, token, "/stream/github?after=0")
    started, seen, tail = time.monotonic(), 0, b""
    while seen < n:
        chunk = s.recv(1 << 20)
        if not chunk:
            sys.exit("throughput: stream ended after %d events" % seen)
        data = tail + chunk
        seen += data.count(b"\nid: ") + (1 if data.startswith(b"id: ") else 0)
        tail = data[-6:]
        seen -= tail.count(b"\nid: ")
    elapsed = time.monotonic() - started
    print("%d events in %.2f s: %.0f events/s" % (n, elapsed, n / elapsed))


def idle(port, token, k, seconds):
    streams = []
    for _ in range(k):
        s = open_stream(port, token, "/stream/github")
        got = b""
        while b"event: ready" not in got:
            chunk = s.recv(4096)
            if not chunk:
                sys.exit("idle: stream refused: %r" % got[:200])
            got += chunk
        streams.append(s)
    print("open %d" % k, flush=True)
    time.sleep(seconds)


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "fill":
        fill(port, sys.argv[3], int(sys.argv[4]))
    elif mode == "throughput":
        throughput(port, sys.argv[3], int(sys.argv[4]))
    else:
        idle(port, sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
