//! `make soak`: 200,000 requests (8 threads sharing one `PoolManager`) against the embedded
//! test server, printing open file descriptors and resident memory before and after. Flat
//! figures mean no socket, thread or buffer outlives its request.

use std::sync::Arc;
use std::thread;

use testserver::TestServer;
use urllib3::{PoolManager, RequestMethods};

const THREADS: usize = 8;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total: usize = std::env::args().nth(1).map_or(Ok(200_000), |n| n.parse())?;
    let server = TestServer::start();
    let manager = Arc::new(PoolManager::new());
    let url = server.url("/small");
    // One round first, so the pool, the runtime and the allocator are at their working size.
    run(&manager, &url, THREADS * 10)?;
    let before = (open_fds()?, rss_kib()?);
    run(&manager, &url, total)?;
    let after = (open_fds()?, rss_kib()?);
    println!("rust: {total} requests, {THREADS} threads");
    println!("  fds:     {} before, {} after", before.0, after.0);
    println!("  rss KiB: {} before, {} after", before.1, after.1);
    Ok(())
}

fn run(manager: &Arc<PoolManager>, url: &str, total: usize) -> Result<(), urllib3::Error> {
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (manager, url) = (Arc::clone(manager), url.to_owned());
            thread::spawn(move || -> Result<(), urllib3::Error> {
                for _ in 0..total / THREADS {
                    let mut r = manager.request("GET", &url)?;
                    assert_eq!(r.data()?, b"Hello, world!");
                }
                Ok(())
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a soak thread panicked")?;
    }
    Ok(())
}

fn open_fds() -> std::io::Result<usize> {
    Ok(std::fs::read_dir("/proc/self/fd")?.count())
}

fn rss_kib() -> std::io::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    Ok(status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0))
}
