//! Running library work with the GIL released, on a chosen number of threads, while still
//! answering Ctrl-C.

use std::collections::HashMap;
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ebdm::engine::StopFlag;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::errors::{internal, param};

/// How often the calling thread looks for pending Python signals while work runs.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// The process that imported the extension. A process forked from it (`multiprocessing`'s
/// default start method on Linux, a process pool) inherits its pools without their threads.
static ORIGIN: OnceLock<u32> = OnceLock::new();

/// Records the importing process; called when the module is initialised.
pub fn init() {
    ORIGIN.get_or_init(std::process::id);
}

/// Pools by thread count, and the process they belong to.
struct Pools {
    pid: u32,
    by_threads: HashMap<usize, Arc<rayon::ThreadPool>>,
}

/// A rayon pool of `threads` threads, or `None` for rayon's global pool.
///
/// Pools are kept for the life of the process, one per thread count: starting and joining
/// threads on every call would cost more than a small call's work (tens of microseconds). In a
/// forked child the inherited pools (rayon's global pool included) have no threads and would
/// wait forever, so the child forgets them and starts its own.
fn pool(threads: Option<usize>) -> PyResult<Option<Arc<rayon::ThreadPool>>> {
    static POOLS: OnceLock<Mutex<Pools>> = OnceLock::new();
    let pid = std::process::id();
    let forked = ORIGIN.get().is_some_and(|&o| o != pid);
    let t = match threads {
        None if !forked => return Ok(None),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        Some(0) => return Err(param("threads", "must be at least 1 (or None for the default thread count)")),
        Some(t) => t,
    };
    let mut pools = POOLS
        .get_or_init(|| Mutex::new(Pools { pid, by_threads: HashMap::new() }))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if pools.pid != pid {
        // Dropping a parent's pool would signal threads that do not exist here.
        for (_, p) in pools.by_threads.drain() {
            std::mem::forget(p);
        }
        pools.pid = pid;
    }
    if let Some(p) = pools.by_threads.get(&t) {
        return Ok(Some(Arc::clone(p)));
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(t)
        .build()
        .map(Arc::new)
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start {t} threads: {e}")))?;
    pools.by_threads.insert(t, Arc::clone(&p));
    Ok(Some(p))
}

/// Runs `work` with the GIL released, inside a rayon pool of `threads` threads (rayon's global
/// pool when `None`), and returns its result.
///
/// With `watch`, the work runs on a helper thread while the calling thread checks for Python
/// signals every 50 ms; a pending signal (Ctrl-C) raises `watch`, which the library's loops
/// poll, waits for the work to wind down and re-raises the signal's exception
/// (`KeyboardInterrupt`). A panic of the work (a bug) becomes a `RuntimeError`.
pub fn run_released<T, F>(py: Python<'_>, threads: Option<usize>, watch: Option<&StopFlag>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    let pool = pool(threads)?;
    let run = move || match &pool {
        Some(p) => p.install(work),
        None => work(),
    };
    let Some(stop) = watch else {
        return py
            .allow_threads(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)))
            .map_err(|p| internal(&*p));
    };
    let mut pending: Option<PyErr> = None;
    let joined = py.allow_threads(|| {
        std::thread::scope(|s| {
            let (tx, rx) = channel::<()>();
            let worker = s.spawn(move || {
                let out = run();
                // The receiver outlives the worker; a send error cannot happen.
                let _ = tx.send(());
                out
            });
            // Ends when the worker finishes, or panics (dropping the sender).
            while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(SIGNAL_POLL) {
                if pending.is_none() {
                    if let Err(e) = Python::with_gil(|py| py.check_signals()) {
                        stop.raise();
                        pending = Some(e);
                    }
                }
            }
            worker.join()
        })
    });
    if let Some(e) = pending {
        return Err(e);
    }
    joined.map_err(|p| internal(&*p))
}
