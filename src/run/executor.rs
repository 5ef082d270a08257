//! The worker pool every command computes runs on (`run`, `verify`): a rayon pool
//! whose workers each pin libtorch to one intra-op thread, since runs already fill
//! the cores and nested libtorch threads would only contend for them. Results come
//! back to the calling thread in completion order, where the caller alone keeps
//! state, so no reporter or table ever needs a lock.
//!
//! Items are taken one at a time from a shared counter, in order, by whichever
//! worker is free: a pack of networks can cost a thousand times a classical run,
//! and rayon's `par_iter` splits the items into ranges up front, which put a
//! sweep's adjacent packs on one worker while the other idled.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use super::RunError;

pub struct Executor {
    pool: rayon::ThreadPool,
}

impl Executor {
    /// A pool of `jobs` workers (at least one).
    pub fn new(jobs: usize) -> Result<Executor, RunError> {
        let jobs = jobs.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .start_handler(|_| crate::estimate::init_thread())
            .build()
            .map_err(|source| RunError::Pool { jobs, source })?;
        Ok(Executor { pool })
    }

    /// Apply `work` to every item on the pool and hand each result, with the
    /// item's position in `items`, to `done` on the calling thread as it arrives.
    /// Once `done` breaks, items not yet started are skipped; those under way still
    /// finish and still reach `done`. A result that is an error is the caller's to
    /// judge: `done` breaks on it, or goes on.
    pub fn for_each<I, T, W, D>(&self, items: &[I], work: W, mut done: D)
    where
        I: Sync,
        T: Send,
        W: Fn(&I) -> T + Sync,
        D: FnMut(usize, T) -> ControlFlow<()>,
    {
        let (stop, next) = (AtomicBool::new(false), AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel::<(usize, T)>();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                // One loop on every worker, each taking the next item not yet taken.
                self.pool.broadcast(|_| {
                    let tx = tx.clone();
                    while !stop.load(Ordering::SeqCst) {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(item) = items.get(i) else { break };
                        let _ = tx.send((i, work(item)));
                    }
                });
                drop(tx);
            });
            for (i, value) in rx {
                if done(i, value).is_break() {
                    stop.store(true, Ordering::SeqCst);
                }
            }
        });
    }

    /// Every item's result, in the order of `items` whatever order they finished
    /// in, so that what a caller prints does not depend on `--jobs`.
    pub fn map<I, T, W>(&self, items: &[I], work: W) -> Vec<T>
    where
        I: Sync,
        T: Send,
        W: Fn(&I) -> T + Sync,
    {
        let mut results: Vec<Option<T>> = items.iter().map(|_| None).collect();
        self.for_each(items, work, |i, value| {
            results[i] = Some(value);
            ControlFlow::Continue(())
        });
        // Nothing broke, so every item reached `done`.
        results.into_iter().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn map_keeps_the_order_of_the_items() {
        let executor = Executor::new(3).unwrap();
        let items: Vec<u64> = (0..50).collect();
        let squares = executor.map(&items, |&x| x * x);
        assert_eq!(squares, items.iter().map(|x| x * x).collect::<Vec<_>>());
    }

    #[test]
    fn every_worker_runs_on_the_pool_threads() {
        // The start handler pins libtorch on each worker; work must run there, not on the caller.
        let executor = Executor::new(2).unwrap();
        let caller = std::thread::current().id();
        let ids = executor.map(&[0; 8], |_| std::thread::current().id());
        assert!(ids.iter().all(|&id| id != caller));
    }

    /// Wait (at most a few seconds, so a broken test fails instead of hanging) until `flag` is set.
    fn wait_for(flag: &AtomicBool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !flag.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Leave the caller's thread time to act on what it was just handed.
        std::thread::sleep(Duration::from_millis(20));
    }

    #[test]
    fn a_break_skips_the_items_not_yet_started() {
        let executor = Executor::new(1).unwrap();
        let (started, broke) = (AtomicUsize::new(0), AtomicBool::new(false));
        let items: Vec<usize> = (0..50).collect();
        let mut seen = Vec::new();
        executor.for_each(
            &items,
            |&x| {
                // Every item but the first waits for the break, so the worker cannot run ahead of it.
                if started.fetch_add(1, Ordering::SeqCst) > 0 {
                    wait_for(&broke);
                }
                x
            },
            |i, x| {
                seen.push((i, x));
                broke.store(true, Ordering::SeqCst);
                ControlFlow::Break(())
            },
        );
        // The first item, and at most the one the worker had started when the break came.
        let started = started.load(Ordering::SeqCst);
        assert!((1..=2).contains(&started), "{started} of {} items started", items.len());
        assert_eq!(seen.len(), started, "{seen:?}");
        assert!(seen.iter().all(|&(i, x)| i == x), "{seen:?}");
    }

    /// Two long items side by side at the front, as a sweep's packs of one
    /// group are, run at the same time on two workers: each waits (a few seconds
    /// at most) for the other to start. rayon's up-front ranges ran them one after
    /// the other on one worker.
    #[test]
    fn adjacent_long_items_run_on_different_workers() {
        let executor = Executor::new(2).unwrap();
        let started = AtomicUsize::new(0);
        let items: Vec<usize> = (0..40).collect();
        let overlapped = executor.map(&items, |&i| {
            if i >= 2 {
                return true;
            }
            started.fetch_add(1, Ordering::SeqCst);
            let deadline = Instant::now() + Duration::from_secs(5);
            while started.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            started.load(Ordering::SeqCst) == 2
        });
        assert!(overlapped[..2].iter().all(|&o| o), "items 0 and 1 ran one after the other");
    }
}
