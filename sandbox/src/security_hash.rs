//! The SecurityHash of signing and payment links: an HMAC only this sandbox can make.
//!
//! HMAC-SHA256 over the link's purpose, the request id and a per-link nonce, keyed per tenant,
//! truncated to 40 hex digits (the length of the docs' example). The nonce makes every link's
//! hash different, so each link expires on its own; the purpose keeps a payment link from
//! opening the contract and a signing link from opening the payment page.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// What a link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// GenerateSignContractLink: the signing page, ViewContractPdf and the contract PDF.
    Signing,
    /// StepValidateOtp of a paid product: the payment page.
    Payment,
}

impl LinkPurpose {
    /// The HMAC's domain separator (fixed length, so no two inputs run together).
    fn label(self) -> &'static [u8; 8] {
        match self {
            LinkPurpose::Signing => b"signing\0",
            LinkPurpose::Payment => b"payment\0",
        }
    }
}

/// Hex digits in a SecurityHash.
pub const HASH_HEX_LEN: usize = 40;

/// The SecurityHash of link `nonce` of `purpose` for `request_id`.
pub fn security_hash(key: &[u8; 32], purpose: LinkPurpose, request_id: Uuid, nonce: u64) -> String {
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; a 32-byte key cannot be refused.
        Err(_) => unreachable!("HMAC accepts any key length"),
    };
    mac.update(purpose.label());
    mac.update(request_id.as_bytes());
    mac.update(&nonce.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let mut hex = hex::encode(digest);
    hex.truncate(HASH_HEX_LEN);
    hex
}

/// Whether `candidate` looks like a SecurityHash at all (40 lowercase hex digits).
pub fn is_well_formed(candidate: &str) -> bool {
    candidate.len() == HASH_HEX_LEN
        && candidate
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_40_hex_and_depends_on_every_input() {
        use LinkPurpose::{Payment, Signing};
        let id = Uuid::from_u128(7);
        let a = security_hash(&[1; 32], Signing, id, 1);
        assert!(is_well_formed(&a), "{a}");
        assert_ne!(a, security_hash(&[2; 32], Signing, id, 1));
        assert_ne!(a, security_hash(&[1; 32], Payment, id, 1));
        assert_ne!(a, security_hash(&[1; 32], Signing, Uuid::from_u128(8), 1));
        assert_ne!(a, security_hash(&[1; 32], Signing, id, 2));
        assert_eq!(a, security_hash(&[1; 32], Signing, id, 1));
    }
}
