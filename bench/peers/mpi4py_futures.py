"""mpi4py.futures peer: empty or 1 ms busy-wait tasks through MPIPoolExecutor.map.

Run under the futures launcher, so that rank 0 runs this script and ranks
1..W are the pool's workers (MPIPoolExecutor() then uses the existing ranks,
it spawns nothing):

    mpirun -np W+1 python3 -m mpi4py.futures mpi4py_futures.py WORKLOAD CHUNK:N [CHUNK:N ...]

WORKLOAD is "empty" or "ms" (tasks that busy-wait 1 ms on time.perf_counter).
For each CHUNK:N it times executor.map(fn, range(N), chunksize=CHUNK) from the
call to the last result and prints one line:

    mpi4py workload W workers K chunksize C tasks N wall S rate R

Python and MPI start-up and one warm-up map (excluded) are not timed.
"""
import sys
import time

from mpi4py.futures import MPIPoolExecutor


def noop(i):
    return None


def busy_ms(i):
    end = time.perf_counter() + 0.001
    while time.perf_counter() < end:
        pass
    return None


def main():
    workload = sys.argv[1]
    fn = {"empty": noop, "ms": busy_ms}[workload]
    with MPIPoolExecutor() as ex:
        nw = ex._max_workers  # pylint: disable=protected-access
        # Warm-up: make sure the pool is up and every worker has imported us.
        list(ex.map(noop, range(4 * nw)))
        for spec in sys.argv[2:]:
            chunk, n = (int(x) for x in spec.split(":"))
            t0 = time.perf_counter()
            got = sum(1 for _ in ex.map(fn, range(n), chunksize=chunk))
            wall = time.perf_counter() - t0
            assert got == n
            print(f"mpi4py workload {workload} workers {nw} chunksize {chunk} "
                  f"tasks {n} wall {wall:.4f} rate {n / wall:.0f}", flush=True)


if __name__ == "__main__":
    main()
