"""Dask distributed peer: empty or 1 ms busy-wait tasks on a LocalCluster.

    python3 dask_local.py WORKLOAD WORKERS SPEC [SPEC ...]

WORKLOAD is "empty" or "ms" (tasks that busy-wait 1 ms on time.perf_counter).
Starts LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True)
and a Client, waits for the workers, runs one untimed warm-up, then for each
SPEC:
  map:N       client.map(fn, range(N)) + client.gather: one Dask task per task
  batch:K:N   N tasks in N/K Dask tasks, each running fn over a list of K
              items (client.map over chunks, as Dask users batch small work)
and prints one line per SPEC:

    dask workload W workers K variant V batch B tasks N wall S rate R

Only map + gather is timed: cluster start-up and the warm-up are not.
"""
import logging
import sys
import time
import warnings


def noop(i):
    return None


def busy_ms(i):
    end = time.perf_counter() + 0.001
    while time.perf_counter() < end:
        pass
    return None


def run_batch(fn, items):
    return [fn(i) for i in items]


def main():
    from dask.distributed import Client, LocalCluster

    workload, nworkers = sys.argv[1], int(sys.argv[2])
    fn = {"empty": noop, "ms": busy_ms}[workload]
    warnings.simplefilter("ignore")
    with LocalCluster(n_workers=nworkers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(nworkers)
        client.gather(client.map(noop, range(10 * nworkers), pure=False))  # warm-up
        for spec in sys.argv[3:]:
            parts = spec.split(":")
            if parts[0] == "map":
                k, n = 1, int(parts[1])
                t0 = time.perf_counter()
                futs = client.map(fn, range(n), pure=False)
                got = len(client.gather(futs))
            else:
                k, n = int(parts[1]), int(parts[2])
                t0 = time.perf_counter()
                batches = [list(range(s, min(s + k, n))) for s in range(0, n, k)]
                futs = client.map(run_batch, [fn] * len(batches), batches, pure=False)
                got = sum(len(r) for r in client.gather(futs))
            wall = time.perf_counter() - t0
            del futs
            assert got == n, (got, n)
            print(f"dask workload {workload} workers {nworkers} variant {parts[0]} "
                  f"batch {k} tasks {n} wall {wall:.4f} rate {n / wall:.0f}", flush=True)


if __name__ == "__main__":
    main()
