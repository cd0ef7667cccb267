//! pcap, pcapng and gzip files are hostile input: read every packet the bytes
//! claim to hold; an error ends the stream, a panic or an unbounded
//! allocation is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut src) = warden_capture::open_reader(std::io::Cursor::new(data.to_vec())) else {
        return;
    };
    let mut n = 0u64;
    while let Ok(Some(p)) = src.next_packet() {
        assert!(p.data.len() <= warden_capture::MAX_PACKET);
        n += 1;
    }
    assert_eq!(n, src.packets_read());
});
