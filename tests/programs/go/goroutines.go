// Goroutines over channels, a mutex and a WaitGroup, with GOMAXPROCS 4:
// the runtime's threads, futexes and preemption signals under load.
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
)

func main() {
	runtime.GOMAXPROCS(4)
	jobs := make(chan int)
	results := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				s := 0
				for k := 0; k < j*1000; k++ {
					s += k % 7
				}
				results <- s
			}
		}()
	}
	go func() {
		for j := 0; j < 200; j++ {
			jobs <- j
		}
		close(jobs)
	}()
	go func() { wg.Wait(); close(results) }()
	var all []int
	for r := range results {
		all = append(all, r)
	}
	sort.Ints(all)
	total := 0
	for _, r := range all {
		total += r
	}
	var mu sync.Mutex
	count := 0
	var wg2 sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for k := 0; k < 1000; k++ {
				mu.Lock()
				count++
				mu.Unlock()
			}
		}()
	}
	wg2.Wait()
	fmt.Println(len(all), total, all[0], all[len(all)-1], count)
}
