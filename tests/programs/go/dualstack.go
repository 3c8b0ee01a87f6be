// net.Listen("tcp", ":0") and net.ListenPacket("udp", ":0"): Go binds the
// IPv6 wildcard with IPV6_V6ONLY off, so clients at 127.0.0.1 and [::1]
// both reach one listener.  The output names no port.
package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"time"
)

func main() {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		fmt.Println("listen:", err)
		return
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	fmt.Println("listener address:", host)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				peer, _, _ := net.SplitHostPort(c.RemoteAddr().String())
				fmt.Fprintf(c, "%s from %s\n", strings.TrimSpace(line), peer)
			}(c)
		}
	}()
	for _, h := range []string{"127.0.0.1", "::1", "localhost"} {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(h, port), 5*time.Second)
		if err != nil {
			fmt.Println("dial", h, "failed:", err)
			continue
		}
		fmt.Fprintf(c, "hello %s\n", h)
		reply, _ := bufio.NewReader(c).ReadString('\n')
		fmt.Print("tcp ", reply)
		c.Close()
	}
	ln.Close()

	pc, err := net.ListenPacket("udp", ":0")
	if err != nil {
		fmt.Println("listenpacket:", err)
		return
	}
	_, uport, _ := net.SplitHostPort(pc.LocalAddr().String())
	for _, h := range []string{"127.0.0.1", "::1"} {
		c, err := net.Dial("udp", net.JoinHostPort(h, uport))
		if err != nil {
			fmt.Println("dial udp", h, "failed:", err)
			continue
		}
		c.Write([]byte("ping " + h))
		buf := make([]byte, 64)
		pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			fmt.Println("udp read:", err)
		} else {
			fh, _, _ := net.SplitHostPort(from.String())
			fmt.Printf("udp %s from %s\n", buf[:n], fh)
		}
		c.Close()
	}
	pc.Close()
}
