//! decode-loop FILE...: read and decode every packet, nothing else: the floor
//! under warden's full pipeline. Prints packets, seconds and Mpps.
use std::time::Instant;
fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let t = Instant::now();
    let (mut n, mut ip) = (0u64, 0u64);
    for f in &files {
        let mut src = warden_capture::open_path(std::path::Path::new(f)).expect("capture");
        while let Ok(Some(p)) = src.next_packet() {
            let d = warden_wire::decode(p.link, p.data);
            n += 1;
            ip += u64::from(matches!(d.net, warden_wire::Net::Ip(_)));
        }
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "decode-loop: {n} packets ({ip} IP) in {s:.3} s = {:.2} Mpps",
        n as f64 / s / 1e6
    );
}
