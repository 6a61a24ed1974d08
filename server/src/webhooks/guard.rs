//! Where a webhook may be sent. Subscribers choose the URL, so without a check anyone allowed to create a
//! subscription could make the server POST to its own loopback services, the cloud metadata endpoint
//! (169.254.169.254) or anything else on the internal network (server-side request forgery). Delivery
//! resolves the URL's host and asks [`AddressPolicy::permits`] about every address before connecting.
//!
//! The refused ranges are the ones the IANA special-purpose registries mark as not globally reachable,
//! plus multicast. Operators who really do run receivers on such addresses (tests, a local ERP) list
//! those networks in the allow-list.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The addresses webhooks may go to: any globally reachable unicast address, plus the operator's
/// allow-listed networks.
#[derive(Clone, Debug, Default)]
pub struct AddressPolicy {
    allowed: Vec<Network>,
}

impl AddressPolicy {
    /// A policy that also permits the networks in `allowed`, written as CIDR (`10.0.0.0/8`, `::1/128`)
    /// or as a bare address (one host). The error names the first entry that is not one.
    pub fn new(allowed: &[String]) -> Result<Self, String> {
        let allowed = allowed
            .iter()
            .map(|entry| {
                Network::parse(entry).map_err(|why| format!("webhook allow-list entry {entry:?}: {why}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { allowed })
    }

    /// Whether a webhook may connect to `ip`: an allow-listed network contains it, or it is none of
    /// loopback, private, link-local, shared (CGNAT), unspecified, broadcast, multicast, documentation
    /// or otherwise reserved. IPv6 addresses that carry an IPv4 address (mapped, compatible, NAT64) are
    /// judged as that IPv4 address, since that is where the packets end up.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let embedded = match ip {
            IpAddr::V6(v6) => embedded_v4(v6).map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        let judged = embedded.unwrap_or(ip);
        let allowed = self
            .allowed
            .iter()
            .any(|net| net.contains(ip) || net.contains(judged));
        allowed || !REFUSED.iter().any(|net| net.contains(judged))
    }
}

/// The IPv4 address inside an IPv6 one that stands for it: IPv4-mapped (`::ffff:a.b.c.d`), the
/// deprecated IPv4-compatible (`::a.b.c.d`, but not `::` or `::1`, which are IPv6's own) and the NAT64
/// well-known prefix (`64:ff9b::a.b.c.d`), whose translator forwards to the IPv4 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    const NAT64_PREFIX: u128 = 0x0064_ff9b_0000_0000_0000_0000;
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let bits = ip.to_bits();
    let high = bits >> 32;
    // The low 32 bits are the IPv4 address; the truncation is the point.
    let low = Ipv4Addr::from_bits(bits as u32);
    match high {
        0 if bits > 1 => Some(low),
        NAT64_PREFIX => Some(low),
        _ => None,
    }
}

/// Not globally reachable, per the IANA IPv4 and IPv6 special-purpose address registries, or multicast.
const REFUSED: &[Network] = &[
    Network::v4([0, 0, 0, 0], 8),  // "this network", including the unspecified 0.0.0.0
    Network::v4([10, 0, 0, 0], 8), // private
    Network::v4([100, 64, 0, 0], 10), // shared address space (carrier-grade NAT)
    Network::v4([127, 0, 0, 0], 8), // loopback
    Network::v4([169, 254, 0, 0], 16), // link-local, including cloud metadata endpoints
    Network::v4([172, 16, 0, 0], 12), // private
    Network::v4([192, 0, 0, 0], 24), // IETF protocol assignments
    Network::v4([192, 0, 2, 0], 24), // documentation (TEST-NET-1)
    Network::v4([192, 88, 99, 0], 24), // deprecated 6to4 relay anycast
    Network::v4([192, 168, 0, 0], 16), // private
    Network::v4([198, 18, 0, 0], 15), // benchmarking
    Network::v4([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
    Network::v4([203, 0, 113, 0], 24), // documentation (TEST-NET-3)
    Network::v4([224, 0, 0, 0], 4), // multicast
    Network::v4([240, 0, 0, 0], 4), // reserved, including the broadcast 255.255.255.255
    Network::v6([0, 0, 0, 0, 0, 0, 0, 0], 128), // unspecified
    Network::v6([0, 0, 0, 0, 0, 0, 0, 1], 128), // loopback
    Network::v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48), // local-use IPv4/IPv6 translation
    Network::v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64), // discard-only
    Network::v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments, including Teredo
    Network::v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
    Network::v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), // 6to4, which tunnels to an embedded IPv4 address
    Network::v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation
    Network::v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16), // segment routing (SRv6) SIDs
    Network::v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), // unique local
    Network::v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), // link-local
    Network::v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), // deprecated site-local
    Network::v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), // multicast
];

