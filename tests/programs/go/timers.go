package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

func main() {
	runtime.GOMAXPROCS(4)
	ch := make(chan int, 16)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				ch <- i
			}
		}(w)
	}
	go func() { wg.Wait(); close(ch) }()
	sum := 0
	for v := range ch {
		sum += v
	}
	fmt.Println("sum", sum)
	t0 := time.Now()
	var n int
	tick := time.NewTicker(2 * time.Millisecond)
	for range tick.C {
		n++
		if n == 50 {
			break
		}
	}
	tick.Stop()
	timers := make(chan int, 100)
	for i := 0; i < 100; i++ {
		i := i
		time.AfterFunc(time.Duration(i%10)*time.Millisecond, func() { timers <- i })
	}
	got := 0
	for range timers {
		got++
		if got == 100 {
			break
		}
	}
	fmt.Println("ticks", n, "timers", got, "elapsed ok", time.Since(t0) < 5*time.Second)
}
