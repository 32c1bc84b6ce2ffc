//! Where shelfsync may send a request on a merchant's behalf: public
//! internet addresses only, so a webhook URL can't make the server talk to
//! itself, the machines beside it or a cloud metadata service (SSRF). The
//! save-time check (`inventory::webhooks::destination`) and the dispatcher's
//! connect-time check both ask `is_public`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which addresses webhooks may go to; a server setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Destinations {
    /// Public addresses only (the default).
    #[default]
    PublicOnly,
    /// Any address, loopback and private networks included: for development
    /// and the test suite (`--allow-private-webhooks`).
    AnyAddress,
}

impl Destinations {
    pub fn from_flag(allow_private: bool) -> Destinations {
        if allow_private {
            Destinations::AnyAddress
        } else {
            Destinations::PublicOnly
        }
    }

    /// Whether a request may go to `ip` under this setting.
    pub fn permits(self, ip: IpAddr) -> bool {
        self == Destinations::AnyAddress || is_public(ip)
    }
}

/// Whether `ip` is an ordinary public internet address: not loopback,
/// private, shared (CGNAT), link-local, multicast, unspecified, broadcast,
/// documentation, benchmarking, reserved or unique-local, nor an IPv6 form
/// that embeds such an IPv4 address (mapped, compatible, NAT64, 6to4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0 // "this network", 0.0.0.0 included
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved and broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let refused = ip.is_unspecified()
        || ip.is_loopback()
        || (segments[0] & 0xff00) == 0xff00 // multicast
        || (segments[0] & 0xffc0) == 0xfe80 // link-local
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (segments[0] & 0xfe00) == 0xfc00 // unique-local
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || (segments[0] == 0x2001 && segments[1] == 0) // Teredo: tunnels to anywhere
        || segments[0] == 0x0100 && segments[1..4] == [0, 0, 0]; // discard-only
    !refused
}

/// The IPv4 address an IPv6 address stands for, where it embeds one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new(
        (s[6] >> 8) as u8,
        (s[6] & 0xff) as u8,
        (s[7] >> 8) as u8,
        (s[7] & 0xff) as u8,
    );
    if s[..5] == [0; 5]
        && (s[5] == 0xffff || (s[5] == 0 && !ip.is_loopback() && !ip.is_unspecified()))
    {
        return Some(tail); // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d
    }
    if s[0] == 0x0064 && s[1] == 0xff9b {
        return Some(tail); // NAT64 64:ff9b::a.b.c.d (and the local-use 64:ff9b:1::/48)
    }
    if s[0] == 0x2002 {
        // 6to4: 2002:AABB:CCDD::/48 carries a.b.c.d
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            (s[1] & 0xff) as u8,
            (s[2] >> 8) as u8,
            (s[2] & 0xff) as u8,
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(raw: &str) -> IpAddr {
        raw.parse().expect("a valid address in the test")
    }

    #[test]
    fn loopback_private_link_local_and_the_like_are_not_public() {
        for raw in [
            "127.0.0.1",
            "127.1.2.3",
            "0.0.0.0",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "169.254.169.254",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(raw)), "{raw} should not count as public");
        }
    }

    #[test]
    fn ordinary_internet_addresses_are_public() {
        for raw in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert!(is_public(ip(raw)), "{raw} should count as public");
        }
    }

    #[test]
    fn allowing_private_destinations_permits_everything() {
        assert!(Destinations::AnyAddress.permits(ip("127.0.0.1")));
        assert!(!Destinations::PublicOnly.permits(ip("127.0.0.1")));
        assert!(Destinations::PublicOnly.permits(ip("8.8.8.8")));
        assert_eq!(Destinations::from_flag(false), Destinations::default());
    }
}
