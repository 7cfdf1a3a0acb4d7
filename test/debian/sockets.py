# Run by Debian's python3.11 inside Pith: the socket module over AF_UNIX
# (socketpair, a threaded server on an abstract name, descriptors passed
# with send_fds/recv_fds, timeouts, selectors on epoll) and the interfaces
# (if_nameindex through netlink). One line per part, none depending on
# timing; the host's python3 prints the same lines.
import os
import selectors
import socket
import threading

failures = []


def part(name, got, want):
    ok = got == want
    print(f"{name}: {got}" + ("" if ok else f" (FAILED, want {want})"))
    if not ok:
        failures.append(name)


a, b = socket.socketpair()
a.sendall(b"x" * 100000)
a.shutdown(socket.SHUT_WR)
got = b""
while chunk := b.recv(65536):
    got += chunk
part("socketpair", (len(got), a.family == socket.AF_UNIX, a.type == socket.SOCK_STREAM), (100000, True, True))
a.close()
b.close()

name = "\0pith-python-sockets"
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(name)
server.listen(4)


def serve():
    for _ in range(3):
        conn, _ = server.accept()
        with conn:
            data = conn.recv(100)
            conn.sendall(data.upper())


t = threading.Thread(target=serve)
t.start()
answers = []
for word in (b"one", b"two", b"three"):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.connect(name)
        c.sendall(word)
        answers.append(c.recv(100))
t.join()
server.close()
part("server", answers, [b"ONE", b"TWO", b"THREE"])

a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
r, w = os.pipe()
socket.send_fds(a, [b"fd"], [w])
os.close(w)
msg, fds, flags, _ = socket.recv_fds(b, 10, 4)
os.write(fds[0], b"through")
os.close(fds[0])
part("send_fds", (msg, len(fds), os.read(r, 20), os.read(r, 20)), (b"fd", 1, b"through", b""))
os.close(r)

b.settimeout(0.2)
try:
    b.recv(10)
    timed_out = False
except socket.timeout:
    timed_out = True
part("timeout", timed_out, True)

sel = selectors.DefaultSelector()
sel.register(b, selectors.EVENT_READ, "b")
before = sel.select(timeout=0)
a.send(b"ready")
after = [(key.data, events) for key, events in sel.select(timeout=1)]
part("selector", (type(sel).__name__, before, after), ("EpollSelector", [], [("b", selectors.EVENT_READ)]))
sel.close()
a.close()
b.close()

part("if_nameindex", [i for i in socket.if_nameindex() if i[1] == "lo"], [(1, "lo")])

print("sockets: all parts ok" if not failures else f"sockets: FAILED {failures}")
