// A Go program run unmodified by Pith (built by Debian 12's golang-go with
// CGO_ENABLED=0, so the Go runtime makes every system call itself). Each part
// exercises something the Go runtime leans on the kernel for and prints one
// line that does not depend on timing; the same binary prints the same lines
// on Linux.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var failed bool

func fail(format string, args ...interface{}) {
	failed = true
	fmt.Printf("FAILED: "+format+"\n", args...)
}

// Goroutines on every CPU: GOMAXPROCS comes from sched_getaffinity, so it
// must equal the number of CPUs the kernel runs.
func cpus() {
	procs := runtime.GOMAXPROCS(0)
	fmt.Printf("cpus: NumCPU %d GOMAXPROCS %d\n", runtime.NumCPU(), procs)
	if procs != runtime.NumCPU() {
		fail("GOMAXPROCS %d != NumCPU %d", procs, runtime.NumCPU())
	}
	workers := 8 * procs
	sums := make([]uint64, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var s uint64
			for i := 0; i < 200000; i++ {
				s += uint64(i*w) ^ uint64(i)
				if i%50000 == 0 {
					runtime.Gosched()
				}
			}
			sums[w] = s
		}(w)
	}
	wg.Wait()
	ok := true
	for w := 0; w < workers; w++ {
		var s uint64
		for i := 0; i < 200000; i++ {
			s += uint64(i*w) ^ uint64(i)
		}
		if s != sums[w] {
			ok = false
		}
	}
	fmt.Printf("goroutines: %d workers (8 per P) agree with a serial run: %v\n", workers, ok)
	if !ok {
		fail("goroutine sums differ")
	}
}

// Channels: a three-stage pipeline with several workers in the middle.
func channels() {
	src := make(chan int)
	sq := make(chan int, 16)
	var wg sync.WaitGroup
	go func() {
		for i := 1; i <= 20000; i++ {
			src <- i
		}
		close(src)
	}()
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range src {
				sq <- v % 1000 * (v % 1000)
			}
		}()
	}
	go func() { wg.Wait(); close(sq) }()
	total, n := 0, 0
	for v := range sq {
		total += v
		n++
	}
	// select with a timeout on an unbuffered channel nobody writes to
	idle := make(chan int)
	timedOut := false
	select {
	case <-idle:
	case <-time.After(20 * time.Millisecond):
		timedOut = true
	}
	fmt.Printf("channels: %d values, sum of squares %d, select timed out: %v\n", n, total, timedOut)
}

// A timer storm: thousands of AfterFunc timers, some stopped before they
// fire, and tickers running side by side.
func timers() {
	const n = 3000
	var fired, stopped int64
	var wg sync.WaitGroup
	ts := make([]*time.Timer, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		d := time.Duration(1+i%40) * time.Millisecond
		if i%10 == 9 {
			d = time.Hour // stopped below
		}
		ts[i] = time.AfterFunc(d, func() {
			atomic.AddInt64(&fired, 1)
			wg.Done()
		})
	}
	for i := 9; i < n; i += 10 {
		if ts[i].Stop() {
			stopped++
			wg.Done()
		}
	}
	wg.Wait()
	const tickers, ticks = 50, 10
	var tg sync.WaitGroup
	var tickCount int64
	for i := 0; i < tickers; i++ {
		tg.Add(1)
		go func(i int) {
			defer tg.Done()
			t := time.NewTicker(time.Duration(1+i%5) * time.Millisecond)
			defer t.Stop()
			for k := 0; k < ticks; k++ {
				<-t.C
				atomic.AddInt64(&tickCount, 1)
			}
		}(i)
	}
	tg.Wait()
	start := time.Now()
	time.Sleep(30 * time.Millisecond)
	slept := time.Since(start) >= 30*time.Millisecond
	fmt.Printf("timers: %d fired, %d stopped, %d ticks from %d tickers, sleep at least 30ms: %v\n",
		fired, stopped, tickCount, tickers, slept)
}

type node struct {
	next *node
	data [8]uint64
}

