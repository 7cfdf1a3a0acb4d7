// A Rust program run unmodified by Pith: the standard library's threads and
// synchronisation (futexes, clone3, TLS, thread-local destructors), std
// only, no crates. One line per part, none depending on timing; the same
// binary prints the same lines on Linux.
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Condvar, Mutex, RwLock};
use std::thread;
use std::time::{Duration, Instant};

static FAILED: AtomicUsize = AtomicUsize::new(0);

fn check(name: &str, ok: bool, line: String) {
    if ok {
        println!("{}: {}", name, line);
    } else {
        FAILED.fetch_add(1, Ordering::SeqCst);
        println!("{}: {} FAILED", name, line);
    }
}

// Threads with join values, and the parallelism std reports (from
// sched_getaffinity).
fn threads() {
    let cpus = thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!("cpus: available_parallelism {}", cpus);
    let handles: Vec<_> = (0..16u64)
        .map(|i| thread::spawn(move || (0..10_000u64).map(|k| k * i).sum::<u64>()))
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let want: u64 = (0..16u64).map(|i| 49_995_000 * i).sum();
    check("spawn/join", total == want, format!("16 threads sum {}", total));
    let named = thread::Builder::new()
        .name("pith-worker".into())
        .stack_size(256 * 1024)
        .spawn(|| thread::current().name().map(String::from))
        .unwrap()
        .join()
        .unwrap();
    check("builder", named.as_deref() == Some("pith-worker"), format!("name {:?}", named));
    let panicked = thread::spawn(|| {
        if true {
            panic!("expected panic in a thread");
        }
    })
    .join()
    .is_err();
    check("panic", panicked, format!("a panicking thread's join is Err: {}", panicked));
}

// mpsc: many producers into one channel, and a rendezvous sync_channel.
fn channels() {
    let (tx, rx) = mpsc::channel::<u64>();
    for p in 0..8u64 {
        let tx = tx.clone();
        thread::spawn(move || {
            for i in 0..1000u64 {
                tx.send(p * 1000 + i).unwrap();
            }
        });
    }
    drop(tx);
    let (mut n, mut sum) = (0u64, 0u64);
    for v in rx {
        n += 1;
        sum += v;
    }
    check("mpsc", n == 8000 && sum == (0..8000u64).sum::<u64>(), format!("{} messages, sum {}", n, sum));

    let (stx, srx) = mpsc::sync_channel::<u32>(0);
    let echo = thread::spawn(move || srx.iter().map(|v| v * 2).sum::<u32>());
    for i in 1..=100 {
        stx.send(i).unwrap();
    }
    drop(stx);
    let doubled = echo.join().unwrap();
    let (_t, r) = mpsc::channel::<()>();
    let timed_out = r.recv_timeout(Duration::from_millis(20)).is_err();
    check("sync_channel", doubled == 10100 && timed_out, format!("doubled sum {}, recv_timeout timed out: {}", doubled, timed_out));
}

