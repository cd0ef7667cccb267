//! The fence: every packet the probe sends passes [`Scope`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;
use warden_addr::IpPrefix;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeError {
    /// The address is in no `--allow` range.
    #[error("{0} is outside every --allow range ({1}): refused, nothing was sent")]
    OutOfScope(IpAddr, String),
    /// A group or placeholder address, never a single device.
    #[error("{0} is a multicast, broadcast or unspecified address: refused, nothing was sent")]
    NotAHost(IpAddr),
    /// `--allow` was empty.
    #[error("no --allow range given: the probe touches nothing it was not allowed to")]
    NoScope,
    /// An `--allow` value is not a CIDR prefix.
    #[error("--allow `{0}`: {1}")]
    BadRange(String, warden_addr::PrefixError),
    /// A list given to the probe (ports, credentials) is malformed.
    #[error("{0}")]
    BadList(String),
}

/// The address ranges the probe may touch.
#[derive(Debug, Clone)]
pub struct Scope {
    allow: Vec<IpPrefix>,
}

impl Scope {
    pub fn new(allow: &[String]) -> Result<Scope, ProbeError> {
        if allow.is_empty() {
            return Err(ProbeError::NoScope);
        }
        let allow = allow
            .iter()
            .map(|a| IpPrefix::parse(a).map_err(|e| ProbeError::BadRange(a.clone(), e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Scope { allow })
    }

    /// The ranges, as given.
    pub fn ranges(&self) -> Vec<String> {
        self.allow.iter().map(|p| p.to_string()).collect()
    }

    /// Whether the probe may send to `ip`.
    pub fn check(&self, ip: IpAddr) -> Result<(), ProbeError> {
        let not_a_host = match ip {
            IpAddr::V4(a) => a.is_multicast() || a.is_broadcast() || a.is_unspecified(),
            IpAddr::V6(a) => a.is_multicast() || a.is_unspecified(),
        };
        if not_a_host {
            return Err(ProbeError::NotAHost(ip));
        }
        if self.allow.iter().any(|p| p.contains(ip)) {
            Ok(())
        } else {
            Err(ProbeError::OutOfScope(ip, self.ranges().join(", ")))
        }
    }

    /// The only way this crate opens a TCP connection.
    pub fn connect(
        &self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> Result<std::io::Result<TcpStream>, ProbeError> {
        self.check(addr.ip())?;
        Ok(TcpStream::connect_timeout(&addr, timeout))
    }

    /// [`Scope::connect`] with both failures (refused by the scope, or by
    /// the network) as one sentence, for the checks that only report them.
    pub fn open(&self, addr: SocketAddr, timeout: Duration) -> Result<TcpStream, String> {
        match self.connect(addr, timeout) {
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => Err(format!("connect: {e}")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The only way this crate gets a UDP socket: bound to an ephemeral
    /// port and connected to `addr`, so that it can send nowhere else and
    /// the kernel hands it only datagrams from `addr`.
    pub fn udp(&self, addr: SocketAddr) -> Result<std::io::Result<UdpSocket>, ProbeError> {
        self.check(addr.ip())?;
        let local: SocketAddr = match addr {
            SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        Ok(UdpSocket::bind(local).and_then(|s| s.connect(addr).map(|()| s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_out_of_scope_before_any_socket() {
        let s = Scope::new(&["10.99.0.0/24".into()]).unwrap();
        assert!(s.check("10.99.0.7".parse().unwrap()).is_ok());
        for bad in ["10.99.1.7", "192.168.1.1", "8.8.8.8", "127.0.0.1", "::1"] {
            let ip: IpAddr = bad.parse().unwrap();
            assert!(
                matches!(s.check(ip), Err(ProbeError::OutOfScope(..))),
                "{bad}"
            );
            let r = s.connect(SocketAddr::new(ip, 23), Duration::from_millis(1));
            assert!(matches!(r, Err(ProbeError::OutOfScope(..))), "{bad}");
            assert!(matches!(
                s.udp(SocketAddr::new(ip, 1900)),
                Err(ProbeError::OutOfScope(..))
            ));
        }
        let wide = Scope::new(&["0.0.0.0/0".into(), "::/0".into()]).unwrap();
        for bad in [
            "255.255.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "0.0.0.0",
            "ff02::1",
            "::",
        ] {
            assert!(
                matches!(
                    wide.check(bad.parse().unwrap()),
                    Err(ProbeError::NotAHost(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(Scope::new(&[]).unwrap_err(), ProbeError::NoScope);
        assert!(matches!(
            Scope::new(&["10.0.0.0/33".into()]),
            Err(ProbeError::BadRange(..))
        ));
    }
}
