//! Webhook signatures. Two are sent on every request:
//!
//! - **Standard Webhooks** (<https://www.standardwebhooks.com/>), the one to
//!   verify: `webhook-id` (the event id, the same on every retry),
//!   `webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64>`,
//!   the base64 HMAC-SHA256 over `"<id>.<timestamp>.<body>"` keyed with the
//!   base64-decoded part of the secret after `whsec_`. Any Standard Webhooks
//!   library verifies it with the secret as the dashboard shows it.
//! - **`Shelfsync-Signature: t=<unix>,v1=<hex>`** (deprecated, kept for
//!   receivers written before): hex HMAC-SHA256 over `"<t>.<body>"` keyed
//!   with the secret's UTF-8 bytes, the whole `whsec_…` string.
//!
//! While a rotated-out secret is in its grace period both headers carry one
//! signature per valid secret, newest first (space-separated in
//! `webhook-signature`, one `v1=` each in `Shelfsync-Signature`); a receiver
//! accepts the request if any of them matches.
//!
//! Secrets made before the switch were `whsec_` and 48 hex digits. Hex
//! digits are base64 characters and 48 is a multiple of 4, so such a secret
//! still decodes to a key (36 bytes) — the same key a Standard Webhooks
//! library derives from it — and needs no change or re-issue.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Standard Webhooks: the message id, for de-duplication (the event id).
pub const WEBHOOK_ID_HEADER: &str = "webhook-id";
/// Standard Webhooks: when the request was signed, in unix seconds.
pub const WEBHOOK_TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// Standard Webhooks: `v1,<base64>`, space-separated when more than one.
pub const WEBHOOK_SIGNATURE_HEADER: &str = "webhook-signature";
/// The deprecated signature header (`t=…,v1=<hex>`), kept for older receivers.
pub const SIGNATURE_HEADER: &str = "Shelfsync-Signature";
/// The deprecated event id header; `webhook-id` carries the same id.
pub const EVENT_ID_HEADER: &str = "Shelfsync-Event-Id";
/// How old a signed timestamp a receiver should accept, against replays.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

/// The HMAC key of a secret: the base64-decoded part after `whsec_`, as
/// Standard Webhooks defines it. A secret that is not of that form (none is
/// made so) keys with its UTF-8 bytes rather than failing a delivery.
pub fn signing_key(secret: &str) -> Vec<u8> {
    use base64::Engine;
    secret
        .strip_prefix(super::SECRET_PREFIX)
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
        })
        .filter(|key| !key.is_empty())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

fn standard_mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The Standard Webhooks signature of a message: base64 HMAC-SHA256 over
/// `"<id>.<timestamp>.<body>"` under the secret's key.
pub fn standard_sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(
        standard_mac(&signing_key(secret), id, timestamp, body)
            .finalize()
            .into_bytes(),
    )
}

/// The `webhook-signature` value: `v1,<base64>` per secret, space-separated.
pub fn standard_header_value<'a>(
    secrets: impl IntoIterator<Item = &'a str>,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .into_iter()
        .map(|secret| format!("v1,{}", standard_sign(secret, id, timestamp, body)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks Standard Webhooks headers against `body` under `secret`, in
/// constant time, refusing timestamps more than `tolerance_secs` from `now`.
pub fn verify_standard(
    id: &str,
    timestamp: &str,
    signatures: &str,
    secret: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    use base64::Engine;
    let timestamp: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::Malformed)?;
    let candidates: Vec<Vec<u8>> = signatures
        .split_whitespace()
        .filter_map(|part| part.strip_prefix("v1,"))
        .filter_map(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
        })
        .collect();
    if id.is_empty() || candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let age_secs = now - timestamp;
    if age_secs.abs() > tolerance_secs {
        return Err(SignatureError::Stale {
            age_secs,
            tolerance_secs,
        });
    }
    let key = signing_key(secret);
    if candidates.iter().any(|candidate| {
        standard_mac(&key, id, timestamp, body)
            .verify_slice(candidate)
            .is_ok()
    }) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Deprecated `Shelfsync-Signature`: the lowercase hex HMAC-SHA256 of
/// `"<timestamp>.<body>"` keyed with the secret's UTF-8 bytes.
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
        "the signature headers are malformed: they need an id, a unix-seconds timestamp and at least one v1 signature"
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

    // Standard Webhooks' published example (standard-webhooks spec, "Signature scheme").
    const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const STANDARD_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const STANDARD_TIMESTAMP: i64 = 1_614_265_330;
    const STANDARD_BODY: &str = r#"{"test": 2432232314}"#;
    const STANDARD_EXPECTED: &str = "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn the_standard_webhooks_example_signs_to_its_published_signature() {
        assert_eq!(
            standard_sign(
                STANDARD_SECRET,
                STANDARD_ID,
                STANDARD_TIMESTAMP,
                STANDARD_BODY.as_bytes()
            ),
            STANDARD_EXPECTED
        );
        let header = standard_header_value(
            [STANDARD_SECRET],
            STANDARD_ID,
            STANDARD_TIMESTAMP,
            STANDARD_BODY.as_bytes(),
        );
        assert_eq!(header, format!("v1,{STANDARD_EXPECTED}"));
        assert_eq!(
            verify_standard(
                STANDARD_ID,
                &STANDARD_TIMESTAMP.to_string(),
                &header,
                STANDARD_SECRET,
                STANDARD_BODY.as_bytes(),
                STANDARD_TIMESTAMP + 5,
                300
            ),
            Ok(())
        );
    }

    #[test]
    fn a_secret_made_before_the_switch_keys_with_its_hex_read_as_base64() {
        use base64::Engine;
        let key = signing_key(SECRET);
        assert_eq!(key.len(), SECRET.len().saturating_sub(6) / 4 * 3);
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(&key),
            SECRET.trim_start_matches("whsec_")
        );
    }

    #[test]
    fn standard_signatures_refuse_tampering_other_ids_and_old_timestamps() {
        let header =
            standard_header_value(["whsec_new", SECRET], "evt_1", TIMESTAMP, BODY.as_bytes());
        let check = |id: &str, secret: &str, body: &str, now: i64| {
            verify_standard(
                id,
                &TIMESTAMP.to_string(),
                &header,
                secret,
                body.as_bytes(),
                now,
                300,
            )
        };
        assert_eq!(check("evt_1", SECRET, BODY, TIMESTAMP), Ok(()));
        assert_eq!(check("evt_1", "whsec_new", BODY, TIMESTAMP), Ok(()));
        assert_eq!(
            check("evt_2", SECRET, BODY, TIMESTAMP),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check("evt_1", SECRET, &BODY.replace('7', "8"), TIMESTAMP),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            check("evt_1", SECRET, BODY, TIMESTAMP + 301),
            Err(SignatureError::Stale { .. })
        ));
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
