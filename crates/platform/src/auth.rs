//! Bearer tokens: who is calling. A token is a JWT signed with Ed25519 (EdDSA); the services hold
//! only the public key ([`TokenVerifier`]), `essctl auth issue` and the tests hold the private one
//! ([`TokenIssuer`]). A verified token becomes a [`Principal`], which cannot hold an invalid
//! combination (a partner always has its partner id, nobody else has one).

use std::{
    collections::HashMap,
    fmt,
    path::Path,
    str::FromStr,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context as _;
use ed25519_dalek::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, spki::der::pem::LineEnding};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{config::AuthArgs, secret::Secret};

/// Clock skew tolerated on `exp` (and `nbf`) between the issuer and the services.
pub const LEEWAY: Duration = Duration::from_secs(30);

/// What a caller may be. `Service` is a machine caller (the activities service asking the registry
/// about an organiser): it is allowed exactly the lookups the access tables grant it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Operates the platform: everything.
    Admin,
    /// CRESS / DIRECCTE staff: reads and edits every partner, runs imports and reports.
    Staff,
    /// One partner organisation: its own record, contacts and registrations.
    Partner,
    /// Anyone: published, confidentiality-safe statistics and the public calendar.
    Public,
    /// Another service of the platform (service-to-service lookups only).
    Service,
}

impl Role {
    /// Every role, for the authorization matrix.
    pub const ALL: [Role; 5] = [Role::Admin, Role::Staff, Role::Partner, Role::Public, Role::Service];

    /// The claim value (`admin`, `staff`, `partner`, `public`, `service`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Partner => "partner",
            Role::Public => "public",
            Role::Service => "service",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| "unknown role (expected admin, staff, partner, public or service)".to_owned())
    }
}

/// The role a principal holds, with the partner id bound to the partner role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// See [`Role::Admin`].
    Admin,
    /// See [`Role::Staff`].
    Staff,
    /// See [`Role::Partner`]: bound to this partner id.
    Partner(Uuid),
    /// See [`Role::Public`].
    Public,
    /// See [`Role::Service`].
    Service,
}

impl Access {
    /// Builds the access of `role`; `partner_id` is required for a partner and refused otherwise.
    pub fn new(role: Role, partner_id: Option<Uuid>) -> Result<Self, AuthError> {
        match (role, partner_id) {
            (Role::Partner, Some(id)) => Ok(Access::Partner(id)),
            (Role::Partner, None) => Err(AuthError::Claims("a partner token needs partner_id")),
            (_, Some(_)) => Err(AuthError::Claims("only a partner token may carry partner_id")),
            (Role::Admin, None) => Ok(Access::Admin),
            (Role::Staff, None) => Ok(Access::Staff),
            (Role::Public, None) => Ok(Access::Public),
            (Role::Service, None) => Ok(Access::Service),
        }
    }

    /// The role without its partner id.
    pub fn role(self) -> Role {
        match self {
            Access::Admin => Role::Admin,
            Access::Staff => Role::Staff,
            Access::Partner(_) => Role::Partner,
            Access::Public => Role::Public,
            Access::Service => Role::Service,
        }
    }
}

/// A verified caller: the token's subject and its access. Handlers find it in the request
/// extensions (put there by [`crate::access::AuthLayer`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    subject: String,
    access: Access,
}

impl Principal {
    /// A principal (the verifier builds them from tokens; tests build them directly).
    pub fn new(subject: impl Into<String>, access: Access) -> Self {
        Self {
            subject: subject.into(),
            access,
        }
    }

    /// The token's `sub`: who, for the audit log. Never logged.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The access the token grants.
    pub fn access(&self) -> Access {
        self.access
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.access.role()
    }

    /// The partner this principal is bound to (partners only).
    pub fn partner_id(&self) -> Option<Uuid> {
        match self.access {
            Access::Partner(id) => Some(id),
            _ => None,
        }
    }

    /// Staff or admin: may see and change every partner's objects.
    pub fn is_staff(&self) -> bool {
        matches!(self.access, Access::Admin | Access::Staff)
    }

