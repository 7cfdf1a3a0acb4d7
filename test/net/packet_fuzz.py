#!/usr/bin/env python3
"""Malformed frames injected on the tap path (test/net/tests.sh,
net_tap_packets_*), run by tap-guest.sh inside the test's namespace against
test/runtime/net_load_server.c in the guest.

  packet_fuzz.py PORT SEED REPORT

From the tap's host side an AF_PACKET socket writes whole Ethernet frames,
which QEMU hands the guest's virtio-net as they are. They come from a made-up
neighbour (FAKE_IP / FAKE_MAC / fe80::9) whose ARP and neighbour questions a
sniffer thread answers, so the guest can talk back; the sniffer also follows
the guest's TCP sequence numbers so every connection a case opened is reset
at its end. Each case sends a bounded number of frames drawn from SEED; after
each one the server must answer a PING on a fresh connection from the
namespace's own stack, and the pith process must be alive. One line per case
is appended to REPORT: case=NAME packets=N kernel_crashes=N (N: the frames
the tap passed on to QEMU, not counting those it dropped). At the end the
guest's MemFree must be back within 5% of its value before the first case,
and QUIT stops the server. PACKET_FUZZ_ROUNDS=N repeats every case N times
in one boot and prints MemFree after each round: a leak shows as a fall
per round (the first round's fall is the kernel heap's high-water mark).

Checks beyond survival: datagrams and SYNs with a bad IP, UDP or TCP checksum
are never answered; well-formed ones from the same neighbour are, so the
injection demonstrably reaches the guest's stack.

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

ETH_P_ALL = 0x0003
ETH_IP, ETH_ARP, ETH_IP6 = 0x0800, 0x0806, 0x86DD
TAP = os.environ.get("TAP", "pithtap0")
GUEST4 = os.environ.get("GUEST4", "192.168.77.2")
GUEST_OUT = os.environ.get("GUEST_OUT", "")
PITH_PID = int(os.environ.get("PITH_PID", "0"))
GUEST_MAC = bytes.fromhex("525400123456")
GUEST_LL6 = socket.inet_pton(socket.AF_INET6, "fe80::5054:ff:fe12:3456")
FAKE_MAC = bytes.fromhex("02000000a909")
FAKE_IP = socket.inet_aton("192.168.77.9")
FAKE_LL6 = socket.inet_pton(socket.AF_INET6, "fe80::9")
G4 = socket.inet_aton(GUEST4)
PACE = 0.002            # seconds between frames: the guest's receive ring is 256 deep
ALIVE_LIMIT = 20.0      # a PING round trip under TCG on a loaded host
# ---- building packets ----

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(payload, etype=ETH_IP, dst=GUEST_MAC, src=FAKE_MAC):
    return dst + src + struct.pack("!H", etype) + payload


def ip4(payload, proto, src=FAKE_IP, dst=G4, ident=0, frag=0, ttl=64, options=b"",
        tot_len=None, ihl=None, bad_csum=False, version=4, tos=0):
    if ihl is None:
        ihl = 5 + (len(options) + 3) // 4
    options = options + b"\0" * ((-len(options)) % 4)
    if tot_len is None:
        tot_len = 20 + len(options) + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", (version << 4) | (ihl & 15), tos, tot_len & 0xFFFF, ident, frag, ttl,
                    proto, 0, src, dst) + options
    c = csum(h[: max(20, min(len(h), ihl * 4))])
    if bad_csum:
        c ^= 0x1234
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def pseudo4(src, dst, proto, length):
    return src + dst + struct.pack("!BBH", 0, proto, length)


def pseudo6(src, dst, proto, length):
    return src + dst + struct.pack("!IxxxB", length, proto)


def l4sum(seg, pseudo, bad):
    c = csum(pseudo + seg)
    if bad:
        c ^= 0x0F0F
    return c


def tcp(sport, dport, seq, ack, flags, payload=b"", options=b"", win=65535, doff=None, urg=0,
        bad_csum=False, v6=False, src=None, dst=None):
    options = options + b"\0" * ((-len(options)) % 4)
    if doff is None:
        doff = 5 + len(options) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, (doff & 15) << 4,
                    flags & 0xFF, win, 0, urg) + options
    seg = h + payload
    if v6:
        ps = pseudo6(src or FAKE_LL6, dst or GUEST_LL6, 6, len(seg))
    else:
        ps = pseudo4(src or FAKE_IP, dst or G4, 6, len(seg))
    c = l4sum(seg, ps, bad_csum)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(sport, dport, payload, length=None, bad_csum=False, v6=False, zero_csum=False):
    ulen = 8 + len(payload) if length is None else length
    seg = struct.pack("!HHHH", sport, dport, ulen & 0xFFFF, 0) + payload
    if zero_csum:
        return seg
    ps = pseudo6(FAKE_LL6, GUEST_LL6, 17, len(seg)) if v6 else pseudo4(FAKE_IP, G4, 17, len(seg))
    c = l4sum(seg, ps, bad_csum) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp4(typ, code, rest=b"\0\0\0\0", payload=b"", bad_csum=False):
    m = struct.pack("!BBH", typ, code, 0) + rest + payload
    c = csum(m) ^ (0x1111 if bad_csum else 0)
    return m[:2] + struct.pack("!H", c) + m[4:]


def icmp6(typ, code, body=b"", bad_csum=False, src=FAKE_LL6, dst=GUEST_LL6):
    m = struct.pack("!BBH", typ, code, 0) + body
    c = csum(pseudo6(src, dst, 58, len(m)) + m) ^ (0x1111 if bad_csum else 0)
    return m[:2] + struct.pack("!H", c) + m[4:]


def ip6(payload, nh, src=FAKE_LL6, dst=GUEST_LL6, plen=None, hlim=64):
    if plen is None:
        plen = len(payload)
    return struct.pack("!IHBB", 6 << 28, plen & 0xFFFF, nh, hlim) + src + dst + payload


def ext6(nh, body):
    """An IPv6 extension header (hop-by-hop, routing, destination options)
    around BODY, padded to a multiple of 8 with PadN."""
    raw = body
    pad = (-(len(raw) + 2)) % 8
    if pad == 1:
        raw += b"\0"
    elif pad:
        raw += bytes([1, pad - 2]) + b"\0" * (pad - 2)
    return bytes([nh, (len(raw) + 2) // 8 - 1]) + raw


# ---- the neighbour: answers ARP and neighbour solicitations, follows TCP ----

class Neighbour:
    def __init__(self):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((TAP, 0))
        self.sock.settimeout(0.2)
        self.out = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.out.bind((TAP, 0))
        self.lock = threading.Lock()
        self.tcp = {}          # our port -> (guest seq after its segment, guest ack, guest flags)
        self.udp = {}          # our port -> payloads the guest sent there
        self.icmp_echo = 0
        self.icmp6_echo = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def send(self, frame):
        try:
            self.out.send(frame)
            return 1
        except OSError:
            return 0   # shorter than the device accepts, or longer than its MTU

    def run(self):
        while not self.stop.is_set():
            try:
                f = self.sock.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(f) < 14 or f[6:12] != GUEST_MAC:
                continue
            etype = struct.unpack("!H", f[12:14])[0]
            try:
                if etype == ETH_ARP:
                    self.arp(f[14:])
                elif etype == ETH_IP:
                    self.ipv4(f[14:])
                elif etype == ETH_IP6:
                    self.ipv6(f[14:])
            except (struct.error, IndexError):
                pass

    def arp(self, a):
        op = struct.unpack("!H", a[6:8])[0]
        if op == 1 and a[24:28] == FAKE_IP:
            reply = struct.pack("!HHBBH", 1, ETH_IP, 6, 4, 2) + FAKE_MAC + FAKE_IP + a[8:14] + a[14:18]
            self.send(eth(reply, ETH_ARP, dst=a[8:14]))

    def ipv4(self, p):
        if p[16:20] != FAKE_IP:
            return
        ihl = (p[0] & 15) * 4
        proto, body = p[9], p[ihl:]
        if proto == 6:
            dport = struct.unpack("!H", body[2:4])[0]
            seq, ack = struct.unpack("!II", body[4:12])
            flags = body[13]
            dlen = struct.unpack("!H", p[2:4])[0] - ihl - (body[12] >> 4) * 4
            nxt = seq + dlen + (1 if flags & 0x03 else 0)   # SYN or FIN count one
            with self.lock:
                self.tcp[dport] = (nxt & 0xFFFFFFFF, ack, flags)
        elif proto == 17:
            dport = struct.unpack("!H", body[2:4])[0]
            with self.lock:
                self.udp.setdefault(dport, []).append(bytes(body[8:]))
        elif proto == 1 and body[0] == 0:
            with self.lock:
                self.icmp_echo += 1

    def ipv6(self, p):
        nh, dst = p[6], p[24:40]
        body = p[40:]
        # Neighbour solicitation for fe80::9 (to it or to its solicited-node group).
        if nh == 58 and body[0] == 135 and body[8:24] == FAKE_LL6:
            na = icmp6(136, 0, struct.pack("!I", 0x60000000) + FAKE_LL6 + bytes([2, 1]) + FAKE_MAC,
                       dst=p[8:24])
            self.send(eth(ip6(na, 58, dst=p[8:24], hlim=255), ETH_IP6))
        elif nh == 58 and body[0] == 129 and dst == FAKE_LL6:
            with self.lock:
                self.icmp6_echo += 1
        elif nh == 17 and dst == FAKE_LL6:
            dport = struct.unpack("!H", body[2:4])[0]
            with self.lock:
                self.udp.setdefault(dport, []).append(bytes(body[8:]))

    def tcp_state(self, port):
        with self.lock:
            return self.tcp.get(port)

    def udp_answers(self, port):
        with self.lock:
            return list(self.udp.get(port, []))

    def wait_tcp(self, port, want_flags, limit=10.0):
        end = time.time() + limit
        while time.time() < end:
            st = self.tcp_state(port)
            if st and st[2] & want_flags == want_flags:
                return st
            time.sleep(0.01)
        return None

    def reset_all(self, ports):
        """RST every connection the guest still talks to us on: the sequence
        number is what the guest acknowledged last, so the RST is in its
        window."""
        n = 0
        for port in set(ports) | {wire(p) for p in ports}:
            st = self.tcp_state(port)
            if st and not st[2] & 0x04:
                n += self.send(eth(ip4(tcp(port, PORT, st[1], 0, 0x04), 6)))
                n += self.send(eth(ip4(tcp(port, PORT, st[1], st[0], 0x14), 6)))
        return n


# ---- the cases: each returns the number of frames it sent ----

PORT = 0
nb = None


def send(frame):
    n = nb.send(frame)
    time.sleep(PACE)
    return n


def ports(rnd, k):
    base = rnd.randrange(20000, 60000 - k)
    return list(range(base, base + k))


HANDSHAKE_PORTS = iter(range(60001, 65536))   # never a fuzzed case's port


def handshake(sport, rnd):
    """Open a connection to the server from the neighbour; (our seq, guest
    seq) or None. SPORT names the connection for the caller; on the wire a
    port of its own that no case fuzzes, so no half-open leftover of an
    earlier case can share its addresses; a SYN not answered in 5 s is
    tried once more from another port (the first SYN-ACK after the ARP case
    turned the guest's table over can wait on ARP)."""
    for _ in range(2):
        wire = next(HANDSHAKE_PORTS)
        isn = rnd.randrange(1 << 32)
        send(eth(ip4(tcp(wire, PORT, isn, 0, 0x02, options=b"\x02\x04\x05\xb4"), 6)))
        st = nb.wait_tcp(wire, 0x12, limit=5.0)
        if st:
            break
        print("host: no SYN-ACK from port %d in 5 s, again from another" % wire, flush=True)
    else:
        return None
    ALIAS[sport] = wire
    send(eth(ip4(tcp(wire, PORT, isn + 1, st[0], 0x10), 6)))
    return isn + 1, st[0]


ALIAS = {}    # the caller's name of a connection -> its port on the wire


def wire(port):
    return ALIAS.get(port, port)


def case_sanity(rnd):
    """Well-formed UDP, ICMP echo and TCP from the neighbour are answered."""
    n = 0
    for i in range(3):
        n += send(eth(ip4(udp(41000 + i, PORT, b"PING"), 17)))
    n += send(eth(ip4(icmp4(8, 0, b"\x12\x34\x00\x01", b"x" * 56), 1)))
    for i in range(3):
        n += send(eth(ip6(udp(41003 + i, PORT, b"PING", v6=True), 17), ETH_IP6))
    n += send(eth(ip6(icmp6(128, 0, b"\x12\x34\x00\x01" + b"y" * 56), 58), ETH_IP6))
    time.sleep(1.0)
    # A reply can be lost while the guest resolves our address (lwIP keeps
    # one packet per unresolved neighbour): ask again, a few times, before
    # calling the echo unanswered.
    for _ in range(4):
        if nb.icmp_echo and nb.icmp6_echo:
            break
        if not nb.icmp_echo:
            n += send(eth(ip4(icmp4(8, 0, b"\x12\x34\x00\x02", b"x" * 56), 1)))
        if not nb.icmp6_echo:
            n += send(eth(ip6(icmp6(128, 0, b"\x12\x34\x00\x02" + b"y" * 56), 58), ETH_IP6))
        time.sleep(1.0)
    got = sum(a.count(b"PONG") for i in range(3) for a in [nb.udp_answers(41000 + i)])
    check(got >= 1, "sanity: no UDP PONG to the neighbour: the injected frames do not reach the guest")
    got = sum(a.count(b"PONG") for i in range(3) for a in [nb.udp_answers(41003 + i)])
    check(got >= 1, "sanity: no UDP PONG to the neighbour's IPv6 address")
    check(nb.icmp_echo >= 1, "sanity: no ICMP echo reply to the neighbour")
    check(nb.icmp6_echo >= 1, "sanity: no ICMPv6 echo reply to the neighbour")
    hs = handshake(41010, rnd)
    check(hs is not None, "sanity: no SYN-ACK to the neighbour's SYN")
    if hs:
        n += send(eth(ip4(tcp(wire(41010), PORT, hs[0], hs[1], 0x18, b"PING\n"), 6)))
        end = time.time() + 5
        while time.time() < end:
            st = nb.tcp_state(wire(41010))
            if st and st[0] == (hs[1] + 5) & 0xFFFFFFFF:
                break
            time.sleep(0.02)
        st = nb.tcp_state(wire(41010))
        check(st is not None and st[0] == (hs[1] + 5) & 0xFFFFFFFF, "sanity: no PONG on the neighbour's connection")
        n += nb.reset_all([41010])
    return n + 2


def case_bad_checksums(rnd):
    n = 0
    udp_ports = ports(rnd, 100)
    for p in udp_ports[:50]:       # UDP PING with a bad UDP checksum
        n += send(eth(ip4(udp(p, PORT, b"PING", bad_csum=True), 17)))
    for p in udp_ports[50:]:       # ... with a bad IP header checksum
        n += send(eth(ip4(udp(p, PORT, b"PING"), 17, bad_csum=True)))
    tcp_ports = ports(rnd, 100)
    for p in tcp_ports[:50]:       # SYN with a bad TCP checksum
        n += send(eth(ip4(tcp(p, PORT, rnd.randrange(1 << 32), 0, 0x02, bad_csum=True), 6)))
    for p in tcp_ports[50:]:       # SYN with a bad IP header checksum
        n += send(eth(ip4(tcp(p, PORT, rnd.randrange(1 << 32), 0, 0x02), 6, bad_csum=True)))
    for _ in range(50):            # ICMP echo with a bad ICMP checksum
        n += send(eth(ip4(icmp4(8, 0, b"\0\1\0\1", rnd.randbytes(rnd.randrange(64)), bad_csum=True), 1)))
    for _ in range(50):            # IPv6 UDP and ICMPv6 echo with bad checksums
        n += send(eth(ip6(udp(rnd.choice(udp_ports), PORT, b"PING", bad_csum=True, v6=True), 17), ETH_IP6))
        n += send(eth(ip6(icmp6(128, 0, b"\0\1\0\1xyz", bad_csum=True), 58), ETH_IP6))
    time.sleep(1.0)
    answered = sum(len(nb.udp_answers(p)) for p in udp_ports)
    check(answered == 0, "bad checksums: %d UDP datagrams with a bad checksum were answered" % answered)
    synacks = sum(1 for p in tcp_ports if nb.tcp_state(p))
    check(synacks == 0, "bad checksums: %d SYNs with a bad checksum were answered" % synacks)
    return n + nb.reset_all(tcp_ports)


def case_truncated(rnd):
    n = 0
    full = {
        "tcp": eth(ip4(tcp(30001, PORT, 1, 0, 0x02, options=b"\x02\x04\x05\xb4"), 6)),
        "udp": eth(ip4(udp(30002, PORT, b"PING"), 17)),
        "icmp": eth(ip4(icmp4(8, 0, b"\0\1\0\1", b"abcdefgh"), 1)),
        "icmp_unreach": eth(ip4(icmp4(3, 4, b"\0\0\x02\x00", ip4(tcp(30003, PORT, 1, 0, 0x10), 6)[:28]), 1)),
        "ipv6_udp": eth(ip6(udp(30004, PORT, b"PING", v6=True), 17), ETH_IP6),
        "ipv6_tcp": eth(ip6(tcp(30005, PORT, 1, 0, 0x02, v6=True), 6), ETH_IP6),
        "ipv6_icmp": eth(ip6(icmp6(128, 0, b"\0\1\0\1abcd"), 58), ETH_IP6),
        "arp": eth(struct.pack("!HHBBH", 1, ETH_IP, 6, 4, 1) + FAKE_MAC + FAKE_IP + b"\0" * 6 + G4, ETH_ARP),
    }
    for name, f in full.items():
        for cut in range(0, len(f)):
            # Every cut of the header (the IP lengths still claim the whole).
            if cut > 80 and cut % 7:
                continue
            n += send(f[:cut])
    # The same cuts with the IP length fields made to agree with the cut.
    for f in (full["tcp"], full["udp"], full["icmp"]):
        for cut in range(34, len(f)):
            g = bytearray(f[:cut])
            g[16:18] = struct.pack("!H", cut - 14)
            g[24:26] = b"\0\0"
            g[24:26] = struct.pack("!H", csum(bytes(g[14:34])))
            n += send(bytes(g))
    for f in (full["ipv6_udp"], full["ipv6_tcp"], full["ipv6_icmp"]):
        for cut in range(54, len(f)):
            g = bytearray(f[:cut])
            g[18:20] = struct.pack("!H", cut - 54)
            n += send(bytes(g))
    return n + nb.reset_all([30001, 30005])


def case_ip_options(rnd):
    n = 0
    opts = [
        b"\x07\x00",                 # record route, length 0
        b"\x07\x01",                 # length 1
        b"\x07\x27" + b"\0" * 2,     # length past the header
        b"\x44",                     # timestamp: type without a length
        b"\x44\x04\x05\x00",         # timestamp, pointer past its length
        b"\x83\x03\x04",             # loose source route, pointer past the option
        b"\x89\x0b\x04" + b"\0" * 8,  # strict source route
        b"\x94\x04\x00\x00",         # router alert
        b"\x01" * 40,                # 40 NOPs
        b"\x00" * 40,                # 40 EOLs
        b"\x82\xff" + b"\0" * 38,    # security, length 255
    ]
    tcp_ports = ports(rnd, 200)
    for i in range(400):
        o = rnd.choice(opts) if i % 3 else bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 41)))
        o = o[:40]
        kind = i % 4
        if kind == 0:
            body, proto = udp(rnd.randrange(1024, 65535), PORT, b"PING"), 17
        elif kind == 1:
            body, proto = tcp(tcp_ports[i // 2], PORT, rnd.randrange(1 << 32), 0, 0x02), 6
        elif kind == 2:
            body, proto = icmp4(8, 0, b"\0\1\0\1", b"opts"), 1
        else:
            body, proto = rnd.randbytes(rnd.randrange(40)), rnd.randrange(256)
        ihl = None if i % 5 else rnd.randrange(16)      # sometimes an IHL that lies
        n += send(eth(ip4(body, proto, options=o, ihl=ihl)))
    return n + nb.reset_all(tcp_ports)


def case_tcp_options(rnd):
    n = 0
    opts = [
        b"\x02\x00", b"\x02\x01", b"\x02\x02", b"\x02\x04\x00\x00", b"\x02\x04\xff\xff", b"\x02\x05\x05\xb4\x00",
        b"\x03\x03\xff", b"\x03\x03\x0f", b"\x03\x00", b"\x03\x02",
        b"\x04\x02", b"\x04\x03\x00", b"\x04\x00",
        b"\x05\x0a" + b"\0" * 8, b"\x05\x03\x00", b"\x05\x22" + b"\xff" * 32,
        b"\x08\x0a" + b"\0" * 8, b"\x08\x09" + b"\0" * 7, b"\x08\x00",
        b"\xfe\x00", b"\xfe\x01", b"\xfe\x28" + b"\0" * 38,
        b"\x01" * 40, b"\x00" + b"\x02\x04\x05\xb4",
        b"\x02", b"\x03", b"\x08",                      # a kind with no length
    ]
    syn_ports = ports(rnd, 300)
    for i, p in enumerate(syn_ports):                   # SYNs to the listening port
        o = rnd.choice(opts) if i % 4 else bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 41)))
        if i % 3 == 0:
            o = rnd.choice(opts) + rnd.choice(opts)
        o = o[:40]
        doff = None if i % 6 else rnd.choice([0, 1, 4, 15])
        n += send(eth(ip4(tcp(p, PORT, rnd.randrange(1 << 32), 0, 0x02, options=o, doff=doff), 6)))
    # The SYNs above fill the listener's backlog with half-open
    # connections until they time out: reset them first.
    time.sleep(0.5)
    n += nb.reset_all(syn_ports)
    # Options on an established connection's segments.
    est = ports(rnd, 10)
    opened = 0
    for p in est:
        hs = handshake(p, rnd)
        n += 2
        if not hs:
            continue
        opened += 1
        for j in range(20):
            o = rnd.choice(opts)[:40]
            payload = b"PING\n" if j % 5 == 0 else b""
            n += send(eth(ip4(tcp(wire(p), PORT, hs[0], hs[1], 0x10 | (0x08 if payload else 0), payload, options=o), 6)))
            if payload:
                hs = (hs[0] + len(payload), hs[1])
    time.sleep(0.5)
    check(opened == len(est), "tcp options: %d of %d connections opened" % (opened, len(est)))
    return n + nb.reset_all(est)


