//! flow-loop FILE...: read, decode and account flows (no names, no report):
//! the flow-table part of the pipeline on its own. Prints Mpps and the
//! in-memory size of a flow entry.
use std::time::Instant;
fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let t = Instant::now();
    let mut table = warden_flow::FlowTable::new(warden_flow::Limits::default());
    let mut n = 0u64;
    for f in &files {
        let mut src = warden_capture::open_path(std::path::Path::new(f)).expect("capture");
        while let Ok(Some(p)) = src.next_packet() {
            let d = warden_wire::decode(p.link, p.data);
            table.observe(p.ts_nanos, &d, p.orig_len);
            n += 1;
        }
    }
    let s = t.elapsed().as_secs_f64();
    let flows = table.into_flows().len();
    println!(
        "flow-loop: {n} packets, {flows} flows in {s:.3} s = {:.2} Mpps; a flow entry is {} bytes (+ hash map overhead)",
        n as f64 / s / 1e6,
        warden_flow::FlowTable::entry_bytes()
    );
}
