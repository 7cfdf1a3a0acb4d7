// A Go net/http server for the srv_go_* tests (test/servers/tests.sh),
// built offline by mk/runtimes.mk with Debian's golang-go (CGO_ENABLED=0:
// the Go runtime's own system calls, its netpoller on epoll).
//
//	go_http PORT DIR
//
// GET /hello answers "hello from go net/http"; /files/NAME serves DIR/NAME
// (http.FileServer: sendfile or read+write, Range requests); GET /quit
// answers "bye" and the program exits 0 once the answer is out.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Println("usage: go_http PORT DIR")
		os.Exit(2)
	}
	l, err := net.Listen("tcp", ":"+os.Args[1])
	if err != nil {
		fmt.Println("go_http:", err)
		os.Exit(1)
	}
	quit := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from go net/http")
	})
	mux.Handle("/files/", http.StripPrefix("/files/", http.FileServer(http.Dir(os.Args[2]))))
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "bye")
		close(quit)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	fmt.Println("go_http: listening on", l.Addr())
	<-quit
	time.Sleep(200 * time.Millisecond) // let the answer to /quit leave
	fmt.Println("go_http: bye")
}
