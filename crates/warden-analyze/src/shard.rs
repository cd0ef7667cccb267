//! The traffic engine over several cores, with the report one thread
//! would make.
//!
//! [`Sharded`] takes packets from the caller (the thread that reads the
//! captures), copies them into batches and hands every batch to `n` flow
//! workers and to one merger:
//!
//! - a **flow worker** decodes each packet's headers, keeps the packets
//!   whose flow (the 5-tuple, both directions alike) hashes to it, decodes
//!   their application layer and accounts them in its own flow table;
//!   packets that belong to no flow (ARP, LLDP, ICMP, later fragments) go
//!   to worker 0;
//! - the **merger** owns the [`Analyzer`]: it takes each packet in capture
//!   order, with the application layer and the ended flows from the worker
//!   that had it, and does what depends on the order of all packets (DNS
//!   names, identities, the detectors of the sink, folding flows into the
//!   report every 65,536 packets).
//!
//! Because the merger sees every packet and every ended flow at the same
//! position as a single thread does, the report and everything the sink is
//! handed are the same as with [`Analyzer::observe`]; a test compares them
//! on every capture of the corpus. One exception, by design: when the flow
//! table is full, each worker evicts the oldest flows of its own share of
//! the table (a shard holds `caps.flows / n`), so which flows are cut short
//! differs from one table.
//!
//! The cost of the split: each packet's link, IP and transport headers are
//! decoded by every worker (to find its shard) and by the merger (the sink
//! reads borrowed views of the packet); the application layer, the costly
//! part, is decoded once.

use crate::{Analyzer, Sink};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use warden_capture::{Link, Packet};
use warden_flow::{Flow, FlowKey, FlowTable, Limits};
use warden_wire::app::{self, Application};
use warden_wire::decode;

/// Packets per batch, and the bytes after which a batch goes out early.
const BATCH_PACKETS: usize = 4096;
const BATCH_BYTES: usize = 4 << 20;
/// Batches in flight per channel: bounds the memory a fast reader can fill.
const IN_FLIGHT: usize = 4;

struct Meta {
    ts_nanos: i64,
    link: Link,
    interface: u32,
    orig_len: u32,
    start: usize,
    end: usize,
}

#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    packets: Vec<Meta>,
}

impl Batch {
    fn packet(&self, m: &Meta) -> Packet<'_> {
        Packet {
            ts_nanos: m.ts_nanos,
            link: m.link,
            interface: m.interface,
            orig_len: m.orig_len,
            data: self.data.get(m.start..m.end).unwrap_or_default(),
        }
    }
}

/// What a worker did with one of its packets: the packet's place in its
/// batch (so the merger need not find its shard again), its application
/// layer, and the flows it ended.
type Done = (usize, Application, Vec<Flow>);

/// Which worker a decoded packet belongs to.
#[derive(Clone)]
struct Shards {
    n: usize,
    hasher: ahash::RandomState,
}

impl Shards {
    fn of(&self, d: &warden_wire::Decoded<'_>) -> usize {
        match FlowKey::of(d) {
            // The key is canonical (lower endpoint first): both directions
            // of a flow land on the same worker.
            Some(k) => (self.hasher.hash_one(k) % self.n as u64) as usize,
            None => 0,
        }
    }
}

/// An analyzer whose flow stage runs on `n` worker threads; see the module
/// documentation.
pub struct Sharded<S: Sink + Send + 'static> {
    batch: Batch,
    to_workers: Vec<SyncSender<Arc<Batch>>>,
    to_merger: SyncSender<Arc<Batch>>,
    workers: Vec<JoinHandle<FlowTable>>,
    merger: JoinHandle<Analyzer<S>>,
    capture_errors: Vec<(String, String)>,
}

