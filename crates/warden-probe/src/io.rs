//! Bounded reads with a deadline, shared by the text protocols.

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Turns bytes read from the wire into text (and may answer the peer).
pub type Filter<'a> = dyn FnMut(&mut TcpStream, &[u8], &mut Vec<u8>) + 'a;

/// Reads into `buf` until `done(buf)` holds, the peer closes, `max` bytes
/// are held, or `deadline` passes. Returns whether `done` held.
pub fn read_until(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
    deadline: Instant,
    max: usize,
    filter: &mut Filter,
    done: &dyn Fn(&[u8]) -> bool,
) -> bool {
    let mut chunk = [0u8; 2048];
    loop {
        if done(buf) {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || buf.len() >= max {
            return false;
        }
        let _ = s.set_read_timeout(Some(left.max(Duration::from_millis(1))));
        match s.read(&mut chunk) {
            Ok(0) => return done(buf),
            Ok(n) => {
                let data = chunk[..n].to_vec();
                filter(s, &data, buf);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return done(buf),
        }
    }
}

/// Passes bytes through unchanged.
pub fn plain(_: &mut TcpStream, data: &[u8], buf: &mut Vec<u8>) {
    buf.extend_from_slice(data);
}

/// Whether the lowercased text of `b` contains any of `words`.
pub fn contains_any(b: &[u8], words: &[&str]) -> bool {
    let t = String::from_utf8_lossy(b).to_ascii_lowercase();
    words.iter().any(|w| t.contains(w))
}
