//! Who a request comes from, for the limits counted per client address
//! (sign-in throttling, the shop's hourly reservation limit): the
//! connection's peer, or, when that peer is a trusted reverse proxy
//! (`--trusted-proxy`), the last address in `X-Forwarded-For` that is not
//! one. A header from anyone else is ignored, so it can't be used to dodge
//! a limit.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::web;

use super::AppState;

/// The client's address as text (`unknown` without a peer address).
pub fn client_address(req: &HttpRequest) -> String {
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.trusted_proxies.as_slice())
        .unwrap_or_default();
    let peer = req.peer_addr().map(|peer| peer.ip());
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    match peer {
        Some(peer) => from_proxies(peer, &forwarded, trusted).to_string(),
        None => "unknown".to_owned(),
    }
}

/// Walks `X-Forwarded-For` from the right (each proxy appends the address
/// it got the request from) past the trusted proxies. An entry that is not
/// an address ends the walk at the last trusted hop's word for it.
fn from_proxies(peer: IpAddr, forwarded: &str, trusted: &[IpAddr]) -> IpAddr {
    let mut client = peer;
    if !trusted.contains(&client) {
        return client;
    }
    for entry in forwarded.rsplit(',') {
        match entry.trim().parse::<IpAddr>() {
            Ok(address) => {
                client = address;
                if !trusted.contains(&client) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn only_a_trusted_proxy_may_name_the_client() {
        let proxy = [ip("127.0.0.1")];
        // No proxy trusted: the header is anyone's word.
        assert_eq!(
            from_proxies(ip("127.0.0.1"), "203.0.113.5", &[]),
            ip("127.0.0.1")
        );
        // From the trusted proxy: the address it got the request from.
        assert_eq!(
            from_proxies(ip("127.0.0.1"), "203.0.113.5", &proxy),
            ip("203.0.113.5")
        );
        // A client's own made-up entry on the left doesn't count.
        assert_eq!(
            from_proxies(ip("127.0.0.1"), "198.51.100.9, 203.0.113.5", &proxy),
            ip("203.0.113.5")
        );
        // Two proxies in a row: past both.
        let both = [ip("127.0.0.1"), ip("10.0.0.2")];
        assert_eq!(
            from_proxies(ip("127.0.0.1"), "203.0.113.5, 10.0.0.2", &both),
            ip("203.0.113.5")
        );
        // Another peer's header is ignored.
        assert_eq!(
            from_proxies(ip("192.0.2.7"), "203.0.113.5", &proxy),
            ip("192.0.2.7")
        );
        // Garbage stops the walk at what the proxy itself is.
        assert_eq!(
            from_proxies(ip("127.0.0.1"), "nonsense", &proxy),
            ip("127.0.0.1")
        );
        assert_eq!(from_proxies(ip("127.0.0.1"), "", &proxy), ip("127.0.0.1"));
    }
}
