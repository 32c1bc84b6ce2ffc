//! The webhook signature: `Shelfsync-Signature: t=<unix>,v1=<hex>`, where the
//! hex is HMAC-SHA256 keyed with the endpoint's secret (its UTF-8 bytes, as the
//! dashboard shows it) over `"<t>.<body>"`. While a rotated-out secret is still
//! in its grace period the header carries one `v1=` per valid secret, newest
//! first; a receiver accepts the request if any of them matches.
//!
//! The dispatcher signs with this module, the tests verify with it, and the
//! example consumer re-implements `verify` in a few lines to show storefront
//! developers that nothing shelfsync-specific is needed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Shelfsync-Signature";
/// The header carrying the event's id, for de-duplication.
pub const EVENT_ID_HEADER: &str = "Shelfsync-Event-Id";
/// How old a signed timestamp a receiver should accept, against replays.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The lowercase hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// The full header value for `body`, signed with every secret in `secrets`.
pub fn header_value<'a>(
    secrets: impl IntoIterator<Item = &'a str>,
    timestamp: i64,
    body: &[u8],
) -> String {
    let mut value = format!("t={timestamp}");
    for secret in secrets {
        value.push_str(",v1=");
        value.push_str(&sign(secret, timestamp, body));
    }
    value
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error(
        "the signature header is malformed: it needs t=<unix seconds> and at least one v1=<hex>"
    )]
    Malformed,
    #[error(
        "the signed timestamp is {age_secs} s from now, outside the {tolerance_secs} s tolerance"
    )]
    Stale { age_secs: i64, tolerance_secs: i64 },
    #[error("no v1 signature matches the body under this secret")]
    Mismatch,
}

/// Checks a `Shelfsync-Signature` header against `body` under `secret`, in
/// constant time, refusing timestamps more than `tolerance_secs` from `now`.
pub fn verify(
    header: &str,
    secret: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                )
            }
            Some(("v1", value)) => {
                if let Ok(bytes) = hex::decode(value) {
                    candidates.push(bytes);
                }
            }
            // Unknown schemes are skipped so a future v2 does not break receivers.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let age_secs = now - timestamp;
    if age_secs.abs() > tolerance_secs {
        return Err(SignatureError::Stale {
            age_secs,
            tolerance_secs,
        });
    }
    let matches = candidates
        .iter()
        .any(|candidate| mac(secret, timestamp, body).verify_slice(candidate).is_ok());
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vector published in README.md ("Verifying a signature").
    const SECRET: &str = "whsec_3f1a9c0e5b7d2468ace13579bdf02468";
    const TIMESTAMP: i64 = 1_767_225_600;
    const BODY: &str =
        r#"{"id":"evt_42","type":"item.listing_changed","catalog_version":7,"data":{}}"#;
    const EXPECTED: &str = "a1570141eae53c44c2c7472eb53a276b4a8588f39d889008dffb1dfebbe4db3a";

    #[test]
    fn the_published_test_vector_signs_to_the_published_hex() {
        assert_eq!(sign(SECRET, TIMESTAMP, BODY.as_bytes()), EXPECTED);
        assert_eq!(
            header_value([SECRET], TIMESTAMP, BODY.as_bytes()),
            format!("t={TIMESTAMP},v1={EXPECTED}")
        );
    }

    #[test]
    fn a_signed_body_verifies_and_a_tampered_one_does_not() {
        let header = header_value([SECRET], TIMESTAMP, BODY.as_bytes());
        assert_eq!(
            verify(&header, SECRET, BODY.as_bytes(), TIMESTAMP + 10, 300),
            Ok(())
        );
        let tampered = BODY.replace("7", "8");
        assert_eq!(
            verify(&header, SECRET, tampered.as_bytes(), TIMESTAMP, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&header, "whsec_other", BODY.as_bytes(), TIMESTAMP, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn an_old_timestamp_is_refused_as_a_replay() {
        let header = header_value([SECRET], TIMESTAMP, BODY.as_bytes());
        assert!(matches!(
            verify(&header, SECRET, BODY.as_bytes(), TIMESTAMP + 301, 300),
            Err(SignatureError::Stale { .. })
        ));
    }

    #[test]
    fn during_rotation_either_secret_verifies() {
        let header = header_value(["whsec_new", SECRET], TIMESTAMP, BODY.as_bytes());
        assert_eq!(
            verify(&header, SECRET, BODY.as_bytes(), TIMESTAMP, 300),
            Ok(())
        );
        assert_eq!(
            verify(&header, "whsec_new", BODY.as_bytes(), TIMESTAMP, 300),
            Ok(())
        );
    }

    #[test]
    fn garbage_headers_are_malformed() {
        for header in ["", "t=abc,v1=00", "v1=00", "t=1", "t=1,v1=zz"] {
            assert_eq!(
                verify(header, SECRET, BODY.as_bytes(), 1, 300),
                Err(SignatureError::Malformed),
                "{header:?}"
            );
        }
    }
}
