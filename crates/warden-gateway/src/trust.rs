//! What the gateway believes of what it sees on the LAN.
//!
//! Every device the gateway confines can send any frame, so nothing a frame
//! says about itself is taken on its word:
//!
//! - **DNS answers** fill the DNS-name sets only when the gateway can tie them
//!   to a question a device really asked a resolver the gateway trusts (its
//!   own address or `dns-servers`): the answer must come from that server's
//!   address and port 53, in a frame sent by the gateway itself (or by
//!   configured infrastructure), to the very address, port and transaction
//!   id of a query seen less than [`QUERY_TIMEOUT_NS`] before, for the same
//!   name. Only the question's name is bound, to the addresses at the end
//!   of the CNAME chain that starts at it: never other records the answer
//!   carries, nor the chain's other names (a name a device may ask about,
//!   `x.attacker.example CNAME api.cloud.example`, must not bind
//!   `api.cloud.example`). Unsolicited answers,
//!   mDNS and LLMNR answers, and answers from devices are never believed.
//! - **DHCP server messages** (the leases that bind addresses to MACs) count
//!   only from a configured DHCP server's address, in a frame the gateway or
//!   configured infrastructure sent.
//! - **DHCP client messages** (MUD URLs, host names) count only when the
//!   frame's source MAC is the client hardware address they name, or when
//!   they come through a relay agent that is the gateway or infrastructure.
//!
//! The pending-query table is bounded per client address and in total, so a
//! device that floods questions only loses its own.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use warden_wire::dns::{self, Message};

/// How long a query waits for its answer.
pub const QUERY_TIMEOUT_NS: i64 = 10_000_000_000;
/// Queries waiting per client address.
pub const PENDING_PER_CLIENT: usize = 64;
/// Queries waiting in all.
pub const PENDING_TOTAL: usize = 16_384;
/// Addresses bound from one answer.
pub const MAX_BINDINGS: usize = 256;

/// A name bound to an address for a time: (name, address, ttl in seconds).
pub type Binding = (String, IpAddr, u32);

/// Whom the gateway believes.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// MACs whose frames are the gateway's own (its LAN interfaces) or the
    /// configured infrastructure's.
    pub gateway_macs: HashSet<[u8; 6]>,
    /// DNS servers whose answers fill the name sets.
    pub resolvers: Vec<IpAddr>,
    /// DHCP servers whose ACKs bind addresses.
    pub dhcp_servers: Vec<IpAddr>,
}

impl Trust {
    pub fn is_gateway(&self, mac: Option<[u8; 6]>) -> bool {
        mac.is_some_and(|m| self.gateway_macs.contains(&m))
    }
}

/// The IPv6 addresses of `interfaces`, from `/proc/net/if_inet6`'s text
/// (32 hex digits, index, prefix length, scope, flags, name per line): the
/// gateway's own resolver answers on them too.
pub fn interface_ipv6(proc_if_inet6: &str, interfaces: &[String]) -> Vec<IpAddr> {
    proc_if_inet6
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (hex, name) = (f.first()?, f.get(5)?);
            if hex.len() != 32 || !interfaces.iter().any(|i| i == name) {
                return None;
            }
            let n = u128::from_str_radix(hex, 16).ok()?;
            Some(IpAddr::V6(std::net::Ipv6Addr::from(n)))
        })
        .collect()
}

/// A UDP datagram's addressing, as the frame carried it.
#[derive(Debug, Clone, Copy)]
pub struct Datagram {
    pub src_mac: Option<[u8; 6]>,
    pub src: IpAddr,
    pub src_port: u16,
    pub dst: IpAddr,
    pub dst_port: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct QueryKey {
    client: IpAddr,
    client_port: u16,
    server: IpAddr,
    id: u16,
}

#[derive(Debug, Clone)]
struct Pending {
    name: String,
    mac: [u8; 6],
    at_ns: i64,
}

/// Why an answer was not believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not from a trusted resolver's address and port 53.
    NotAResolver,
    /// From a resolver's address, in a frame a LAN device sent.
    ForgedByDevice,
    /// No query waits for it (unsolicited, late, or a guessed id).
    Unsolicited,
    /// A query waits, but for another name.
    OtherQuestion,
}

impl Refused {
    pub fn name(self) -> &'static str {
        match self {
            Refused::NotAResolver => "not-a-resolver",
            Refused::ForgedByDevice => "forged-by-device",
            Refused::Unsolicited => "unsolicited",
            Refused::OtherQuestion => "other-question",
        }
    }
}

