# Run by Debian's python3.11 inside Pith: real threads (one kernel thread per
# threading.Thread, the GIL handed over through futexes and timed waits) and
# the primitives built on them. One line per part, none depending on timing;
# the host's python3 prints the same lines.
import concurrent.futures
import queue
import sys
import threading
import time

failures = []


def part(name, got, want):
    ok = got == want
    print(f"{name}: {got}" + ("" if ok else f" (FAILED, want {want})"))
    if not ok:
        failures.append(name)


# ThreadPoolExecutor: map and submit, results in order, an exception carried back.
def square_sum(n):
    return sum(i * i for i in range(n))


with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
    mapped = list(pool.map(square_sum, range(0, 2000, 100)))
    futures = [pool.submit(square_sum, n) for n in (10, 20, 30)]
    done = [f.result() for f in concurrent.futures.as_completed(futures)]

    def boom():
        raise ValueError("from a worker")
    err = pool.submit(boom).exception()
part("executor", (sum(mapped), sorted(done), repr(err)),
     (sum(square_sum(n) for n in range(0, 2000, 100)), [285, 2470, 8555], "ValueError('from a worker')"))

# Lock: eight threads add to one counter (the increment is not atomic without it).
counter = 0
lock = threading.Lock()


def add(times):
    global counter
    for _ in range(times):
        with lock:
            counter += 1


threads = [threading.Thread(target=add, args=(5000,)) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
part("lock", counter, 40000)

# queue.Queue: producers and consumers, a sentinel per consumer.
q = queue.Queue(maxsize=10)
results = queue.Queue()


def produce(base):
    for i in range(200):
        q.put(base + i)


def consume():
    total = 0
    while True:
        item = q.get()
        if item is None:
            break
        total += item
    results.put(total)


producers = [threading.Thread(target=produce, args=(k * 1000,)) for k in range(3)]
consumers = [threading.Thread(target=consume) for _ in range(3)]
for t in producers + consumers:
    t.start()
for t in producers:
    t.join()
for _ in consumers:
    q.put(None)
for t in consumers:
    t.join()
part("queue", sum(results.get() for _ in consumers), sum(k * 1000 * 200 + 199 * 200 // 2 for k in range(3)))

# Condition: ping-pong between two threads, strictly alternating.
cond = threading.Condition()
turn = ["ping"]
log = []


def player(me, other, rounds):
    for _ in range(rounds):
        with cond:
            while turn[0] != me:
                cond.wait()
            log.append(me)
            turn[0] = other
            cond.notify_all()


a = threading.Thread(target=player, args=("ping", "pong", 100))
b = threading.Thread(target=player, args=("pong", "ping", 100))
a.start(); b.start(); a.join(); b.join()
alternates = all(log[i] != log[i + 1] for i in range(len(log) - 1))
part("condition", (len(log), alternates), (200, True))

# Event and Timer: a timer thread sets the event; a waiter with a timeout
# first times out on an event nobody sets.
never = threading.Event()
timed_out = not never.wait(0.05)
fired = threading.Event()
start = time.monotonic()
timer = threading.Timer(0.1, fired.set)
timer.start()
got = fired.wait(30)
waited = time.monotonic() - start >= 0.1
cancelled = threading.Timer(60, fired.clear)
cancelled.start()
cancelled.cancel()
cancelled.join()
part("event+timer", (timed_out, got, waited, fired.is_set()), (True, True, True, True))

# Semaphore and Barrier: at most two inside at once; all parties meet.
sem = threading.BoundedSemaphore(2)
inside = [0, 0]  # now, most
inside_lock = threading.Lock()
barrier = threading.Barrier(5)
passed = []


def visit(i):
    with sem:
        with inside_lock:
            inside[0] += 1
            inside[1] = max(inside[1], inside[0])
        time.sleep(0.01)
        with inside_lock:
            inside[0] -= 1
    barrier.wait()
    with inside_lock:
        passed.append(i)


ts = [threading.Thread(target=visit, args=(i,)) for i in range(5)]
for t in ts:
    t.start()
for t in ts:
    t.join()
part("semaphore+barrier", (inside[1] <= 2, sorted(passed)), (True, [0, 1, 2, 3, 4]))

# thread-local data and thread identities.
local = threading.local()
seen = {}
together = threading.Barrier(6)  # all alive at once: their ids must differ


def remember(i):
    local.value = i
    together.wait()
    seen[i] = (local.value, threading.get_native_id())


ts = [threading.Thread(target=remember, args=(i,)) for i in range(6)]
for t in ts:
    t.start()
for t in ts:
    t.join()
part("local", (all(v[0] == i for i, v in seen.items()), len({v[1] for v in seen.values()})), (True, 6))

print("threads: all parts ok" if not failures else "threads: FAILED " + " ".join(failures))
sys.exit(1 if failures else 0)