    /// The principal of a request that went through the auth layer. A handler reached without
    /// one is a wiring bug; it answers `UNAUTHENTICATED` rather than guessing.
    pub fn of<T>(request: &tonic::Request<T>) -> Result<Principal, tonic::Status> {
        request
            .extensions()
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| tonic::Status::unauthenticated("missing bearer token"))
    }
}

/// The claims of an ESS token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who: a person's or a service's identifier, recorded in the audit log.
    pub sub: String,
    /// `admin`, `staff`, `partner`, `public` or `service`.
    pub role: String,
    /// The partner id, for (and only for) the partner role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    /// Issuer, checked against `ESS_AUTH_ISSUER`.
    pub iss: String,
    /// Audience, checked against `ESS_AUTH_AUDIENCE`.
    pub aud: String,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
}

/// Why a token was refused. The text never echoes the token.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `authorization: Bearer …` header.
    #[error("missing bearer token")]
    Missing,
    /// Bad signature, expired, wrong issuer or audience, or not a JWT at all.
    #[error("invalid token: {0}")]
    Invalid(&'static str),
    /// Signed and fresh, but the claims make no principal.
    #[error("invalid token claims: {0}")]
    Claims(&'static str),
}

/// Checks tokens with the platform's public key: signature (EdDSA only), issuer, audience and
/// expiry with [`LEEWAY`].
///
/// A caller sends the same token with every call until it expires, and the signature check is
/// the costliest step of a small RPC (about a tenth of the registry's CPU under a write load): a
/// token that verified is remembered with its principal and expiry, and only its expiry is
/// checked again. The memory is bounded ([`VERIFIED_CAPACITY`] tokens, then it starts afresh).
#[derive(Clone)]
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
    verified: Arc<Mutex<HashMap<String, (Principal, u64)>>>,
}

/// Tokens remembered as verified, at most.
const VERIFIED_CAPACITY: usize = 4096;

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifier").finish_non_exhaustive()
    }
}

impl TokenVerifier {
    /// A verifier for tokens signed by the private half of `public_key_pem`.
    pub fn new(public_key_pem: &str, issuer: &str, audience: &str) -> anyhow::Result<Self> {
        let key = DecodingKey::from_ed_pem(public_key_pem.as_bytes())
            .context("the auth public key is not an Ed25519 public key in PEM")?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = LEEWAY.as_secs();
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Ok(Self {
            key,
            validation,
            verified: Arc::default(),
        })
    }

    /// From the settings: the key inline (`ESS_AUTH_PUBLIC_KEY`) or from a file
    /// (`ESS_AUTH_PUBLIC_KEY_FILE`).
    pub fn from_args(args: &AuthArgs) -> anyhow::Result<Self> {
        let pem = match (&args.public_key, &args.public_key_file) {
            (Some(inline), _) => inline.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| format!("reading ESS_AUTH_PUBLIC_KEY_FILE={}", path.display()))?,
            (None, None) => anyhow::bail!("set ESS_AUTH_PUBLIC_KEY_FILE or ESS_AUTH_PUBLIC_KEY"),
        };
        Self::new(&pem, &args.issuer, &args.audience).context("ESS_AUTH_PUBLIC_KEY_FILE / ESS_AUTH_PUBLIC_KEY")
    }

    /// The principal `token` names, if it is genuine, fresh and ours.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        self.verify_at(token, unix_now())
    }

    /// [`Self::verify`] at `now` (Unix seconds) for a remembered token.
    fn verify_at(&self, token: &str, now: u64) -> Result<Principal, AuthError> {
        let mut verified = self.verified.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((principal, exp)) = verified.get(token) {
            if now <= exp.saturating_add(LEEWAY.as_secs()) {
                return Ok(principal.clone());
            }
            verified.remove(token);
            return Err(AuthError::Invalid("expired"));
        }
        drop(verified);
        let (principal, exp) = self.verify_signed(token)?;
        let mut verified = self.verified.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if verified.len() >= VERIFIED_CAPACITY {
            verified.clear();
        }
        verified.insert(token.to_owned(), (principal.clone(), exp));
        Ok(principal)
    }

    /// The full check: signature, issuer, audience, expiry, claims. Returns the expiry too.
    fn verify_signed(&self, token: &str) -> Result<(Principal, u64), AuthError> {
        use jsonwebtoken::errors::ErrorKind;
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(|e| {
            AuthError::Invalid(match e.kind() {
                ErrorKind::ExpiredSignature => "expired",
                ErrorKind::InvalidIssuer => "wrong issuer",
                ErrorKind::InvalidAudience => "wrong audience",
                ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => "bad signature",
                ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
                _ => "malformed",
            })
        })?;
        let claims = data.claims;
        if claims.sub.trim().is_empty() {
            return Err(AuthError::Claims("sub is empty"));
        }
        let role: Role = claims.role.parse().map_err(|_| AuthError::Claims("unknown role"))?;
        let partner_id = claims
            .partner_id
            .as_deref()
            .map(Uuid::parse_str)
            .transpose()
            .map_err(|_| AuthError::Claims("partner_id is not a UUID"))?;
        Ok((Principal::new(claims.sub, Access::new(role, partner_id)?), claims.exp))
    }
}

