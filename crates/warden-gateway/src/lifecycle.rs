//! A device's life in the household, from the day it is discovered to the
//! day it leaves: discovered -> identified -> in use -> end of support ->
//! transferred (sold, given away, rented out) -> disposed. Orthogonal to
//! its enforcement state (a quarantined device is still "in use").
//!
//! Every change is one of the transitions [`Lifecycle::allows`] lists,
//! made by a person through the API, `warden inventory` or the device page
//! (or by the gateway: identified once a verified MUD file is applied) and
//! recorded as a `lifecycle` event with who, when and why. Disposal erases
//! the device's records (an anonymous count is kept), so a device that
//! comes back after disposal is a new device.

/// Where a device is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lifecycle {
    Discovered,
    Identified,
    InUse,
    EndOfSupport,
    Transferred,
    Disposed,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 6] = [
        Lifecycle::Discovered,
        Lifecycle::Identified,
        Lifecycle::InUse,
        Lifecycle::EndOfSupport,
        Lifecycle::Transferred,
        Lifecycle::Disposed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Lifecycle::Discovered => "discovered",
            Lifecycle::Identified => "identified",
            Lifecycle::InUse => "in-use",
            Lifecycle::EndOfSupport => "end-of-support",
            Lifecycle::Transferred => "transferred",
            Lifecycle::Disposed => "disposed",
        }
    }

    /// In plain words, for the pages.
    pub fn words(self) -> &'static str {
        match self {
            Lifecycle::Discovered => "discovered: on the network, not yet known",
            Lifecycle::Identified => "identified: warden knows what it is",
            Lifecycle::InUse => "in use in the household",
            Lifecycle::EndOfSupport => "past the end of its security updates",
            Lifecycle::Transferred => "sold, given away or rented out",
            Lifecycle::Disposed => "disposed of",
        }
    }

    pub fn parse(s: &str) -> Option<Lifecycle> {
        Lifecycle::ALL.into_iter().find(|l| l.name() == s)
    }

    /// Whether a device may go from `self` to `to`. Forward along the
    /// life; back from end of support to in use (support extended) and
    /// from transferred to in use (a rental ended, a sale undone); never
    /// out of disposed, never to discovered, never to where it is.
    pub fn allows(self, to: Lifecycle) -> bool {
        use Lifecycle::*;
        match (self, to) {
            (Disposed, _) | (_, Discovered) => false,
            (a, b) if a == b => false,
            (Discovered, _) => true,
            (Identified, InUse | EndOfSupport | Transferred | Disposed) => true,
            (InUse, EndOfSupport | Transferred | Disposed) => true,
            (EndOfSupport, InUse | Transferred | Disposed) => true,
            (Transferred, InUse | Disposed) => true,
            _ => false,
        }
    }

    /// Where it may go next.
    pub fn next(self) -> Vec<Lifecycle> {
        Lifecycle::ALL
            .into_iter()
            .filter(|t| self.allows(*t))
            .collect()
    }
}

/// How a device was transferred.
pub const TRANSFERS: [&str; 3] = ["sold", "given-away", "rented-out"];

#[cfg(test)]
mod tests {
    use super::*;
    use Lifecycle::*;

    #[test]
    fn the_life_goes_forward_with_two_ways_back_and_none_out_of_disposal() {
        assert!(Discovered.allows(Identified) && Identified.allows(InUse));
        assert!(InUse.allows(EndOfSupport) && EndOfSupport.allows(Transferred));
        assert!(Transferred.allows(Disposed));
        assert!(EndOfSupport.allows(InUse), "support extended");
        assert!(Transferred.allows(InUse), "a rental ended");
        assert!(!InUse.allows(Identified) && !InUse.allows(Discovered));
        assert!(!InUse.allows(InUse));
        for t in Lifecycle::ALL {
            assert!(!Disposed.allows(t), "{t:?}");
            assert_eq!(Lifecycle::parse(t.name()), Some(t));
        }
        assert_eq!(Disposed.next(), vec![]);
        assert_eq!(Transferred.next(), vec![InUse, Disposed]);
        assert_eq!(Lifecycle::parse("sold"), None);
    }
}
