#!/usr/bin/env python3
"""The host's side of the network tests (test/net/tests.sh), on 127.0.0.1 only.

  net_host.py ports N               N free TCP+UDP ports, one per line
  net_host.py echo PORT N OUTFILE [HOST]
                                    wait for the guest's "listening" line in
                                    OUTFILE, check UDP echo, then N TCP clients
                                    at once each get their bytes back (HOST:
                                    127.0.0.1, or the guest's fe80::...%IF)
  net_host.py serve PORT READY [HOST]
                                    listen on HOST (127.0.0.1; or an address
                                    of a namespace the test made), then create
                                    the file READY; answer one connection:
                                    read a line, send
                                    "hello from the host: LINE" back, close

Every wait has a deadline; exit status 0 only when everything checked out.
"""
import os
import socket
import sys
import threading
import time

DEADLINE = 90.0
STAGGER = float(os.environ.get("NET_HOST_STAGGER", "0.02"))


def free_ports(n):
    held, ports = [], []
    while len(ports) < n:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
        except OSError:
            t.close()
            u.close()
            continue
        held += [t, u]
        ports.append(port)
    for s in held:
        s.close()
    return ports


def wait_for_line(path, text, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            with open(path, "rb") as f:
                if text.encode() in f.read():
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def udp_echo(host, port):
    info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    u = socket.socket(info[0], socket.SOCK_DGRAM)
    u.settimeout(1.0)
    msg = b"udp datagram to the guest"
    for _ in range(20):
        try:
            u.sendto(msg, info[4])
        except OSError:
            time.sleep(0.5)   # a source address not usable yet (IPv6 DAD)
            continue
        try:
            data, _ = u.recvfrom(2048)
        except socket.timeout:
            continue
        u.close()
        return data == msg
    u.close()
    return False


def tcp_client(host, port, i, results, connected):
    payload = (("client %d " % i) * 400).encode()[:3000 + i]
    try:
        # A burst of 50 simultaneous connects to QEMU's forwarded port got
        # resets on the host side while only ~10 SYNs reached the guest (a
        # pcap of the NIC showed it): QEMU's user network accepts slowly.
        # So the connections open 20 ms apart (NET_HOST_STAGGER seconds: a
        # tap has no such limit); all are open before any sends.
        time.sleep(STAGGER * i)
        c = socket.create_connection((host, port), timeout=30)
        connected.wait(DEADLINE)
        c.sendall(payload)
        c.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            d = c.recv(65536)
            if not d:
                break
            got += d
        c.close()
        results[i] = got == payload or "got %d of %d bytes" % (len(got), len(payload))
    except OSError as e:
        results[i] = str(e)


def echo(port, n, outfile, host):
    if not wait_for_line(outfile, "echo: listening", DEADLINE):
        print("host: the guest never said it listens")
        return 1
    ok = True
    if udp_echo(host, port):
        print("host: udp echo ok")
    else:
        print("host: udp echo FAILED")
        ok = False
    results = [None] * n
    connected = threading.Barrier(n, timeout=DEADLINE)
    threads = [threading.Thread(target=tcp_client, args=(host, port, i, results, connected)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE)
    bad = [(i, r) for i, r in enumerate(results) if r is not True]
    if bad:
        print("host: %d of %d tcp clients failed, first: %s" % (len(bad), n, bad[0]))
        ok = False
    else:
        print("host: %d concurrent tcp clients echoed ok" % n)
    return 0 if ok else 1


def serve(port, ready, host="127.0.0.1"):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(1)
    open(ready, "w").close()
    s.settimeout(DEADLINE)
    try:
        c, _ = s.accept()
    except socket.timeout:
        print("host: nobody connected")
        return 1
    c.settimeout(30)
    line = b""
    while not line.endswith(b"\n"):
        d = c.recv(1024)
        if not d:
            break
        line += d
    c.sendall(b"hello from the host: " + line)
    c.close()
    s.close()
    print("host: served " + line.decode(errors="replace").strip())
    return 0


def main():
    cmd = sys.argv[1]
    if cmd == "ports":
        for p in free_ports(int(sys.argv[2])):
            print(p)
        return 0
    if cmd == "echo":
        host = sys.argv[5] if len(sys.argv) > 5 else "127.0.0.1"
        return echo(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], host)
    if cmd == "serve":
        return serve(int(sys.argv[2]), sys.argv[3], *sys.argv[4:5])
    print("net_host.py: unknown command " + cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main())
