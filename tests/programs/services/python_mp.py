# multiprocessing with shared_memory and Semaphore (POSIX shared memory
# and named semaphores over /dev/shm), with the fork and spawn start
# methods: workers write a shared buffer under a semaphore that lets two
# in at a time, the parent checks the buffer and that the segment is gone
# after unlink.
import multiprocessing as mp
import os
import time
from multiprocessing import shared_memory


def worker(name, sem, inside, most, i):
    shm = shared_memory.SharedMemory(name=name)
    with sem:
        with inside.get_lock():
            inside.value += 1
            most.value = max(most.value, inside.value)
        time.sleep(0.02)
        shm.buf[i] = i * 3
        with inside.get_lock():
            inside.value -= 1
    shm.close()


def run(method):
    ctx = mp.get_context(method)
    shm = shared_memory.SharedMemory(create=True, size=64)
    sem = ctx.Semaphore(2)
    inside = ctx.Value("i", 0)
    most = ctx.Value("i", 0)
    ps = [ctx.Process(target=worker, args=(shm.name, sem, inside, most, i))
          for i in range(8)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print(method, list(shm.buf[:8]), [p.exitcode for p in ps],
          "never more than two inside:", 1 <= most.value <= 2)
    with ctx.Pool(2) as pool:
        print(method, "pool", pool.map(abs, range(-3, 3)))
    name = shm.name
    shm.close()
    shm.unlink()
    print(method, "segment gone:", not os.path.exists("/dev/shm/" + name.lstrip("/")))


if __name__ == "__main__":
    for method in ("fork", "spawn"):
        run(method)