// GC under load: goroutines build and drop linked lists while the main
// goroutine forces collections; every list must still add up.
func gc() {
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	var bad int64
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for round := 0; ; round++ {
				var head *node
				for i := 0; i < 2000; i++ {
					head = &node{next: head}
					head.data[i%8] = uint64(i)
				}
				var s uint64
				for p := head; p != nil; p = p.next {
					for _, v := range p.data {
						s += v
					}
				}
				if s != 1999*2000/2 {
					atomic.AddInt64(&bad, 1)
				}
				m := make(map[int][]byte)
				for i := 0; i < 200; i++ {
					m[i] = make([]byte, 1024)
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}(w)
	}
	const forced = 5
	for i := 0; i < forced; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	cycles := after.NumGC - before.NumGC
	fmt.Printf("gc: at least %d cycles under load: %v, lists intact: %v\n", forced, cycles >= forced, bad == 0)
	if cycles < forced || bad != 0 {
		fail("gc cycles %d bad lists %d", cycles, bad)
	}
}

// os/signal: SIGUSR1 sent to ourselves arrives on the channel.
func signals() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		fail("kill: %v", err)
	}
	select {
	case s := <-c:
		fmt.Printf("signal: received %v\n", s)
	case <-time.After(10 * time.Second):
		fail("no SIGUSR1 after 10 s")
	}
	signal.Stop(c)
}

// sync: a mutex-protected counter, and a WaitGroup to join.
func syncs() {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	for g := 0; g < 100; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var once sync.Once
	onces := 0
	for i := 0; i < 10; i++ {
		once.Do(func() { onces++ })
	}
	fmt.Printf("sync: counter %d (expected 100000), once ran %d time\n", counter, onces)
	if counter != 100000 {
		fail("counter %d", counter)
	}
}

var sink uint64

// Asynchronous preemption: with one P, goroutines spinning in loops without
// calls leave the CPU only when sysmon's SIGURG (tgkill) interrupts them and
// the handler rewrites the signal frame to enter the scheduler; the main
// goroutine's timer could not fire otherwise.
func preempt() {
	old := runtime.GOMAXPROCS(1)
	var stop int32
	done := make(chan bool)
	for i := 0; i < 2; i++ {
		go func() {
			x := uint64(1)
			for atomic.LoadInt32(&stop) == 0 {
				x = x*6364136223846793005 + 1442695040888963407
			}
			atomic.AddUint64(&sink, x)
			done <- true
		}()
	}
	time.Sleep(50 * time.Millisecond)
	atomic.StoreInt32(&stop, 1)
	<-done
	<-done
	runtime.GOMAXPROCS(old)
	fmt.Println("preempt: the main goroutine ran beside 2 spinning goroutines on one P: true")
}

// The loopback interface through net.Interfaces (netlink RTM_GETLINK and
// RTM_GETADDR), and an AF_UNIX echo through the netpoller: a nonblocking
// listener on an abstract name, accept parked in epoll, Dial, and a
// goroutine echoing until the client closes.
func netif() {
	ifs, err := net.Interfaces()
	if err != nil {
		fail("net.Interfaces: %v", err)
		return
	}
	for _, i := range ifs {
		if i.Name != "lo" {
			continue
		}
		addrs, err := i.Addrs()
		if err != nil {
			fail("lo.Addrs: %v", err)
		}
		fmt.Printf("netif: lo index %d mtu %d flags %v addrs %v\n", i.Index, i.MTU, i.Flags, addrs)
	}
	l, err := net.Listen("unix", "@pith-go-runtime")
	if err != nil {
		fail("listen: %v", err)
		return
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			fail("accept: %v", err)
			return
		}
		io.Copy(c, c)
		c.Close()
	}()
	c, err := net.Dial("unix", "@pith-go-runtime")
	if err != nil {
		fail("dial: %v", err)
		return
	}
	msg := make([]byte, 100000)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	go c.Write(msg)
	back := make([]byte, len(msg))
	_, err = io.ReadFull(c, back)
	same := err == nil && string(back) == string(msg)
	c.Close()
	fmt.Printf("unix: %d bytes echoed through an abstract-name listener: %v\n", len(msg), same)
}

func main() {
	// With arguments: only the parts named, in this order.
	parts := []struct {
		name string
		run  func()
	}{{"cpus", cpus}, {"preempt", preempt}, {"channels", channels}, {"timers", timers},
		{"gc", gc}, {"signals", signals}, {"sync", syncs}, {"netif", netif}}
	wanted := map[string]bool{}
	for _, a := range os.Args[1:] {
		wanted[a] = true
	}
	for _, p := range parts {
		if len(wanted) == 0 || wanted[p.name] {
			p.run()
		}
	}
	if failed {
		fmt.Println("go_runtime: FAILED")
		os.Exit(1)
	}
	fmt.Println("go_runtime: all parts ok")
}
