// A net/http server and client on 127.0.0.1: listen on an ephemeral port,
// serve concurrent requests over keep-alive and fresh connections, a
// request body echoed back, a streamed (chunked) response, and a clean
// shutdown.  The output never names the port, so native and picos runs
// print the same bytes.
package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Query().Get("n"))
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%d %x", len(b), sha256.Sum256(b))
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		fl := w.(http.Flusher)
		for i := 0; i < 5; i++ {
			fmt.Fprintf(w, "chunk%d;", i)
			fl.Flush()
			time.Sleep(5 * time.Millisecond)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		return
	}
	srv := &http.Server{Handler: mux}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	fmt.Println("listening on loopback:", strings.HasPrefix(ln.Addr().String(), "127.0.0.1:"))

	get := func(c *http.Client, path string) string {
		resp, err := c.Get(base + path)
		if err != nil {
			return "error: " + err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}

	keep := &http.Client{}
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	fmt.Println(get(keep, "/hello?n=1"))
	fmt.Println(get(fresh, "/hello?n=2"))
	fmt.Println(get(keep, "/missing"))
	fmt.Println(get(keep, "/stream"))

	body := strings.Repeat("picos", 200000)
	resp, err := keep.Post(base+"/echo", "text/plain", strings.NewReader(body))
	if err != nil {
		fmt.Println("post:", err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println("echo", string(b))
	}

	var mu sync.Mutex
	var wg sync.WaitGroup
	var got []string
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := keep
			if i%2 == 1 {
				c = fresh
			}
			s := get(c, fmt.Sprintf("/hello?n=%02d", i))
			mu.Lock()
			got = append(got, s)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	sort.Strings(got)
	fmt.Println(len(got), "concurrent:", got[0], "...", got[len(got)-1])

	// Connections the clients keep idle would hold Shutdown until they
	// time out: let them go first.
	keep.CloseIdleConnections()
	fresh.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	fmt.Println("shutdown:", srv.Shutdown(ctx))
	fmt.Println("serve:", <-done)
	_, err = net.DialTimeout("tcp", ln.Addr().String(), time.Second)
	fmt.Println("dial after close refused:", err != nil)
}
