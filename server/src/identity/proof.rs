//! The proof that a person is there (人机验证) for the public report page,
//! without an outside captcha service (the server may have no Internet):
//! a proof of work, as Hashcash and mCaptcha do. The server hands out a
//! signed challenge; the page finds a nonce whose SHA-256 with it starts
//! with `difficulty` zero bits (a fraction of a second on a phone, a real
//! cost to a script sending thousands), and each solved challenge is good
//! for one report and its photos, for a few minutes.
//!
//! The challenge is self-contained (`v1.<expires>.<random>.<mac>`, the mac
//! under a key every node of a cluster shares), so that any node can check
//! it; what it was used for is remembered by the node that saw it.

use std::collections::HashMap;

use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use riskmap_engine::model::EpochMs;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// How long a challenge is good for.
pub const LIFETIME_MS: EpochMs = 10 * 60 * 1000;
/// Uses of one solved challenge: one report and up to three photos.
pub const USES: u8 = 4;

/// Why a proof was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProofError {
    /// Malformed, forged, or from another server.
    #[error("the challenge is not one this server gave (get a new one: GET /api/public/challenge)")]
    Forged,
    /// Too old.
    #[error("the challenge has expired (get a new one: GET /api/public/challenge)")]
    Expired,
    /// The nonce does not solve it.
    #[error("the nonce does not solve the challenge")]
    Unsolved,
    /// Used up.
    #[error("the challenge was used up (one report and three photos); get a new one")]
    UsedUp,
}

/// A challenge as the page receives it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Challenge {
    /// The opaque challenge.
    pub challenge: String,
    /// Leading zero bits asked for.
    pub difficulty: u8,
    /// When it stops being good.
    pub expires_ms: EpochMs,
}

/// Issues and checks challenges.
#[derive(Debug)]
pub struct ProofOfWork {
    key: Vec<u8>,
    difficulty: u8,
    /// Challenge → uses left, until it expires.
    used: Mutex<HashMap<String, (u8, EpochMs)>>,
}

impl ProofOfWork {
    /// Challenges signed with `key`, asking `difficulty` zero bits (0: any
    /// nonce does, for tests and closed networks).
    #[must_use]
    pub fn new(key: &[u8], difficulty: u8) -> Self {
        ProofOfWork {
            key: key.to_vec(),
            difficulty: difficulty.min(32),
            used: Mutex::default(),
        }
    }

    /// A new challenge.
    #[must_use]
    pub fn issue(&self, now: EpochMs) -> Challenge {
        let expires_ms = now + LIFETIME_MS;
        let body = format!(
            "v1.{expires_ms}.{}",
            hex::encode(rand::random::<[u8; 12]>())
        );
        let mac = hex::encode(self.mac(&body).finalize().into_bytes());
        Challenge {
            challenge: format!("{body}.{mac}"),
            difficulty: self.difficulty,
            expires_ms,
        }
    }

    /// Takes one use of a solved challenge.
    pub fn redeem(&self, challenge: &str, nonce: &str, now: EpochMs) -> Result<(), ProofError> {
        let (body, mac) = challenge.rsplit_once('.').ok_or(ProofError::Forged)?;
        let mac = hex::decode(mac).map_err(|_| ProofError::Forged)?;
        self.mac(body)
            .verify_slice(&mac)
            .map_err(|_| ProofError::Forged)?;
        let expires: EpochMs = body
            .split('.')
            .nth(1)
            .and_then(|e| e.parse().ok())
            .ok_or(ProofError::Forged)?;
        if expires < now {
            return Err(ProofError::Expired);
        }
        if nonce.len() > 40 || leading_zero_bits(challenge, nonce) < u32::from(self.difficulty) {
            return Err(ProofError::Unsolved);
        }
        let mut used = self.used.lock();
        used.retain(|_, (_, until)| *until >= now);
        let left = &mut used
            .entry(challenge.to_owned())
            .or_insert((USES, expires))
            .0;
        if *left == 0 {
            return Err(ProofError::UsedUp);
        }
        *left -= 1;
        Ok(())
    }

    fn mac(&self, body: &str) -> Hmac<Sha256> {
        let mut m =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        m.update(body.as_bytes());
        m
    }
}

/// Leading zero bits of SHA-256(`challenge:nonce`).
#[must_use]
pub fn leading_zero_bits(challenge: &str, nonce: &str) -> u32 {
    let mut h = Sha256::new();
    h.update(challenge.as_bytes());
    h.update(b":");
    h.update(nonce.as_bytes());
    let digest = h.finalize();
    let mut bits = 0;
    for b in digest {
        bits += b.leading_zeros();
        if b != 0 {
            break;
        }
    }
    bits
}

/// A nonce solving `challenge` (what the page does; for tests and tools).
#[must_use]
pub fn solve(challenge: &str, difficulty: u8) -> String {
    // 2^40 tries: far beyond any difficulty a server asks (at most 32).
    (0_u64..1 << 40)
        .map(|n| n.to_string())
        .find(|n| leading_zero_bits(challenge, n) >= u32::from(difficulty))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_solved_challenge_is_good_four_times() {
        let p = ProofOfWork::new(b"key", 8);
        let c = p.issue(1_000);
        let nonce = solve(&c.challenge, 8);
        assert!(leading_zero_bits(&c.challenge, &nonce) >= 8);
        for _ in 0..USES {
            assert_eq!(p.redeem(&c.challenge, &nonce, 2_000), Ok(()));
        }
        assert_eq!(
            p.redeem(&c.challenge, &nonce, 2_000),
            Err(ProofError::UsedUp)
        );
    }

    #[test]
    fn forged_expired_and_unsolved_challenges_are_refused() {
        let p = ProofOfWork::new(b"key", 8);
        let c = p.issue(1_000);
        let nonce = solve(&c.challenge, 8);
        let other = ProofOfWork::new(b"another key", 8);
        assert_eq!(
            other.redeem(&c.challenge, &nonce, 2_000),
            Err(ProofError::Forged)
        );
        let tampered = c.challenge.replacen("v1.", "v1.9", 1);
        assert_eq!(p.redeem(&tampered, &nonce, 2_000), Err(ProofError::Forged));
        assert_eq!(p.redeem("garbage", "1", 2_000), Err(ProofError::Forged));
        assert_eq!(
            p.redeem(&c.challenge, &nonce, 1_000 + LIFETIME_MS + 1),
            Err(ProofError::Expired)
        );
        let wrong = (0_u64..1000)
            .map(|n| n.to_string())
            .find(|n| leading_zero_bits(&c.challenge, n) < 8)
            .unwrap();
        assert_eq!(
            p.redeem(&c.challenge, &wrong, 2_000),
            Err(ProofError::Unsolved)
        );
    }
}
