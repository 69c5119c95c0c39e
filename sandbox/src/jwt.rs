//! HS256, the one JWT algorithm the sandbox uses, as jsonwebtoken's crypto provider.
//!
//! jsonwebtoken 11 chooses its cryptography through a process-wide `CryptoProvider`, and its two
//! built-in providers are all-or-nothing: `rust_crypto` compiles RSA, ECDSA and EdDSA (rsa, p256,
//! p384, ed25519-dalek) next to HMAC, and `aws_lc_rs` is a C build. The sandbox signs and checks
//! HS256 only, so it builds jsonwebtoken with no provider and installs this one: HMAC-SHA256 from
//! the `hmac` and `sha2` crates it already uses for SecurityHashes. A process that installed a
//! provider first keeps it (every provider does HS256); one that wants another provider must
//! install it before it starts a sandbox (see `sandbox/README.md`).

use std::sync::Once;

use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The provider: HS256 signers and verifiers; every other algorithm is refused.
static HS256_ONLY: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    // JWKs are never read or written by the sandbox.
    key_utils: KeyUtils::new_unimplemented(),
};

/// Installs [`HS256_ONLY`] unless the process already has a provider; cheap after the first
/// call (one atomic load), so every signing and checking path calls it.
pub fn ensure_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Err: another provider was installed first; it does HS256 too, so it is kept.
        let _ = HS256_ONLY.install_default();
    });
}

fn hmac_of(key: &[u8]) -> Result<HmacSha256, Error> {
    HmacSha256::new_from_slice(key).map_err(|_| ErrorKind::InvalidKeyFormat.into())
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    if *algorithm != Algorithm::HS256 || key.family() != AlgorithmFamily::Hmac {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    Ok(Box::new(Hs256(hmac_of(key.as_bytes())?)))
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    if *algorithm != Algorithm::HS256 || key.family() != AlgorithmFamily::Hmac {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    Ok(Box::new(Hs256(hmac_of(key.try_get_as_bytes()?)?)))
}

/// HMAC-SHA256 keyed with a tenant's secret.
struct Hs256(HmacSha256);

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, message: &[u8], tag: &Vec<u8>) -> Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        // Constant time: a forged token learns nothing from how long the refusal took.
        mac.verify_slice(tag).map_err(signature::Error::from_source)
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{Header, Validation};

    use super::*;

    #[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
    struct Claims {
        sub: i64,
    }

    fn validation() -> Validation {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation
    }

    #[test]
    fn signs_and_checks_hs256_and_refuses_a_wrong_key_or_another_algorithm() {
        ensure_provider();
        let claims = Claims { sub: 7 };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"k1"),
        )
        .expect("HS256 signs");
        let decoded =
            jsonwebtoken::decode::<Claims>(&token, &DecodingKey::from_secret(b"k1"), &validation())
                .expect("HS256 checks");
        assert_eq!(decoded.claims, claims);
        assert!(
            jsonwebtoken::decode::<Claims>(&token, &DecodingKey::from_secret(b"k2"), &validation())
                .is_err()
        );
        let other = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(b"k1"),
        );
        assert!(other.is_err(), "only HS256 is provided");
    }
}
