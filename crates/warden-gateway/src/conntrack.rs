//! Cutting a device's live connections.
//!
//! The `inet` table accepts `ct state established,related` first, so a
//! connection opened before a quarantine (a bot's command-and-control
//! session, say) would go on under the new policy. When a device's access
//! shrinks, its connection-tracking entries are removed over netlink
//! (ctnetlink, with the `netlink-packet-netfilter` crate): every entry whose
//! original or reply direction has one of the device's addresses as source
//! or destination. The next packet of such a connection is `new` again and
//! meets the device's current policy. Removing the entry also ends a flow a
//! `flowtable` has offloaded (Linux 6.4 and later delete offloaded entries
//! too; older kernels end them when the flowtable's garbage collection sees
//! the entry die).
//!
//! When ctnetlink cannot be used (no `nf_conntrack_netlink`), the gateway
//! falls back to `conntrack -D` from conntrack-tools, if installed.
//!
//! Bridged frames between two LAN ports are not tracked on most kernels
//! (no `nf_conntrack_bridge`): the bridge table judges every frame, so a
//! new policy holds for them at once.

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_netfilter::conntrack::{ConntrackAttribute, ConntrackMessage, IPTuple, Tuple};
use netlink_packet_netfilter::{
    NetfilterHeader, NetfilterMessage, NetfilterMessageInner, NetfilterProtoFamily,
};
use netlink_sys::{protocols::NETLINK_NETFILTER, Socket, SocketAddr};
use std::net::IpAddr;
use std::process::Command;

/// Linux's ENOENT: the entry ended by itself before it could be removed.
const ENOENT: i32 = 2;

/// At most this many entries are removed per call (a device with more
/// connections than that is a flood, which the policy already drops).
const MAX_ENTRIES: usize = 65_536;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConntrackError {
    /// The netlink socket could not be opened or used.
    #[error("ctnetlink: {0}")]
    Netlink(String),
    /// Neither ctnetlink nor the `conntrack` tool could remove the entries.
    #[error("conntrack: {0}")]
    Tool(String),
}

fn addresses_of(tuple: &[Tuple]) -> impl Iterator<Item = IpAddr> + '_ {
    tuple.iter().flat_map(|t| match t {
        Tuple::Ip(ips) => ips
            .iter()
            .filter_map(|i| match i {
                IPTuple::SourceAddress(a) | IPTuple::DestinationAddress(a) => Some(*a),
                _ => None,
            })
            .collect::<Vec<_>>(),
        _ => vec![],
    })
}

/// Whether a conntrack entry (its attributes) involves one of `addrs`.
fn involves(attrs: &[ConntrackAttribute], addrs: &[IpAddr]) -> bool {
    attrs.iter().any(|a| match a {
        ConntrackAttribute::CtaTupleOrig(t) | ConntrackAttribute::CtaTupleReply(t) => {
            addresses_of(t).any(|x| addrs.contains(&x))
        }
        _ => false,
    })
}

fn request(family: NetfilterProtoFamily, flags: u16, msg: ConntrackMessage) -> Vec<u8> {
    let mut hdr = NetlinkHeader::default();
    hdr.flags = flags;
    let mut packet = NetlinkMessage::new(
        hdr,
        NetlinkPayload::from(NetfilterMessage::new(
            NetfilterHeader::new(family, 0, 0),
            msg,
        )),
    );
    packet.finalize();
    let mut buf = vec![0; packet.buffer_len()];
    packet.serialize(&mut buf);
    buf
}

fn socket() -> Result<Socket, ConntrackError> {
    let err = |e: std::io::Error| ConntrackError::Netlink(e.to_string());
    let mut s = Socket::new(NETLINK_NETFILTER).map_err(err)?;
    s.bind_auto().map_err(err)?;
    s.connect(&SocketAddr::new(0, 0)).map_err(err)?;
    // A dump of a large table comes in many datagrams; never wait forever.
    s.set_rx_buf_sz(1 << 20).map_err(err)?;
    Ok(s)
}

/// Reads netlink messages until `Done` or an error/ack, handing each
/// conntrack message to `f`. Returns the first error code (negative errno)
/// of an ack, or 0.
fn read_all(
    s: &mut Socket,
    mut f: impl FnMut(Vec<ConntrackAttribute>),
) -> Result<i32, ConntrackError> {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = s
            .recv(&mut &mut buf[..], 0)
            .map_err(|e| ConntrackError::Netlink(e.to_string()))?;
        if n == 0 {
            return Ok(0);
        }
        let mut off = 0;
        while off + 16 <= n {
            let len =
                u32::from_ne_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]]) as usize;
            if len < 16 || off + len > n {
                break;
            }
            // An entry this crate cannot read is skipped, not fatal.
            if let Ok(m) = NetlinkMessage::<NetfilterMessage>::deserialize(&buf[off..off + len]) {
                match m.payload {
                    NetlinkPayload::Done(_) => return Ok(0),
                    NetlinkPayload::Error(e) => return Ok(e.raw_code()),
                    NetlinkPayload::InnerMessage(NetfilterMessage {
                        inner:
                            NetfilterMessageInner::Conntrack(
                                ConntrackMessage::New(a)
                                | ConntrackMessage::Get(a)
                                | ConntrackMessage::Delete(a),
                            ),
                        ..
                    }) => f(a),
                    _ => {}
                }
            }
            off += (len + 3) & !3;
        }
    }
}