def case_ip_fragments(rnd):
    n = 0
    for i in range(120):
        ident = rnd.randrange(1 << 16)
        data = udp(rnd.randrange(1024, 65535), PORT, b"PING" + rnd.randbytes(rnd.randrange(8, 200)))
        kind = i % 8
        if kind == 0:    # overlapping: [0,16) then [8,...)
            n += send(eth(ip4(data[:16], 17, ident=ident, frag=0x2000)))
            n += send(eth(ip4(data[8:], 17, ident=ident, frag=1)))
        elif kind == 1:  # tiny: 8 bytes each, in random order
            pieces = [(k, data[k:k + 8]) for k in range(0, len(data), 8)]
            rnd.shuffle(pieces)
            for off, piece in pieces[:40]:
                more = 0x2000 if off + 8 < len(data) else 0
                n += send(eth(ip4(piece, 17, ident=ident, frag=more | (off // 8))))
        elif kind == 2:  # never completed: the first only
            n += send(eth(ip4(data[:16], 17, ident=ident, frag=0x2000)))
        elif kind == 3:  # never completed: the last only
            n += send(eth(ip4(data[16:], 17, ident=ident, frag=2)))
        elif kind == 4:  # past 64 KiB
            n += send(eth(ip4(rnd.randbytes(200), 17, ident=ident, frag=0x1FFF)))
            n += send(eth(ip4(rnd.randbytes(64), 17, ident=ident, frag=0x2000 | 0x1FF0)))
        elif kind == 5:  # a middle piece of odd length, more to come
            n += send(eth(ip4(data[:13], 17, ident=ident, frag=0x2000 | 2)))
        elif kind == 6:  # the same first fragment twice, then one that contradicts its end
            n += send(eth(ip4(data[:16], 17, ident=ident, frag=0x2000)))
            n += send(eth(ip4(data[:16], 17, ident=ident, frag=0x2000)))
            n += send(eth(ip4(data[16:24], 17, ident=ident, frag=2)))
            n += send(eth(ip4(data[8:], 17, ident=ident, frag=1)))
        else:            # IPv6: a fragment header with overlapping and unfinished pieces
            d6 = udp(rnd.randrange(1024, 65535), PORT, rnd.randbytes(100), v6=True)
            for off, chunk, more in ((0, d6[:48], 1), (32, d6[32:], 0), (200, d6[:8], 1)):
                fh = struct.pack("!BBHI", 17, 0, (off // 8) << 3 | more, ident)
                n += send(eth(ip6(fh + chunk, 44), ETH_IP6))
    # A well-formed fragmented datagram must still be reassembled and answered.
    ident = rnd.randrange(1 << 16)
    data = udp(42000, PORT, b"x" * 2000)
    for off in range(0, len(data), 1000):
        more = 0x2000 if off + 1000 < len(data) else 0
        n += send(eth(ip4(data[off:off + 1000], 17, ident=ident, frag=more | (off // 8))))
    time.sleep(1.0)
    check(b"ERR 2000" in nb.udp_answers(42000), "fragments: a well-formed fragmented datagram was not answered")
    return n


def case_lengths(rnd):
    n = 0
    tcp_ports = ports(rnd, 100)
    for i in range(300):
        kind = i % 10
        body = udp(rnd.randrange(1024, 65535), PORT, b"PING")
        if kind == 0:
            f = eth(ip4(body, 17, tot_len=len(body) + 20 + rnd.randrange(1, 2000)))
        elif kind == 1:
            f = eth(ip4(body, 17, tot_len=rnd.randrange(0, 20)))
        elif kind == 2:
            f = eth(ip4(body, 17, tot_len=20 + rnd.randrange(1, 8))) + rnd.randbytes(20)
        elif kind == 3:
            f = eth(ip4(udp(40000 + i, PORT, b"PING", length=rnd.choice([0, 1, 7, 13, 400, 65535])), 17))
        elif kind == 4:
            t = tcp(tcp_ports[i // 10], PORT, rnd.randrange(1 << 32), 0, 0x02, doff=rnd.choice([6, 10, 15]))
            f = eth(ip4(t, 6))
        elif kind == 5:
            t = tcp(tcp_ports[i // 10 + 30], PORT, rnd.randrange(1 << 32), 0, 0x02)
            f = eth(ip4(t, 6, tot_len=20 + rnd.randrange(1, 20)))
        elif kind == 6:
            f = eth(ip6(udp(rnd.randrange(1024, 65535), PORT, b"PING", v6=True), 17,
                        plen=rnd.choice([0, 1, 7, 100, 1500, 65535])), ETH_IP6)
        elif kind == 7:
            f = eth(ip4(body, 17, version=rnd.choice([0, 5, 6, 15])))
        elif kind == 8:
            f = eth(ip6(udp(rnd.randrange(1024, 65535), PORT, b"PING", v6=True, length=rnd.choice([0, 3, 9, 300])), 17),
                    ETH_IP6)
        else:
            f = eth(ip4(body, 17)) + rnd.randbytes(rnd.randrange(1, 400))   # padding past the IP length
        n += send(f)
    return n + nb.reset_all(tcp_ports)


def case_tcp_flags_listen(rnd):
    n = 0
    syn_ports = ports(rnd, 512)
    for i, p in enumerate(syn_ports):
        flags = i % 256 if i < 256 else rnd.randrange(256)
        payload = rnd.randbytes(rnd.randrange(30)) if i % 3 == 0 else b""
        n += send(eth(ip4(tcp(p, PORT, rnd.randrange(1 << 32), rnd.randrange(1 << 32), flags, payload,
                              urg=rnd.randrange(1 << 16)), 6)))
    time.sleep(0.5)
    return n + nb.reset_all(syn_ports)


def case_tcp_flags_established(rnd):
    n = 0
    est = ports(rnd, 16)
    opened = 0
    for p in est:
        hs = handshake(p, rnd)
        n += 2
        if not hs:
            continue
        opened += 1
        ours, theirs = hs
        for j in range(40):
            flags = rnd.randrange(256)
            if j < 8:
                flags &= ~0x04      # a few without RST first, so the rest meet a live connection
            seq = rnd.choice([ours, ours + rnd.randrange(1, 70000), ours - rnd.randrange(1, 70000), rnd.randrange(1 << 32)])
            ack = rnd.choice([theirs, theirs + rnd.randrange(1, 1 << 20), theirs - rnd.randrange(1, 1000),
                              rnd.randrange(1 << 32)])
            payload = rnd.choice([b"", b"PING\n", rnd.randbytes(rnd.randrange(1, 200))])
            n += send(eth(ip4(tcp(wire(p), PORT, seq, ack, flags, payload, urg=rnd.randrange(1 << 16),
                                  win=rnd.choice([0, 1, 65535])), 6)))
    time.sleep(0.5)
    check(opened == len(est), "tcp flags: %d of %d connections opened" % (opened, len(est)))
    return n + nb.reset_all(est)


def case_ipv6_ext(rnd):
    n = 0
    upper = lambda: rnd.choice([
        (17, udp(rnd.randrange(1024, 65535), PORT, b"PING", v6=True)),
        (6, tcp(rnd.randrange(1024, 65535), PORT, rnd.randrange(1 << 32), 0, 0x02, v6=True)),
        (58, icmp6(128, 0, b"\0\1\0\1abcd")),
        (59, b""),
        (rnd.randrange(256), rnd.randbytes(rnd.randrange(40))),
    ])
    opt_bodies = [b"", b"\x00" * 6, b"\x01\x04\0\0\0\0", b"\x05\x02\0\0", b"\xc2\x04\0\1\0\0",
                  b"\x80\x02\0\0", b"\x40\x02\0\0", b"\x01\xff", b"\x01", b"\xc9\x10" + b"\0" * 16]
    for i in range(300):
        nh, payload = upper()
        chain = rnd.randrange(1, 6) if i % 10 else rnd.randrange(20, 60)
        # Built from the inside out; hop-by-hop belongs first, and is
        # sometimes put elsewhere on purpose.
        for k in range(chain):
            kind = rnd.choice([60, 43, 44, 60, 0 if k == chain - 1 else 60, 0])
            if kind in (0, 60):
                payload = ext6(nh, rnd.choice(opt_bodies)) + payload
            elif kind == 43:   # routing: type 0, 2, 3, 4 with segments left
                rtype = rnd.choice([0, 2, 3, 4, 253])
                segs = rnd.randrange(0, 4)
                payload = ext6(nh, bytes([rtype, segs]) + b"\0" * 4 + FAKE_LL6 * rnd.randrange(0, 3)) + payload
            else:              # an atomic fragment
                payload = struct.pack("!BBHI", nh, 0, 0, rnd.randrange(1 << 32)) + payload
            nh = kind
        if i % 7 == 3:          # a header length that runs past the packet
            payload = payload[:1] + bytes([rnd.randrange(8, 256)]) + payload[2:]
        if i % 11 == 5:
            payload = payload[: rnd.randrange(len(payload) + 1)]
        n += send(eth(ip6(payload, nh), ETH_IP6))
    return n


def case_icmp(rnd):
    n = 0
    for i in range(200):
        kind = i % 8
        if kind == 0:   # echo of odd sizes, to the guest and to broadcast
            f = eth(ip4(icmp4(8, 0, struct.pack("!HH", i, i), rnd.randbytes(rnd.randrange(0, 1400))), 1,
                        dst=G4 if i % 16 else b"\xff\xff\xff\xff"))
        elif kind == 1:  # unreachable / frag needed quoting a connection of the guest's, MTU tiny
            quoted = ip4(tcp(rnd.randrange(1024, 65535), PORT, 1, 1, 0x10), 6, src=G4, dst=FAKE_IP)[:28]
            f = eth(ip4(icmp4(3, rnd.choice([0, 1, 2, 3, 4, 13]), struct.pack("!HH", 0, rnd.choice([0, 8, 68, 576])),
                              quoted), 1))
        elif kind == 2:  # redirect, time exceeded, parameter problem, source quench, random types
            f = eth(ip4(icmp4(rnd.choice([5, 11, 12, 4, 13, 17, rnd.randrange(256)]), rnd.randrange(256),
                              rnd.randbytes(4), rnd.randbytes(rnd.randrange(60))), 1))
        elif kind == 3:  # ICMPv6 echo, odd sizes
            f = eth(ip6(icmp6(128, 0, struct.pack("!HH", i, i) + rnd.randbytes(rnd.randrange(1200))), 58), ETH_IP6)
        elif kind == 4:  # router advertisement with bogus options (len 0, short prefix info, MTU 0/68)
            o = rnd.choice([b"\x01\x00", b"\x03\x01" + b"\0" * 6, b"\x03\x04" + bytes([rnd.randrange(256)]) +
                            b"\xc0" + b"\xff" * 8 + b"\0" * 4 + bytes(16),
                            b"\x05\x01\0\0" + struct.pack("!I", rnd.choice([0, 68, 1279, 70000])),
                            b"\x19\x03" + b"\0" * 22, b"\x01\x01" + FAKE_MAC, rnd.randbytes(8)])
            ra = struct.pack("!BBHII", 64, 0, rnd.choice([0, 1800]), 0, 0) + o
            f = eth(ip6(icmp6(134, 0, ra, dst=socket.inet_pton(socket.AF_INET6, "ff02::1")), 58,
                        dst=socket.inet_pton(socket.AF_INET6, "ff02::1"), hlim=255), ETH_IP6,
                    dst=bytes.fromhex("333300000001"))
        elif kind == 5:  # neighbour solicitation / advertisement with short or zero-length options
            o = rnd.choice([b"\x01\x00", b"\x01\x01" + FAKE_MAC, b"\x02\x00" + b"\0" * 6, b"", rnd.randbytes(6)])
            typ = rnd.choice([135, 136])
            f = eth(ip6(icmp6(typ, 0, struct.pack("!I", 0x20000000 if typ == 136 else 0) + GUEST_LL6 + o), 58,
                        hlim=rnd.choice([255, 64])), ETH_IP6)
        elif kind == 6:  # redirect and MLD with garbage
            typ = rnd.choice([137, 130, 131, 132, 143, 1, 2, 3, 4])
            f = eth(ip6(icmp6(typ, rnd.randrange(4), rnd.randbytes(rnd.randrange(4, 60))), 58, hlim=255), ETH_IP6)
        else:            # ICMPv6 packet too big for a connection, MTU below the minimum
            quoted = ip6(tcp(rnd.randrange(1024, 65535), PORT, 1, 1, 0x10, v6=True, src=GUEST_LL6, dst=FAKE_LL6), 6,
                         src=GUEST_LL6, dst=FAKE_LL6)
            f = eth(ip6(icmp6(2, 0, struct.pack("!I", rnd.choice([0, 68, 1280])) + quoted), 58), ETH_IP6)
        n += send(f)
    return n


def case_garbage(rnd):
    n = 0
    for i in range(1000):
        kind = i % 4
        size = rnd.randrange(0, 1500)
        body = bytes(rnd.randrange(256) for _ in range(size))
        if kind == 0:      # anything at all after the MAC addresses (not ARP: it could move the host's entry)
            etype = rnd.randrange(1 << 16)
            if etype == ETH_ARP:
                etype = 0x9000
            f = eth(body, etype, dst=rnd.choice([GUEST_MAC, b"\xff" * 6]))
        elif kind == 1:    # IPv4 with random fields and a right header checksum
            h = bytearray(body[:20].ljust(20, b"\0"))
            h[0] = 0x40 | (h[0] & 15)
            h[12:16] = FAKE_IP
            h[16:20] = G4
            h[10:12] = b"\0\0"
            h[10:12] = struct.pack("!H", csum(bytes(h)))
            f = eth(bytes(h) + body[20:])
        elif kind == 2:    # IPv6 with random fields
            f = eth(ip6(body, rnd.randrange(256), plen=rnd.choice([len(body), rnd.randrange(1 << 16)])), ETH_IP6)
        else:              # a random transport in a right IPv4 header
            f = eth(ip4(body, rnd.choice([1, 6, 17, 58, 2, 41, 47, 50, 51, rnd.randrange(256)])))
        n += send(f)
    return n


def fix_checksums(f):
    """Recompute the IPv4 header checksum and the TCP/UDP/ICMP checksum of a
    (mutated) frame where its lengths allow, so the mutation passes the
    checksum checks and reaches the parsers behind them."""
    g = bytearray(f)
    try:
        etype = struct.unpack("!H", g[12:14])[0]
        if etype == ETH_IP and len(g) >= 34:
            ihl = (g[14] & 15) * 4
            if ihl < 20 or 14 + ihl > len(g):
                return bytes(g)
            g[24:26] = b"\0\0"
            g[24:26] = struct.pack("!H", csum(bytes(g[14:14 + ihl])))
            tot = min(struct.unpack("!H", g[16:18])[0], len(g) - 14)
            seg, proto = g[14 + ihl:14 + tot], g[23]
            off = {6: 16, 17: 6, 1: 2}.get(proto)
            if off is None or len(seg) < off + 2:
                return bytes(g)
            seg[off:off + 2] = b"\0\0"
            ps = b"" if proto == 1 else pseudo4(bytes(g[26:30]), bytes(g[30:34]), proto, len(seg))
            seg[off:off + 2] = struct.pack("!H", csum(ps + bytes(seg)))
            g[14 + ihl:14 + tot] = seg
        elif etype == ETH_IP6 and len(g) >= 54:
            proto = g[20]
            off = {6: 16, 17: 6, 58: 2}.get(proto)
            seg = g[54:54 + struct.unpack("!H", g[18:20])[0]]
            if off is None or len(seg) < off + 2:
                return bytes(g)
            seg[off:off + 2] = b"\0\0"
            seg[off:off + 2] = struct.pack("!H", csum(pseudo6(bytes(g[22:38]), bytes(g[38:54]), proto, len(seg)) + bytes(seg)))
            g[54:54 + len(seg)] = seg
    except struct.error:
        pass
    return bytes(g)


def case_mutated(rnd):
    """Well-formed frames with a few bytes changed, their checksums made
    right again half the time: deeper than random bytes get."""
    n = 0
    est = ports(rnd, 4)
    conns = [(p, handshake(p, rnd)) for p in est]
    n += 2 * len(est)
    conns = [(p, hs) for p, hs in conns if hs]
    check(len(conns) == len(est), "mutated: %d of %d connections opened" % (len(conns), len(est)))
    syn_ports = ports(rnd, 2000)
    templates = [
        lambda: eth(ip4(tcp(rnd.choice(syn_ports), PORT, rnd.randrange(1 << 32), 0, 0x02,
                            options=b"\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02\x08\x0a" + b"\0" * 8), 6)),
        lambda: eth(ip4(udp(rnd.randrange(1024, 65535), PORT, b"PING"), 17)),
        lambda: eth(ip4(icmp4(8, 0, b"\0\1\0\1", b"x" * rnd.randrange(64)), 1)),
        lambda: eth(ip4(icmp4(3, 3, b"\0\0\0\0", ip4(udp(PORT, 9, b"hi"), 17, src=G4, dst=FAKE_IP)), 1)),
        lambda: eth(ip6(udp(rnd.randrange(1024, 65535), PORT, b"PING", v6=True), 17), ETH_IP6),
        lambda: eth(ip6(tcp(rnd.choice(syn_ports), PORT, rnd.randrange(1 << 32), 0, 0x02, v6=True,
                            options=b"\x02\x04\x05\xa0"), 6), ETH_IP6),
        lambda: eth(ip6(icmp6(128, 0, b"\0\1\0\1abcdefgh"), 58), ETH_IP6),
        lambda: eth(ip6(ext6(17, b"\x01\x04\0\0\0\0") + udp(rnd.randrange(1024, 65535), PORT, b"PING", v6=True), 0),
                    ETH_IP6),
        lambda: eth(ip4(udp(rnd.randrange(1024, 65535), PORT, b"PING" * 8), 17, ident=rnd.randrange(1 << 16), frag=0x2000)),
    ]
    for p, hs in conns:
        templates.append(lambda p=p, hs=hs: eth(ip4(tcp(wire(p), PORT, hs[0], hs[1], rnd.choice([0x10, 0x18, 0x11, 0x19]),
                                                         b"PING\n"), 6)))
    for i in range(1500):
        f = bytearray(rnd.choice(templates)())
        for _ in range(rnd.randrange(1, 6)):
            at = rnd.randrange(14, len(f))
            if rnd.randrange(2):
                f[at] ^= 1 << rnd.randrange(8)
            else:
                f[at] = rnd.randrange(256)
        if rnd.randrange(4) == 0:
            f = f[:rnd.randrange(14, len(f) + 1)]
        f = bytes(f)
        n += send(fix_checksums(f) if i % 2 else f)
    time.sleep(0.5)
    return n + nb.reset_all(syn_ports + est)


def case_arp(rnd):
    """Malformed ARP; never about the namespace's own 192.168.77.1."""
    n = 0
    for i in range(200):
        kind = i % 5
        sender = bytes([10, rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255)])
        if kind == 0:      # wrong hardware/protocol sizes and types
            a = struct.pack("!HHBBH", rnd.randrange(1 << 16), rnd.choice([ETH_IP, ETH_IP6, 0]), rnd.randrange(256),
                            rnd.randrange(256), rnd.randrange(1, 3)) + rnd.randbytes(20)
        elif kind == 1:    # requests for the guest from many senders (the table fills and turns over)
            a = struct.pack("!HHBBH", 1, ETH_IP, 6, 4, 1) + rnd.randbytes(6) + sender + b"\0" * 6 + G4
        elif kind == 2:    # replies nobody asked for, some claiming the guest's own address
            a = struct.pack("!HHBBH", 1, ETH_IP, 6, 4, 2) + rnd.randbytes(6) + rnd.choice([sender, G4]) + \
                GUEST_MAC + G4
        elif kind == 3:    # truncated
            a = (struct.pack("!HHBBH", 1, ETH_IP, 6, 4, 1) + FAKE_MAC + FAKE_IP + b"\0" * 6 + G4)[:rnd.randrange(28)]
        else:              # unknown operation, broadcast and multicast senders
            a = struct.pack("!HHBBH", 1, ETH_IP, 6, 4, rnd.randrange(3, 1 << 16)) + \
                rnd.choice([b"\xff" * 6, b"\x01\0\x5e\0\0\1"]) + sender + b"\0" * 6 + G4
        n += send(eth(a, ETH_ARP, dst=rnd.choice([GUEST_MAC, b"\xff" * 6])))
    return n


SILENT = []    # connections of peers that vanished


def case_silent_peers(rnd):
    """Clients that vanish without a FIN or RST after asking something (the
    guest retransmits its answer to nobody), and clients that close their
    window to zero and keep asking (the guest must probe, not spin)."""
    n = 0
    est = ports(rnd, 20)
    for i, p in enumerate(est):
        hs = handshake(p, rnd)
        n += 2
        if not hs:
            check(False, "silent peers: connection %d not opened" % i)
            continue
        SILENT.append(p)
        if i % 2:
            n += send(eth(ip4(tcp(wire(p), PORT, hs[0], hs[1], 0x18, b"PING\n"), 6)))
        else:
            reqs = b"PING\n" * 200
            n += send(eth(ip4(tcp(wire(p), PORT, hs[0], hs[1], 0x18, reqs, win=0), 6)))
    # A few seconds of the guest retransmitting and probing to nobody; a
    # fresh client is still answered; then the connections go.
    time.sleep(3.0)
    check(ask("PING") == "PONG", "silent peers: no answer while they hang")
    n += nb.reset_all(SILENT)
    del SILENT[:]
    return n


def case_oversize(rnd):
    """Frames bigger than the guest's MTU (the tap's MTU raised for it)."""
    n = 0
    os.system("ip link set %s mtu 9000" % TAP)
    try:
        for i in range(60):
            size = rnd.randrange(1500, 8960)
            kind = i % 3
            if kind == 0:
                f = eth(ip4(udp(43000 + i, PORT, rnd.randbytes(size)), 17))
            elif kind == 1:
                f = eth(ip6(udp(43000 + i, PORT, rnd.randbytes(size), v6=True), 17), ETH_IP6)
            else:
                f = eth(ip4(tcp(43000 + i, PORT, 1, 0, 0x18, rnd.randbytes(size)), 6))
            n += send(f)
    finally:
        os.system("ip link set %s mtu 1500" % TAP)
    time.sleep(0.5)
    got = sum(len(nb.udp_answers(43000 + i)) for i in range(60))
    print("host: oversize: the guest answered %d of the 40 oversized UDP datagrams" % got, flush=True)
    return n + nb.reset_all(list(range(43000, 43060)))


CASES = [
    ("sanity", case_sanity),
    ("bad_checksums", case_bad_checksums),
    ("truncated_headers", case_truncated),
    ("ip_options", case_ip_options),
    ("tcp_options", case_tcp_options),
    ("ip_fragments", case_ip_fragments),
    ("wrong_lengths", case_lengths),
    ("tcp_flags_listen", case_tcp_flags_listen),
    ("tcp_flags_established", case_tcp_flags_established),
    ("ipv6_ext_headers", case_ipv6_ext),
    ("icmp", case_icmp),
    ("garbage", case_garbage),
    ("mutated", case_mutated),
    ("arp", case_arp),
    ("oversize", case_oversize),
    ("silent_peers", case_silent_peers),
]


# ---- the server, through the namespace's own stack ----

def ask(line, limit=ALIVE_LIMIT):
    end = time.time() + limit
    last = None
    while time.time() < end:
        try:
            s = socket.create_connection((GUEST4, PORT), timeout=max(1.0, end - time.time()))
            s.settimeout(max(1.0, end - time.time()))
            s.sendall(line.encode() + b"\n")
            buf = b""
            while b"\n" not in buf:
                d = s.recv(256)
                if not d:
                    break
                buf += d
            s.close()
            return buf.decode(errors="replace").strip()
        except OSError as e:
            last = e
            time.sleep(0.2)
    raise OSError("no answer to %s in %.0f s: %s" % (line, limit, last))


def tap_dropped():
    """Frames the tap dropped on their way to QEMU (its queue full while
    the guest's receive ring was): those never reached the guest."""
    try:
        with open("/sys/class/net/%s/statistics/tx_dropped" % TAP) as f:
            return int(f.read())
    except (OSError, ValueError):
        return 0


def pith_alive():
    if not PITH_PID:
        return True
    try:
        os.kill(PITH_PID, 0)
        return True
    except OSError:
        return False


def panicked():
    try:
        with open(GUEST_OUT, errors="replace") as f:
            return "panic" in f.read()
    except OSError:
        return False


def memfree():
    parts = ask("MEM").split()
    if len(parts) != 3 or parts[0] != "MEM":
        raise OSError("MEM answered %r" % " ".join(parts))
    return int(parts[1])


def wait_listening(limit=90.0):
    end = time.time() + limit
    while time.time() < end:
        try:
            with open(GUEST_OUT, errors="replace") as f:
                if "load: listening" in f.read():
                    return True
        except OSError:
            pass
        if not pith_alive():
            return False
        time.sleep(0.05)
    return False


def main():
    global PORT, nb
    PORT, seed, report = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    if not wait_listening():
        print("host: the guest never said it listens")
        return 1
    nb = Neighbour()
    for _ in range(20):
        ask("PING")
    free0 = memfree()
    print("host: MemFree at start %d kB" % free0, flush=True)
    total = 0
    rounds = int(os.environ.get("PACKET_FUZZ_ROUNDS", "1"))   # > 1: a leak shows as a fall per round
    for name, fn in [c for r in range(rounds) for c in CASES]:
        if name == "sanity" and total:
            time.sleep(2.0)
            print("host: round done; MemFree %d kB" % memfree(), flush=True)
        rnd = random.Random("%d/%s" % (seed, name))
        with nb.lock:       # what the guest said in earlier cases
            nb.tcp.clear()
            nb.udp.clear()
        t = time.time()
        dropped = tap_dropped()
        sent = fn(rnd)
        dropped = tap_dropped() - dropped
        sent -= dropped
        total += sent
        try:
            answer = ask("PING")
        except OSError as e:
            answer = str(e)
        crashed = not pith_alive() or panicked()
        with open(report, "a") as f:
            f.write("case=%s packets=%d kernel_crashes=%d\n" % (name, sent, 1 if crashed else 0))
        print("host: case %s: %d frames (%d more dropped by the tap) in %.1f s, then %s" %
              (name, sent, dropped, time.time() - t, answer), flush=True)
        if crashed:
            check(False, "case %s: the guest kernel died" % name)
            break
        check(answer == "PONG", "case %s: the server did not answer PING afterwards (%s)" % (name, answer))
        if answer != "PONG":
            break
    if not problems:
        # What the cases left (half-open connections in the guest, unfinished
        # reassemblies) goes within lwIP's timeouts.
        time.sleep(2.0)
        hostcheck.memory_back(free0, memfree(), "%d frames" % total)
        check(ask("QUIT") == "BYE", "QUIT not answered")
    nb.stop.set()
    return verdict()


if __name__ == "__main__":
    hostcheck.run(main)
