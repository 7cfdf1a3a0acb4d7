#!/usr/bin/env python3
"""The host's side of srv_load_* (test/servers/tests.sh): bad input and load
against test/runtime/net_load_server.c in the guest, on 127.0.0.1 (or a tap in a namespace of the test's own) only.

  load_host.py PORT OUTFILE CHURN [HOST]

HOST is 127.0.0.1 (QEMU's forwarded port) unless given: test/net's
net_tap_load_* gives the guest's own address on a tap.

In order: wait for the guest's "load: listening" line; warm up (50
connections) and read the guest's MemFree (MEM); start a slowloris client
(one byte of an endless line every 0.2 s) and a client that holds an
unfinished line open; garbage TCP payloads (random bytes with and without a
newline, a line over the server's limit, a truncated command and a close,
a connection reset right after a request, connections that vanish without a
word); garbage UDP datagrams (empty, 1 byte, 1472, 8000 and 65507 bytes);
then CHURN connections opened and closed in a loop (half with a PING, half
without a byte); a fresh client must be answered within 2 s throughout.
Then the slowloris connection must still be open and answered, MemFree must
be back within 5% of the start, and QUIT ends the server.

Every wait has a deadline; exit status 0 only when everything checked out.
"""
import os
import random
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import hostcheck  # noqa: E402
from hostcheck import check, problems, verdict  # noqa: E402

DEADLINE = 60.0
HOST = "127.0.0.1"
problems = []


def wait_for_line(path, text, limit):
    end = time.time() + limit
    while time.time() < end:
        try:
            with open(path, errors="replace") as f:
                if text in f.read():
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def connect(port, timeout=10.0):
    # QEMU's forwarded port listens with a backlog of 1: a refused or
    # unanswered connect is retried, within the deadline.
    end = time.time() + DEADLINE
    while True:
        try:
            return socket.create_connection((HOST, port), timeout=timeout)
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.05)


def read_lines(s, n):
    buf = b""
    while buf.count(b"\n") < n:
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace").split("\n")


def read_line(s):
    return read_lines(s, 1)[0].strip()


def ask(port, line, timeout=10.0):
    s = connect(port, timeout)
    try:
        s.sendall(line.encode() + b"\n")
        return read_line(s)
    finally:
        s.close()


def memfree(port):
    parts = ask(port, "MEM").split()
    if len(parts) != 3 or parts[0] != "MEM":
        raise RuntimeError("MEM answered %r" % " ".join(parts))
    return int(parts[1]), int(parts[2])


def slowloris(port, stop, state):
    try:
        s = connect(port)
        state["sock"] = s
        while not stop.is_set():
            s.send(b"x")
            state["bytes"] += 1
            stop.wait(0.2)
    except OSError as e:
        state["error"] = str(e)


def check(cond, what):
    if not cond:
        problems.append(what)
        print("host: FAIL " + what, flush=True)


def responsive(port, what):
    t = time.time()
    try:
        answer = ask(port, "PING", timeout=5.0)
    except OSError as e:
        answer = "error %s" % e
    took = time.time() - t
    check(answer == "PONG" and took < 2.0, "%s: a fresh client got %r after %.2f s" % (what, answer, took))


def garbage_tcp(port, rnd):
    # Random bytes ending in a newline: one ERR line per line it contains.
    for i in range(20):
        s = connect(port)
        data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 3000))).replace(b"\n", b"") + b"\n"
        s.sendall(data)
        check(read_line(s).startswith("ERR"), "garbage line %d: no ERR" % i)
        s.close()
    # Random bytes, no newline, then close: nothing to answer.
    for i in range(20):
        s = connect(port)
        s.sendall(os.urandom(rnd.randrange(1, 3000)).replace(b"\n", b""))
        s.close()
    # A line past the server's 4 KiB limit: ERR too long, then closed.
    s = connect(port)
    try:
        s.sendall(b"A" * 10000)
    except OSError:
        pass
    check(read_line(s) == "ERR too long", "overlong line not refused")
    s.close()
    # Truncated commands: half a PING, then a close; half a PING, then a reset.
    for cut in (b"PI", b"ME", b"QUI"):
        s = connect(port)
        s.sendall(cut)
        s.close()
    s = connect(port)
    s.sendall(b"MEM\n")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()  # RST while the answer is on its way
    # Clients that connect and vanish: closed at once, or reset at once.
    for i in range(30):
        s = connect(port)
        if i % 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()


def garbage_udp(port):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(3.0)
    got = {}
    for size in (0, 1, 4, 1472, 8000):
        payload = os.urandom(size) if size != 4 else b"PINX"
        answer = None
        for _ in range(5):  # UDP through QEMU may drop one; ask again
            u.sendto(payload, (HOST, port))
            try:
                answer = u.recvfrom(100)[0].decode(errors="replace")
                break
            except socket.timeout:
                pass
        got[size] = answer
        check(answer == "ERR %d" % size, "UDP %d bytes: answered %r" % (size, answer))
    # 65507 bytes: 45 fragments; the guest may drop what it cannot reassemble,
    # but must keep serving.
    u.sendto(os.urandom(65507), (HOST, port))
    u.sendto(b"PING", (HOST, port))
    u.close()


def churn(port, n, stop_check):
    t = time.time()
    for i in range(n):
        s = connect(port)
        if i % 2 == 0:
            s.sendall(b"PING\n")
            if read_line(s) != "PONG":
                check(False, "churn connection %d: no PONG" % i)
                s.close()
                return
        s.close()
        if i % 1000 == 999:
            stop_check("after %d churn connections" % (i + 1))
    print("host: %d connections opened and closed in %.1f s" % (n, time.time() - t), flush=True)


def main():
    global HOST
    port, outfile, n_churn = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    if len(sys.argv) > 4:
        HOST = sys.argv[4]
    if not wait_for_line(outfile, "load: listening", DEADLINE):
        print("host: the guest never said it listens")
        return 1
    rnd = random.Random(7)
    for _ in range(50):
        ask(port, "PING")
    free0, avail0 = memfree(port)
    print("host: MemFree at start %d kB (MemAvailable %d kB)" % (free0, avail0), flush=True)

    stop = threading.Event()
    state = {"bytes": 0}
    slow = threading.Thread(target=slowloris, args=(port, stop, state))
    slow.start()
    idle = connect(port)
    idle.sendall(b"PIN")  # a line never finished, never read

    garbage_tcp(port, rnd)
    responsive(port, "after garbage TCP")
    garbage_udp(port)
    responsive(port, "after garbage UDP")
    churn(port, n_churn, lambda what: responsive(port, what))

    stop.set()
    slow.join(10)
    s = state.get("sock")
    check("error" not in state and s is not None, "slowloris client: %s" % state.get("error"))
    if s is not None:
        try:
            s.sendall(b"\nPING\n")  # ends its endless line: ERR, then PONG
            first, second = (read_lines(s, 2) + ["", ""])[:2]
            check(first.startswith("ERR") and second == "PONG",
                  "slowloris connection after %d bytes: %r %r" % (state["bytes"], first, second))
        except OSError as e:
            check(False, "slowloris connection: %s" % e)
        s.close()
    idle.close()

    time.sleep(1.0)  # the guest's side of the last closes
    free1, avail1 = memfree(port)
    hostcheck.memory_back(free0, free1, "%d connections" % n_churn, " (MemAvailable %d kB)" % avail1)
    check(ask(port, "QUIT") == "BYE", "QUIT not answered")
    return verdict()


if __name__ == "__main__":
    hostcheck.run(main)