/// Removes every connection-tracking entry that involves one of `addrs`
/// over ctnetlink. Returns how many were removed.
pub fn cut_netlink(addrs: &[IpAddr]) -> Result<usize, ConntrackError> {
    let mut removed = 0;
    for (family, v4) in [
        (NetfilterProtoFamily::IPv4, true),
        (NetfilterProtoFamily::IPv6, false),
    ] {
        let mine: Vec<IpAddr> = addrs
            .iter()
            .copied()
            .filter(|a| a.is_ipv4() == v4)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let mut s = socket()?;
        let mut victims: Vec<Vec<Tuple>> = Vec::new();
        s.send(
            &request(
                family,
                NLM_F_REQUEST | NLM_F_DUMP,
                ConntrackMessage::Get(vec![]),
            ),
            0,
        )
        .map_err(|e| ConntrackError::Netlink(e.to_string()))?;
        let code = read_all(&mut s, |attrs| {
            if victims.len() < MAX_ENTRIES && involves(&attrs, &mine) {
                if let Some(t) = attrs.into_iter().find_map(|a| match a {
                    ConntrackAttribute::CtaTupleOrig(t) => Some(t),
                    _ => None,
                }) {
                    victims.push(t);
                }
            }
        })?;
        if code != 0 {
            return Err(ConntrackError::Netlink(format!(
                "dump refused: {}",
                std::io::Error::from_raw_os_error(-code)
            )));
        }
        for t in victims {
            s.send(
                &request(
                    family,
                    NLM_F_REQUEST | NLM_F_ACK,
                    ConntrackMessage::Delete(vec![ConntrackAttribute::CtaTupleOrig(t)]),
                ),
                0,
            )
            .map_err(|e| ConntrackError::Netlink(e.to_string()))?;
            match read_all(&mut s, |_| {})? {
                0 => removed += 1,
                c if c == -ENOENT => {}
                c => {
                    return Err(ConntrackError::Netlink(format!(
                        "delete refused: {}",
                        std::io::Error::from_raw_os_error(-c)
                    )))
                }
            }
        }
    }
    Ok(removed)
}

/// The documented fallback: `conntrack -D` from conntrack-tools, once per
/// address and direction. Exit status 1 with "0 flow entries" is success.
pub fn cut_with_tool(addrs: &[IpAddr]) -> Result<(), ConntrackError> {
    for a in addrs {
        for flag in ["-s", "-d", "-r", "-q"] {
            let o = Command::new("conntrack")
                .args(["-D", flag, &a.to_string()])
                .output()
                .map_err(|e| ConntrackError::Tool(e.to_string()))?;
            let err = String::from_utf8_lossy(&o.stderr);
            if !o.status.success() && !err.contains("0 flow entries") {
                return Err(ConntrackError::Tool(err.trim().to_string()));
            }
        }
    }
    Ok(())
}

/// Removes the entries over ctnetlink, or with `conntrack -D` when netlink
/// fails. Returns what was done, for the event log.
pub fn cut(addrs: &[IpAddr]) -> Result<String, ConntrackError> {
    if addrs.is_empty() {
        return Ok("no address known: no connection to cut".into());
    }
    match cut_netlink(addrs) {
        Ok(n) => Ok(format!("{n} tracked connections cut (ctnetlink)")),
        Err(e) => match cut_with_tool(addrs) {
            Ok(()) => Ok(format!("connections cut with conntrack -D ({e})")),
            Err(e2) => Err(ConntrackError::Tool(format!("{e}; then {e2}"))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_involves_a_device_by_either_direction() {
        let dev: IpAddr = "10.0.0.5".parse().unwrap();
        let other: IpAddr = "198.51.100.1".parse().unwrap();
        let nat: IpAddr = "203.0.113.9".parse().unwrap();
        let orig = |s: IpAddr, d: IpAddr| {
            ConntrackAttribute::CtaTupleOrig(vec![Tuple::Ip(vec![
                IPTuple::SourceAddress(s),
                IPTuple::DestinationAddress(d),
            ])])
        };
        let reply = |s: IpAddr, d: IpAddr| {
            ConntrackAttribute::CtaTupleReply(vec![Tuple::Ip(vec![
                IPTuple::SourceAddress(s),
                IPTuple::DestinationAddress(d),
            ])])
        };
        assert!(involves(&[orig(dev, other)], &[dev]));
        assert!(involves(&[orig(other, dev)], &[dev]));
        // Port forwarding: the original goes to the gateway, the reply comes from the device.
        assert!(involves(&[orig(other, nat), reply(dev, other)], &[dev]));
        assert!(!involves(&[orig(other, nat), reply(nat, other)], &[dev]));
    }

    #[test]
    fn requests_are_well_formed_netlink() {
        let b = request(
            NetfilterProtoFamily::IPv4,
            NLM_F_REQUEST | NLM_F_DUMP,
            ConntrackMessage::Get(vec![]),
        );
        let len = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize;
        assert_eq!(len, b.len());
        let back = NetlinkMessage::<NetfilterMessage>::deserialize(&b).unwrap();
        assert!(matches!(
            back.payload,
            NetlinkPayload::InnerMessage(NetfilterMessage {
                inner: NetfilterMessageInner::Conntrack(ConntrackMessage::Get(_)),
                ..
            })
        ));
    }
}