// Arc<Mutex>, and a Condvar-guarded bounded queue.
fn mutex_condvar() {
    let counter = Arc::new(Mutex::new(0u64));
    let hs: Vec<_> = (0..10)
        .map(|_| {
            let c = Arc::clone(&counter);
            thread::spawn(move || {
                for _ in 0..5000 {
                    *c.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let got = *counter.lock().unwrap();
    check("mutex", got == 50_000, format!("counter {} (expected 50000)", got));

    let q = Arc::new((Mutex::new(VecDeque::new()), Condvar::new(), Condvar::new()));
    const CAP: usize = 4;
    let producers: Vec<_> = (0..4u64)
        .map(|p| {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                let (m, not_full, not_empty) = &*q;
                for i in 0..500u64 {
                    let mut g = not_full.wait_while(m.lock().unwrap(), |d| d.len() >= CAP).unwrap();
                    g.push_back(Some(p * 500 + i));
                    not_empty.notify_one();
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                let (m, not_full, not_empty) = &*q;
                let mut sum = 0u64;
                loop {
                    let mut g = not_empty.wait_while(m.lock().unwrap(), |d| d.is_empty()).unwrap();
                    let item = g.pop_front().unwrap();
                    not_full.notify_one();
                    match item {
                        Some(v) => sum += v,
                        None => return sum,
                    }
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    {
        let (m, _, not_empty) = &*q;
        let mut g = m.lock().unwrap();
        for _ in 0..3 {
            g.push_back(None); // the queue may exceed CAP here: only stop marks
        }
        not_empty.notify_all();
    }
    let total: u64 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
    check("condvar", total == (0..2000u64).sum::<u64>(), format!("bounded queue sum {}", total));
    let (m, c) = (Mutex::new(()), Condvar::new());
    let start = Instant::now();
    let (_g, res) = c.wait_timeout(m.lock().unwrap(), Duration::from_millis(30)).unwrap();
    check("wait_timeout", res.timed_out() && start.elapsed() >= Duration::from_millis(30),
          format!("timed out after at least 30ms: {}", res.timed_out()));
}

// RwLock: writers keep two fields equal; readers must never see them differ.
fn rwlock() {
    let pair = Arc::new(RwLock::new((0u64, 0u64)));
    let torn = Arc::new(AtomicUsize::new(0));
    let mut hs = Vec::new();
    for _ in 0..3 {
        let p = Arc::clone(&pair);
        hs.push(thread::spawn(move || {
            for _ in 0..2000 {
                let mut w = p.write().unwrap();
                w.0 += 1;
                thread::yield_now();
                w.1 += 1;
            }
        }));
    }
    for _ in 0..3 {
        let p = Arc::clone(&pair);
        let t = Arc::clone(&torn);
        hs.push(thread::spawn(move || {
            for _ in 0..2000 {
                let r = p.read().unwrap();
                if r.0 != r.1 {
                    t.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    for h in hs {
        h.join().unwrap();
    }
    let v = *pair.read().unwrap();
    let t = torn.load(Ordering::SeqCst);
    check("rwlock", v == (6000, 6000) && t == 0, format!("writes {} {}, torn reads {}", v.0, v.1, t));
}

// Barrier: every round all parties arrive before any leaves; one leader.
fn barrier() {
    const N: usize = 6;
    const ROUNDS: usize = 20;
    let b = Arc::new(Barrier::new(N));
    let arrived = Arc::new(AtomicUsize::new(0));
    let leaders = Arc::new(AtomicUsize::new(0));
    let early = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..N)
        .map(|_| {
            let (b, arrived, leaders, early) = (b.clone(), arrived.clone(), leaders.clone(), early.clone());
            thread::spawn(move || {
                for round in 0..ROUNDS {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    if b.wait().is_leader() {
                        leaders.fetch_add(1, Ordering::SeqCst);
                    }
                    if arrived.load(Ordering::SeqCst) < (round + 1) * N {
                        early.fetch_add(1, Ordering::SeqCst);
                    }
                    b.wait();
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let (l, e) = (leaders.load(Ordering::SeqCst), early.load(Ordering::SeqCst));
    check("barrier", l == ROUNDS && e == 0, format!("{} rounds, {} leaders, {} left early", ROUNDS, l, e));
}

// thread::scope: borrow the caller's data without Arc.
fn scoped() {
    let data: Vec<u64> = (1..=10_000).collect();
    let mut partial = [0u64; 4];
    thread::scope(|s| {
        for (chunk, slot) in data.chunks(2500).zip(partial.iter_mut()) {
            s.spawn(move || *slot = chunk.iter().sum());
        }
    });
    let total: u64 = partial.iter().sum();
    check("scope", total == 50_005_000, format!("4 chunks {:?} total {}", partial, total));
}

thread_local! {
    static MINE: Cell<u64> = Cell::new(7);
}

struct CountsDrop(Arc<AtomicUsize>);
impl Drop for CountsDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
thread_local! {
    static DROPPER: std::cell::RefCell<Option<CountsDrop>> = std::cell::RefCell::new(None);
}

// Thread-locals: each thread starts from the initial value; destructors run
// at thread exit.
fn thread_locals() {
    MINE.with(|m| m.set(42));
    let drops = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..8u64)
        .map(|i| {
            let d = drops.clone();
            thread::spawn(move || {
                let initial = MINE.with(|m| m.get());
                MINE.with(|m| m.set(i * 100));
                thread::yield_now();
                DROPPER.with(|x| *x.borrow_mut() = Some(CountsDrop(d)));
                initial == 7 && MINE.with(|m| m.get()) == i * 100
            })
        })
        .collect();
    let kept = hs.into_iter().filter_map(|h| h.join().ok()).filter(|&ok| ok).count();
    let main_value = MINE.with(|m| m.get());
    let dropped = drops.load(Ordering::SeqCst);
    check("thread_local", kept == 8 && main_value == 42 && dropped == 8,
          format!("{} of 8 threads kept their own value, main still {}, {} destructors ran", kept, main_value, dropped));
}

fn main() {
    std::panic::set_hook(Box::new(|_| {})); // the expected panic prints nothing
    threads();
    channels();
    mutex_condvar();
    rwlock();
    barrier();
    scoped();
    thread_locals();
    let sleep_start = Instant::now();
    thread::sleep(Duration::from_millis(20));
    check("sleep", sleep_start.elapsed() >= Duration::from_millis(20), "at least 20ms".into());
    if FAILED.load(Ordering::SeqCst) == 0 {
        println!("rust_runtime: all parts ok");
    } else {
        println!("rust_runtime: FAILED");
        std::process::exit(1);
    }
}