/// An address block: the addresses whose first `prefix` bits equal `addr`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    const fn v4(octets: [u8; 4], prefix: u8) -> Self {
        let [a, b, c, d] = octets;
        Self {
            addr: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            prefix,
        }
    }

    const fn v6(segments: [u16; 8], prefix: u8) -> Self {
        let [a, b, c, d, e, f, g, h] = segments;
        Self {
            addr: IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h)),
            prefix,
        }
    }

    /// `addr/prefix`, or a bare address meaning just that host. Host bits set beyond the prefix are
    /// refused rather than masked: in an allow-list they are more likely a typo than intended.
    fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| "not an IP address".to_string())?;
        let max = max_prefix(addr);
        let prefix = match prefix {
            None => max,
            Some(digits) => parse_prefix(digits, max)?,
        };
        let network = Self { addr, prefix };
        if network.masked(addr) != Some(addr_bits(addr)) {
            return Err(format!("has bits set after the first {prefix}"));
        }
        Ok(network)
    }

    /// Whether `ip` is in the block; never for an address of the other family.
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.masked(ip), self.masked(self.addr)) {
            (Some(ip), Some(network)) => ip == network,
            _ => false,
        }
    }

    /// `ip`'s first `prefix` bits (the rest zero), or `None` when `ip` is not of this block's family.
    fn masked(&self, ip: IpAddr) -> Option<u128> {
        if ip.is_ipv4() != self.addr.is_ipv4() {
            return None;
        }
        let width = u32::from(max_prefix(ip));
        let prefix = u32::from(self.prefix).min(width);
        // Shifting by the full width would overflow; a /0 keeps no bits.
        let mask = u128::MAX.checked_shl(width - prefix).unwrap_or(0) & width_mask(width);
        Some(addr_bits(ip) & mask)
    }
}

fn parse_prefix(digits: &str, max: u8) -> Result<u8, String> {
    let bad = || format!("prefix length {digits:?} is not a number from 0 to {max}");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    digits.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)
}

fn max_prefix(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 32 } else { 128 }
}

fn addr_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_bits()),
        IpAddr::V6(v6) => v6.to_bits(),
    }
}