/// The questions devices asked the trusted resolvers, waiting for answers.
#[derive(Debug, Default)]
pub struct DnsGuard {
    pending: HashMap<QueryKey, Pending>,
    per_client: HashMap<IpAddr, usize>,
    /// Queries waiting per sending MAC too: a device that forges many
    /// source addresses still holds only its own share.
    per_mac: HashMap<[u8; 6], usize>,
    /// Answers refused, by reason.
    pub refused: HashMap<&'static str, u64>,
    /// Queries not recorded because their client or the table was full.
    pub queries_dropped: u64,
}

impl DnsGuard {
    /// A query `d` carried, sent by a device (never by the gateway itself)
    /// to a trusted resolver: recorded, within the bounds.
    pub fn query(&mut self, trust: &Trust, d: &Datagram, m: &Message, ts_ns: i64) {
        let (Some(mac), Some((name, _))) = (d.src_mac, m.questions.first()) else {
            return;
        };
        if m.response
            || d.dst_port != 53
            || trust.gateway_macs.contains(&mac)
            || !trust.resolvers.contains(&d.dst)
        {
            return;
        }
        if self.pending.len() >= PENDING_TOTAL {
            self.expire(ts_ns);
        }
        let key = QueryKey {
            client: d.src,
            client_port: d.src_port,
            server: d.dst,
            id: m.id,
        };
        let n = self.per_client.get(&d.src).copied().unwrap_or(0);
        let m = self.per_mac.get(&mac).copied().unwrap_or(0);
        if let Some(old) = self.pending.get(&key) {
            if old.mac != mac {
                self.queries_dropped += 1;
                return; // another MAC's question: not overwritten
            }
        } else {
            if n >= PENDING_PER_CLIENT
                || m >= PENDING_PER_CLIENT
                || self.pending.len() >= PENDING_TOTAL
            {
                self.queries_dropped += 1;
                return;
            }
            *self.per_client.entry(d.src).or_default() += 1;
            *self.per_mac.entry(mac).or_default() += 1;
        }
        self.pending.insert(
            key,
            Pending {
                name: dns::normal(name),
                mac,
                at_ns: ts_ns,
            },
        );
    }

    /// An answer `d` carried: the device that asked and the (name, address,
    /// ttl) bindings when the gateway can tie it to its question.
    pub fn answer(
        &mut self,
        trust: &Trust,
        d: &Datagram,
        m: &Message,
        ts_ns: i64,
    ) -> Result<([u8; 6], Vec<Binding>), Refused> {
        let r = self.judge(trust, d, m, ts_ns);
        if let Err(e) = r {
            *self.refused.entry(e.name()).or_default() += 1;
        }
        r
    }

    fn judge(
        &mut self,
        trust: &Trust,
        d: &Datagram,
        m: &Message,
        ts_ns: i64,
    ) -> Result<([u8; 6], Vec<Binding>), Refused> {
        if d.src_port != 53 || !trust.resolvers.contains(&d.src) {
            return Err(Refused::NotAResolver);
        }
        if !trust.is_gateway(d.src_mac) {
            return Err(Refused::ForgedByDevice);
        }
        let key = QueryKey {
            client: d.dst,
            client_port: d.dst_port,
            server: d.src,
            id: m.id,
        };
        let Some(p) = self.pending.get(&key) else {
            return Err(Refused::Unsolicited);
        };
        if ts_ns.saturating_sub(p.at_ns) > QUERY_TIMEOUT_NS {
            self.remove(&key);
            return Err(Refused::Unsolicited);
        }
        let asked = match m.questions.first() {
            Some((q, _)) if dns::normal(q) == p.name => p.name.clone(),
            _ => return Err(Refused::OtherQuestion),
        };
        let mac = p.mac;
        self.remove(&key);
        Ok((mac, chain_bindings(&asked, m)))
    }

    fn remove(&mut self, key: &QueryKey) {
        if let Some(p) = self.pending.remove(key) {
            if let Some(n) = self.per_client.get_mut(&key.client) {
                *n -= 1;
                if *n == 0 {
                    self.per_client.remove(&key.client);
                }
            }
            if let Some(n) = self.per_mac.get_mut(&p.mac) {
                *n -= 1;
                if *n == 0 {
                    self.per_mac.remove(&p.mac);
                }
            }
        }
    }