/// Signs tokens with the platform's private key: `essctl auth issue` and the tests. The services
/// never build one.
pub struct TokenIssuer {
    key: EncodingKey,
    issuer: String,
    audience: String,
}

impl TokenIssuer {
    /// An issuer signing with `private_key_pem` (PKCS#8 Ed25519), naming `issuer` and `audience`.
    pub fn new(private_key_pem: &Secret, issuer: &str, audience: &str) -> anyhow::Result<Self> {
        let key = EncodingKey::from_ed_pem(private_key_pem.expose().as_bytes())
            .context("the signing key is not an Ed25519 private key in PKCS#8 PEM")?;
        Ok(Self {
            key,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    /// Reads the private key from `path`.
    pub fn from_file(path: &Path, issuer: &str, audience: &str) -> anyhow::Result<Self> {
        let pem = std::fs::read_to_string(path).with_context(|| format!("reading the key file {}", path.display()))?;
        Self::new(&Secret::new(pem), issuer, audience)
    }

    /// The claims of a token for `subject` with `access`, valid for `ttl` from now.
    pub fn claims(&self, subject: &str, access: Access, ttl: Duration) -> Claims {
        let now = unix_now();
        Claims {
            sub: subject.to_owned(),
            role: access.role().as_str().to_owned(),
            partner_id: match access {
                Access::Partner(id) => Some(id.to_string()),
                _ => None,
            },
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + ttl.as_secs(),
            iat: now,
        }
    }

    /// A signed token for `subject` with `access`, valid for `ttl`.
    pub fn issue(&self, subject: &str, access: Access, ttl: Duration) -> anyhow::Result<Secret> {
        self.sign(&self.claims(subject, access, ttl))
    }

    /// Signs arbitrary claims (tests use it for expired or foreign tokens).
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<Secret> {
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &self.key).context("signing the token")?;
        Ok(Secret::new(token))
    }
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A fresh Ed25519 key pair in PEM: the private key (PKCS#8) and the public key (SPKI).
pub struct KeyPairPem {
    /// `-----BEGIN PRIVATE KEY-----`: signs tokens; stays with whoever issues them.
    pub private_pem: Secret,
    /// `-----BEGIN PUBLIC KEY-----`: what the services verify with.
    pub public_pem: String,
}

/// Generates a key pair from the operating system's randomness.
pub fn generate_key_pair() -> anyhow::Result<KeyPairPem> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness from the operating system: {e}"))?;
    let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
    let private_pem = signing
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("encoding the private key: {e}"))?;
    let public_pem = signing
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("encoding the public key: {e}"))?;
    Ok(KeyPairPem {
        private_pem: Secret::new(private_pem.as_str()),
        public_pem,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn pair() -> (TokenIssuer, TokenVerifier) {
        let keys = generate_key_pair().unwrap();
        (
            TokenIssuer::new(&keys.private_pem, "ess-test", "ess").unwrap(),
            TokenVerifier::new(&keys.public_pem, "ess-test", "ess").unwrap(),
        )
    }

    #[test]
    fn an_issued_token_verifies_into_its_principal() {
        let (issuer, verifier) = pair();
        let id = Uuid::now_v7();
        let token = issuer
            .issue("alice", Access::Partner(id), Duration::from_secs(60))
            .unwrap();
        let p = verifier.verify(token.expose()).unwrap();
        assert_eq!(p.subject(), "alice");
        assert_eq!(p.partner_id(), Some(id));
        assert_eq!(p.role(), Role::Partner);
    }

    #[test]
    fn expired_foreign_and_misaddressed_tokens_are_refused() {
        let (issuer, verifier) = pair();
        let (other, _) = pair();
        let mut expired = issuer.claims("a", Access::Staff, Duration::from_secs(0));
        expired.exp = unix_now() - 120;
        assert!(matches!(
            verifier.verify(issuer.sign(&expired).unwrap().expose()),
            Err(AuthError::Invalid("expired"))
        ));
        let forged = other.issue("a", Access::Admin, Duration::from_secs(60)).unwrap();
        assert!(verifier.verify(forged.expose()).is_err());
        let mut wrong_aud = issuer.claims("a", Access::Staff, Duration::from_secs(60));
        wrong_aud.aud = "elsewhere".into();
        assert!(verifier.verify(issuer.sign(&wrong_aud).unwrap().expose()).is_err());
        let mut wrong_iss = issuer.claims("a", Access::Staff, Duration::from_secs(60));
        wrong_iss.iss = "someone".into();
        assert!(verifier.verify(issuer.sign(&wrong_iss).unwrap().expose()).is_err());
        assert!(verifier.verify("not.a.jwt").is_err());
    }

    #[test]
    fn a_remembered_token_is_refused_once_it_expires() {
        let (issuer, verifier) = pair();
        let c = issuer.claims("a", Access::Staff, Duration::from_secs(60));
        let exp = c.exp;
        let token = issuer.sign(&c).unwrap().expose().to_owned();
        assert!(verifier.verify(&token).is_ok(), "first use: full check");
        assert!(verifier.verify(&token).is_ok(), "second use: remembered");
        assert!(verifier.verify_at(&token, exp + LEEWAY.as_secs()).is_ok());
        assert!(matches!(
            verifier.verify_at(&token, exp + LEEWAY.as_secs() + 1),
            Err(AuthError::Invalid("expired"))
        ));
        let forged = format!("{token}x");
        assert!(verifier.verify(&forged).is_err(), "only the exact token is remembered");
    }

    #[test]
    fn a_token_within_the_leeway_still_verifies() {
        let (issuer, verifier) = pair();
        let mut c = issuer.claims("a", Access::Staff, Duration::from_secs(0));
        c.exp = unix_now() - 5;
        assert!(verifier.verify(issuer.sign(&c).unwrap().expose()).is_ok());
    }

    #[test]
    fn partner_id_is_required_exactly_for_partners() {
        let (issuer, verifier) = pair();
        let mut c = issuer.claims("a", Access::Staff, Duration::from_secs(60));
        c.role = "partner".into();
        assert!(matches!(
            verifier.verify(issuer.sign(&c).unwrap().expose()),
            Err(AuthError::Claims(_))
        ));
        c.role = "staff".into();
        c.partner_id = Some(Uuid::now_v7().to_string());
        assert!(matches!(
            verifier.verify(issuer.sign(&c).unwrap().expose()),
            Err(AuthError::Claims(_))
        ));
        c.role = "root".into();
        c.partner_id = None;
        assert!(verifier.verify(issuer.sign(&c).unwrap().expose()).is_err());
    }
}
