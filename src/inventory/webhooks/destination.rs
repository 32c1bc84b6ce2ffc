//! The save-time half of the rule that webhooks go to public addresses only:
//! an endpoint's URL is refused when its host is, or resolves to, a
//! loopback, private, link-local or otherwise non-public address. The
//! connect-time half is the dispatcher's resolver (`delivery::http`), which
//! checks again on every connection, so a DNS change after saving can't
//! point deliveries inward.

use std::net::{IpAddr, ToSocketAddrs};

use crate::domain::{Destinations, FieldError, WebhookUrl, is_public};

/// Refuses a URL whose host is not a public address under `destinations`.
/// A host name is resolved now: every address it has must be public. An
/// `https://` host that does not resolve yet is accepted (its certificate
/// and the connect-time check guard it); an `http://` one must resolve.
pub fn check_destination(url: &WebhookUrl, destinations: Destinations) -> Result<(), FieldError> {
    if destinations == Destinations::AnyAddress {
        return Ok(());
    }
    let parsed = url::Url::parse(url.as_str())
        .map_err(|e| FieldError::new("url", format!("The URL is not valid: {e}")))?;
    let port = parsed.port_or_known_default().unwrap_or(443);
    let https = parsed.scheme() == "https";
    match parsed.host() {
        Some(url::Host::Ipv4(v4)) => require_public(IpAddr::V4(v4), &v4.to_string()),
        Some(url::Host::Ipv6(v6)) => require_public(IpAddr::V6(v6), &format!("[{v6}]")),
        Some(url::Host::Domain(name)) => {
            let bare = name.trim_end_matches('.').to_ascii_lowercase();
            if bare == "localhost" || bare.ends_with(".localhost") {
                return Err(refused(name, "this machine (localhost)"));
            }
            match (bare.as_str(), port).to_socket_addrs() {
                Ok(addresses) => {
                    let addresses: Vec<IpAddr> = addresses.map(|a| a.ip()).collect();
                    if addresses.is_empty() && !https {
                        return Err(unresolved(name));
                    }
                    match addresses.into_iter().find(|ip| !is_public(*ip)) {
                        Some(ip) => Err(refused(name, &format!("{ip}, which is not public"))),
                        None => Ok(()),
                    }
                }
                Err(_) if https => Ok(()),
                Err(_) => Err(unresolved(name)),
            }
        }
        None => Err(FieldError::new("url", "The URL must name a host")),
    }
}

fn require_public(ip: IpAddr, shown: &str) -> Result<(), FieldError> {
    if is_public(ip) {
        Ok(())
    } else {
        Err(refused(shown, "an address that is not public"))
    }
}

fn refused(host: &str, what: &str) -> FieldError {
    FieldError::new(
        "url",
        format!(
            "{host} points to {what}. Webhooks go only to public internet addresses, \
             never to loopback, private, link-local or cloud metadata addresses."
        ),
    )
}

fn unresolved(host: &str) -> FieldError {
    FieldError::new(
        "url",
        format!(
            "{host} does not resolve to an address. An http:// URL must resolve to a \
             public address now; use https:// for a host whose DNS is not set up yet."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str) -> Result<(), FieldError> {
        check_destination(
            &WebhookUrl::parse(raw).expect("a well-formed URL"),
            Destinations::PublicOnly,
        )
    }

    #[test]
    fn local_and_private_hosts_are_refused_naming_the_url() {
        for raw in [
            "http://127.0.0.1:9/",
            "http://localhost/hooks",
            "http://localhost./hooks",
            "https://api.localhost/hooks",
            "http://[::1]/",
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://2130706433/",
            "http://0x7f.1/",
            "https://[::ffff:127.0.0.1]/",
            "https://[fd00::1]/",
            "http://0.0.0.0:8080/",
        ] {
            let error = check(raw).expect_err(raw);
            assert_eq!(error.field, "url", "{raw}");
        }
    }

    #[test]
    fn public_addresses_and_unresolved_https_hosts_are_accepted() {
        for raw in [
            "https://93.184.216.34/hooks",
            "http://8.8.8.8/hooks",
            "https://shop.invalid/hooks",
        ] {
            assert_eq!(check(raw), Ok(()), "{raw}");
        }
    }

    #[test]
    fn an_http_host_that_does_not_resolve_is_refused() {
        assert_eq!(
            check("http://shop.invalid/hooks").map_err(|e| e.field),
            Err("url")
        );
    }

    #[test]
    fn private_hosts_pass_when_the_server_allows_them() {
        let url = WebhookUrl::parse("http://127.0.0.1:9000/hooks").expect("a URL");
        assert_eq!(check_destination(&url, Destinations::AnyAddress), Ok(()));
    }
}