    /// Forgets queries that waited too long.
    pub fn expire(&mut self, now_ns: i64) {
        let old: Vec<QueryKey> = self
            .pending
            .iter()
            .filter(|(_, p)| now_ns.saturating_sub(p.at_ns) > QUERY_TIMEOUT_NS)
            .map(|(k, _)| *k)
            .collect();
        for k in old {
            self.remove(&k);
        }
    }

    pub fn waiting(&self) -> usize {
        self.pending.len()
    }
}

/// The addresses the question's name resolves to, following the CNAME chain
/// that starts at it (at most [`dns::MAX_CHAIN`] links), each bound to the
/// question's name only. Address records in other sections, or reached by
/// no chain from the question, are ignored.
pub fn chain_bindings(question: &str, m: &Message) -> Vec<Binding> {
    let question = dns::normal(question);
    m.resolutions()
        .into_iter()
        .filter(|r| r.in_answer && r.names.contains(&question))
        .take(MAX_BINDINGS)
        .map(|r| (question.clone(), r.address, r.ttl))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_wire::dns::{RData, Record};

    const GW: [u8; 6] = [2, 0, 0, 0, 0, 1];
    const CAM: [u8; 6] = [2, 0, 0, 0, 0, 0x10];
    const NEIGHBOUR: [u8; 6] = [2, 0, 0, 0, 0, 0x20];

    fn trust() -> Trust {
        Trust {
            gateway_macs: [GW].into_iter().collect(),
            resolvers: vec!["10.0.0.1".parse().unwrap()],
            dhcp_servers: vec!["10.0.0.1".parse().unwrap()],
        }
    }

    fn msg(id: u16, response: bool, q: &str, answers: Vec<Record>) -> Message {
        Message {
            id,
            response,
            rcode: 0,
            questions: vec![(q.into(), 1)],
            answers,
            extra: vec![],
        }
    }

    fn a(name: &str, ip: &str, ttl: u32) -> Record {
        Record {
            name: name.into(),
            rtype: 1,
            ttl,
            data: RData::A(ip.parse().unwrap()),
        }
    }

    fn cname(name: &str, to: &str) -> Record {
        Record {
            name: name.into(),
            rtype: 5,
            ttl: 60,
            data: RData::Cname(to.into()),
        }
    }

    fn ask(mac: [u8; 6], port: u16) -> Datagram {
        Datagram {
            src_mac: Some(mac),
            src: "10.0.0.10".parse().unwrap(),
            src_port: port,
            dst: "10.0.0.1".parse().unwrap(),
            dst_port: 53,
        }
    }

    fn reply(mac: [u8; 6], port: u16) -> Datagram {
        Datagram {
            src_mac: Some(mac),
            src: "10.0.0.1".parse().unwrap(),
            src_port: 53,
            dst: "10.0.0.10".parse().unwrap(),
            dst_port: port,
        }
    }

    #[test]
    fn only_an_answer_to_a_real_question_from_the_gateway_is_believed() {
        let t = trust();
        let mut g = DnsGuard::default();
        let ans = msg(
            7,
            true,
            "api.cloud.example",
            vec![a("api.cloud.example", "198.51.100.11", 60)],
        );
        // Unsolicited, even from the gateway.
        assert_eq!(
            g.answer(&t, &reply(GW, 4000), &ans, 1).unwrap_err(),
            Refused::Unsolicited
        );
        g.query(
            &t,
            &ask(CAM, 4000),
            &msg(7, false, "api.cloud.example", vec![]),
            0,
        );
        // From a device claiming the resolver's address.
        assert_eq!(
            g.answer(&t, &reply(NEIGHBOUR, 4000), &ans, 1).unwrap_err(),
            Refused::ForgedByDevice
        );
        // Another id or port: a guess.
        let mut other = ans.clone();
        other.id = 8;
        assert_eq!(
            g.answer(&t, &reply(GW, 4000), &other, 1).unwrap_err(),
            Refused::Unsolicited
        );
        assert_eq!(
            g.answer(&t, &reply(GW, 4001), &ans, 1).unwrap_err(),
            Refused::Unsolicited
        );
        // Another name.
        let wrong = msg(
            7,
            true,
            "evil.example",
            vec![a("evil.example", "6.6.6.6", 60)],
        );
        assert_eq!(
            g.answer(&t, &reply(GW, 4000), &wrong, 1).unwrap_err(),
            Refused::OtherQuestion
        );
        let (mac, b) = g.answer(&t, &reply(GW, 4000), &ans, 1).unwrap();
        assert_eq!(mac, CAM);
        assert_eq!(
            b,
            vec![(
                "api.cloud.example".to_string(),
                "198.51.100.11".parse().unwrap(),
                60
            )]
        );
        // Used once.
        assert!(g.answer(&t, &reply(GW, 4000), &ans, 2).is_err());
        assert_eq!(g.waiting(), 0);
    }

    #[test]
    fn late_answers_and_floods_of_questions_are_bounded() {
        let t = trust();
        let mut g = DnsGuard::default();
        g.query(&t, &ask(CAM, 4000), &msg(1, false, "a.example", vec![]), 0);
        let ans = msg(1, true, "a.example", vec![a("a.example", "192.0.2.1", 60)]);
        assert_eq!(
            g.answer(&t, &reply(GW, 4000), &ans, QUERY_TIMEOUT_NS + 1)
                .unwrap_err(),
            Refused::Unsolicited
        );
        for port in 0..1000u16 {
            g.query(
                &t,
                &ask(CAM, port),
                &msg(port, false, "x.example", vec![]),
                5,
            );
        }
        assert_eq!(g.waiting(), PENDING_PER_CLIENT);
        assert_eq!(g.queries_dropped, 1000 - PENDING_PER_CLIENT as u64);
        g.expire(5 + QUERY_TIMEOUT_NS + 1);
        assert_eq!(g.waiting(), 0);
        // Forged source addresses from one MAC: still one share.
        for i in 0..200u16 {
            let mut d = ask(NEIGHBOUR, 1);
            d.src = IpAddr::from([10, 0, (i >> 8) as u8, i as u8]);
            g.query(&t, &d, &msg(i, false, "y.example", vec![]), 6);
        }
        assert_eq!(g.waiting(), PENDING_PER_CLIENT);
        // The camera's own question still finds room, and a neighbour
        // cannot overwrite it by asking with the same address, port and id.
        g.query(
            &t,
            &ask(CAM, 7),
            &msg(9, false, "api.cloud.example", vec![]),
            6,
        );
        g.query(
            &t,
            &ask(NEIGHBOUR, 7),
            &msg(9, false, "evil.example", vec![]),
            6,
        );
        let ans = msg(
            9,
            true,
            "api.cloud.example",
            vec![a("api.cloud.example", "192.0.2.9", 60)],
        );
        assert_eq!(g.answer(&t, &reply(GW, 7), &ans, 7).unwrap().0, CAM);
        // The gateway's own questions are not a device's.
        let before = g.waiting();
        g.query(&t, &ask(GW, 1), &msg(1, false, "x.example", vec![]), 0);
        assert_eq!(g.waiting(), before);
    }

    #[test]
    fn the_gateways_ipv6_addresses_are_read_from_proc() {
        let text = "fd770000000000000000000000000001 05 40 00 80   br-lan\n\
                    fe800000000000000000000000000001 05 40 20 80   br-lan\n\
                    20010db8010000000000000000000001 06 40 00 80      wan\n\
                    zz 05 40 00 80 br-lan\n";
        let got = interface_ipv6(text, &["br-lan".into()]);
        assert_eq!(
            got,
            vec![
                "fd77::1".parse::<IpAddr>().unwrap(),
                "fe80::1".parse().unwrap()
            ]
        );
    }

    #[test]
    fn only_the_chain_from_the_question_is_bound() {
        let m = msg(
            1,
            true,
            "api.cloud.example",
            vec![
                cname("api.cloud.example", "edge.cdn.example"),
                a("edge.cdn.example", "192.0.2.7", 30),
                // Smuggled records for names nobody asked about.
                a("bank.example", "6.6.6.6", 3600),
                cname("other.example", "api.cloud.example"),
            ],
        );
        let b = chain_bindings("API.cloud.example.", &m);
        let names: Vec<&str> = b.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(names, vec!["api.cloud.example"]);
        // Asking about one's own name that aliases a policy's name binds
        // only one's own name.
        let b = chain_bindings("other.example", &m);
        assert!(b.iter().all(|(n, _, _)| n == "other.example"), "{b:?}");
        assert!(b
            .iter()
            .all(|(_, ip, _)| *ip == "192.0.2.7".parse::<IpAddr>().unwrap()));
    }
}