/// All ones in the low `width` bits (32 for IPv4, 128 for IPv6).
fn width_mask(width: u32) -> u128 {
    u128::MAX.checked_shr(128 - width).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn strict() -> AddressPolicy {
        AddressPolicy::default()
    }

    fn policy(entries: &[&str]) -> AddressPolicy {
        AddressPolicy::new(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn assert_refused(addresses: &[&str]) {
        for address in addresses {
            assert!(!strict().permits(ip(address)), "{address} should be refused");
        }
    }

    fn assert_permitted(policy: &AddressPolicy, addresses: &[&str]) {
        for address in addresses {
            assert!(policy.permits(ip(address)), "{address} should be permitted");
        }
    }

    #[test]
    fn public_addresses_are_permitted() {
        assert_permitted(
            &strict(),
            &[
                "8.8.8.8",
                "1.1.1.1",
                "93.184.216.34",
                "2606:4700:4700::1111",
                "2a00:1450:4001:80b::200e",
            ],
        );
    }

    #[test]
    fn loopback_is_refused() {
        assert_refused(&["127.0.0.1", "127.255.255.254", "::1"]);
    }

    #[test]
    fn private_ranges_are_refused_up_to_their_edges() {
        assert_refused(&[
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
        ]);
        assert_refused(&["192.168.255.255"]);
        assert_permitted(
            &strict(),
            &["9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0"],
        );
        assert_permitted(&strict(), &["192.167.255.255", "192.169.0.0"]);
    }

    #[test]
    fn link_local_is_refused() {
        assert_refused(&["169.254.169.254", "169.254.0.1", "fe80::1", "febf:ffff::1"]);
    }

    #[test]
    fn shared_cgnat_space_is_refused() {
        assert_refused(&["100.64.0.1", "100.127.255.255"]);
        assert_permitted(&strict(), &["100.63.255.255", "100.128.0.0"]);
    }

    #[test]
    fn unspecified_broadcast_and_multicast_are_refused() {
        assert_refused(&[
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "239.255.255.250",
        ]);
        assert_refused(&["240.0.0.1", "::", "ff02::1", "ff0e::1"]);
    }

    #[test]
    fn documentation_and_benchmarking_ranges_are_refused() {
        assert_refused(&[
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "198.19.255.255",
        ]);
        assert_refused(&["2001:db8::1", "3fff::1"]);
    }

    #[test]
    fn ipv6_unique_local_and_other_special_blocks_are_refused() {
        assert_refused(&[
            "fc00::1",
            "fd12:3456:789a::1",
            "fec0::1",
            "100::1",
            "2001::1",
            "2002:c000:0201::1",
        ]);
        assert_refused(&["64:ff9b:1::1", "5f00::1"]);
    }

    #[test]
    fn ipv6_carrying_ipv4_is_judged_as_that_ipv4() {
        assert_refused(&[
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
        ]);
        assert_refused(&["::10.1.1.1", "64:ff9b::192.168.0.1", "::ffff:0.0.0.0"]);
        assert_permitted(&strict(), &["::ffff:8.8.8.8", "64:ff9b::8.8.8.8"]);
    }

    #[test]
    fn the_allow_list_opens_exactly_its_networks() {
        let policy = policy(&["127.0.0.1/32", "10.0.0.0/8", "::1/128", "fd00::/8"]);
        assert_permitted(
            &policy,
            &["127.0.0.1", "10.0.0.1", "10.200.3.4", "::1", "fd00::5"],
        );
        assert_permitted(&policy, &["::ffff:127.0.0.1", "::ffff:10.9.9.9", "8.8.8.8"]);
        for refused in ["127.0.0.2", "172.16.0.1", "192.168.1.1", "fc00::1", "::2"] {
            assert!(!policy.permits(ip(refused)), "{refused} should still be refused");
        }
    }

    #[test]
    fn a_bare_address_allows_one_host() {
        let policy = policy(&["192.168.1.10", " ::1 "]);
        assert_permitted(&policy, &["192.168.1.10", "::1"]);
        assert!(!policy.permits(ip("192.168.1.11")));
    }

    #[test]
    fn an_ipv4_allowed_block_does_not_leak_into_ipv6() {
        // 0.0.0.0/0 covers every IPv4 address, but no IPv6 one except through an embedded IPv4 address.
        let policy = policy(&["0.0.0.0/0"]);
        assert_permitted(&policy, &["127.0.0.1", "::ffff:10.0.0.1"]);
        assert!(!policy.permits(ip("fe80::1")));
        assert!(!policy.permits(ip("::1")));
    }

    #[test]
    fn bad_allow_list_entries_are_named() {
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.1/8",
            "not-an-ip/8",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "",
            "1.2.3",
        ] {
            let error = AddressPolicy::new(&["127.0.0.1/32".to_string(), bad.to_string()]).unwrap_err();
            assert!(error.contains(&format!("{bad:?}")), "{error}");
        }
    }

    #[test]
    fn network_edges() {
        let all = Network::parse("::/0").unwrap();
        assert!(all.contains(ip("ffff::1")));
        assert!(!all.contains(ip("1.2.3.4")));
        let one = Network::parse("fe80::1/128").unwrap();
        assert!(one.contains(ip("fe80::1")));
        assert!(!one.contains(ip("fe80::2")));
        assert_eq!(
            Network::parse("10.0.0.0/8").unwrap(),
            Network::v4([10, 0, 0, 0], 8)
        );
    }
}
