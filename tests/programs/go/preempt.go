// Hash work in assembly (crypto/sha256) on four goroutines while the
// runtime preempts them with signals: every sum must match the first.
// A register the signal return does not give back shows as wrong sums.
package main

import (
	"crypto/sha256"
	"fmt"
	"sync"
)

func main() {
	buf := make([]byte, 1000000)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	want := sha256.Sum256(buf)
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if sha256.Sum256(buf) != want {
					mu.Lock()
					bad++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("%x\n400 sums, %d wrong\n", want[:8], bad)
}