impl<S: Sink + Send + 'static> Sharded<S> {
    /// Takes over `analyzer` with `n` flow workers (at least one). Give it
    /// fresh: flows it already holds are reported at the end, but the order
    /// of one thread is kept only for packets observed here.
    pub fn new(analyzer: Analyzer<S>, n: usize) -> Sharded<S> {
        let n = n.max(1);
        let limits = analyzer.flows.limits();
        let shard_limits = Limits {
            max_flows: (limits.max_flows / n).max(1),
            ..limits
        };
        let shards = Shards {
            n,
            hasher: ahash::RandomState::new(),
        };
        let mut to_workers = Vec::with_capacity(n);
        let mut from_workers = Vec::with_capacity(n);
        let mut workers = Vec::with_capacity(n);
        for me in 0..n {
            let (tx, rx) = sync_channel::<Arc<Batch>>(IN_FLIGHT);
            let (out_tx, out_rx) = sync_channel::<Vec<Done>>(IN_FLIGHT);
            let shards = shards.clone();
            workers.push(spawn(format!("warden-flow-{me}"), move || {
                flow_worker(me, &shards, shard_limits, rx, out_tx)
            }));
            to_workers.push(tx);
            from_workers.push(out_rx);
        }
        let (to_merger, merger_rx) = sync_channel::<Arc<Batch>>(IN_FLIGHT);
        let merger = spawn("warden-merge".into(), move || {
            merge(analyzer, merger_rx, from_workers)
        });
        Sharded {
            batch: Batch::default(),
            to_workers,
            to_merger,
            workers,
            merger,
            capture_errors: Vec::new(),
        }
    }

    pub fn observe(&mut self, p: &Packet<'_>) {
        let start = self.batch.data.len();
        self.batch.data.extend_from_slice(p.data);
        self.batch.packets.push(Meta {
            ts_nanos: p.ts_nanos,
            link: p.link,
            interface: p.interface,
            orig_len: p.orig_len,
            start,
            end: self.batch.data.len(),
        });
        if self.batch.packets.len() >= BATCH_PACKETS || self.batch.data.len() >= BATCH_BYTES {
            self.dispatch();
        }
    }

    /// A capture file that ended in an error (kept in order, reported as
    /// [`Analyzer::capture_error`] does).
    pub fn capture_error(&mut self, file: &str, e: &warden_capture::CaptureError) {
        self.capture_errors.push((file.to_string(), e.to_string()));
    }

    fn dispatch(&mut self) {
        if self.batch.packets.is_empty() {
            return;
        }
        let b = Arc::new(std::mem::take(&mut self.batch));
        // A closed channel means that thread panicked: `finish` says so.
        for tx in &self.to_workers {
            let _ = tx.send(b.clone());
        }
        let _ = self.to_merger.send(b);
    }

    /// Waits for every thread and returns the report and the sink, as
    /// [`Analyzer::finish_with_sink`] does. A panic in a worker is raised
    /// here.
    pub fn finish_with_sink(mut self) -> (crate::Report, S) {
        self.dispatch();
        drop(self.to_workers);
        drop(self.to_merger);
        let mut tables: Vec<FlowTable> = self
            .workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect();
        let mut analyzer = self
            .merger
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        // Flows the analyzer held before it was handed over (none when it
        // came fresh, as `new` asks) are not lost.
        let limits = analyzer.flows.limits();
        tables.push(std::mem::replace(
            &mut analyzer.flows,
            FlowTable::new(limits),
        ));
        for (file, e) in self.capture_errors {
            analyzer.capture_errors.push(format!("{file}: {e}"));
        }
        analyzer.finish_with_tables(tables)
    }

    pub fn finish(self) -> crate::Report {
        self.finish_with_sink().0
    }
}

/// A named thread (names show in `top -H` and profiles). Spawning fails
/// only when the system is out of threads or memory, as for `thread::spawn`.
fn spawn<T: Send + 'static>(name: String, f: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    std::thread::Builder::new()
        .name(name)
        .spawn(f)
        .unwrap_or_else(|e| panic!("cannot start a thread: {e}"))
}

fn flow_worker(
    me: usize,
    shards: &Shards,
    limits: Limits,
    batches: Receiver<Arc<Batch>>,
    out: SyncSender<Vec<Done>>,
) -> FlowTable {
    let mut table = FlowTable::new(limits);
    for b in batches {
        let mut done = Vec::with_capacity(b.packets.len() / shards.n + 16);
        for (i, m) in b.packets.iter().enumerate() {
            let p = b.packet(m);
            let d = decode(p.link, p.data);
            if shards.of(&d) != me {
                continue;
            }
            let application = app::decode(&d);
            table.observe(p.ts_nanos, &d, p.orig_len);
            done.push((i, application, table.drain_finished()));
        }
        if out.send(done).is_err() {
            break;
        }
    }
    table
}

fn merge<S: Sink>(
    mut analyzer: Analyzer<S>,
    batches: Receiver<Arc<Batch>>,
    from_workers: Vec<Receiver<Vec<Done>>>,
) -> Analyzer<S> {
    for b in batches {
        let mut outs = Vec::with_capacity(from_workers.len());
        for rx in &from_workers {
            match rx.recv() {
                Ok(v) => outs.push(v.into_iter().peekable()),
                // A worker is gone (it panicked): `finish` raises it.
                Err(_) => return analyzer,
            }
        }
        for (i, m) in b.packets.iter().enumerate() {
            let p = b.packet(m);
            let d = decode(p.link, p.data);
            // Each worker's results come in batch order: packet i is at the
            // head of exactly one of them.
            let mine = outs.iter_mut().find_map(|o| o.next_if(|(at, ..)| *at == i));
            let (application, ended) = match mine {
                Some((_, a, f)) => (a, f),
                // Cannot happen (the worker took every packet of its shard),
                // and costs nothing to keep correct.
                None => (app::decode(&d), Vec::new()),
            };
            analyzer.observe_sharded(&p, &d, &application, ended);
        }
    }
    analyzer
}
