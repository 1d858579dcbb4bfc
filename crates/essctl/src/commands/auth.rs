//! `essctl auth …`: make an Ed25519 key pair, and issue bearer tokens with its private key (an
//! admin's job: whoever holds the private key can act as anyone). No service is called; the
//! services only ever get the public key.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use platform::{
    auth::{Access, Role, TokenIssuer, generate_key_pair},
    config::parse_duration,
};
use uuid::Uuid;

use crate::failure::Failure;

/// `essctl auth …`
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Write a new Ed25519 key pair: `<dir>/auth_private.pem` (mode 600, signs tokens) and
    /// `<dir>/auth_public.pem` (what the services verify with: ESS_AUTH_PUBLIC_KEY_FILE).
    Keygen(KeygenArgs),
    /// Print a signed token for a subject and role (stdout, nothing else).
    Issue(IssueArgs),
}

/// `essctl auth keygen`
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Directory to write the two files into (created if missing).
    #[arg(long, default_value = ".")]
    pub out_dir: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    pub force: bool,
}

/// `essctl auth issue`
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The private key (PKCS#8 PEM) made by `essctl auth keygen`.
    #[arg(long, env = "ESS_AUTH_PRIVATE_KEY_FILE")]
    pub key_file: PathBuf,
    /// admin, staff, partner, public or service.
    #[arg(long)]
    pub role: Role,
    /// Who the token is for (recorded in the audit log of every write).
    #[arg(long)]
    pub subject: String,
    /// The partner id (UUID) a partner token is bound to; required with --role partner only.
    #[arg(long)]
    pub partner: Option<Uuid>,
    /// How long the token stays valid (e.g. 30m, 12h).
    #[arg(long, default_value = "12h", value_parser = parse_duration)]
    pub ttl: Duration,
    /// Issuer written in the token (the services' ESS_AUTH_ISSUER).
    #[arg(long, env = "ESS_AUTH_ISSUER", default_value = "ess-auth")]
    pub issuer: String,
    /// Audience written in the token (the services' ESS_AUTH_AUDIENCE).
    #[arg(long, env = "ESS_AUTH_AUDIENCE", default_value = "ess")]
    pub audience: String,
}

/// Runs an `auth` command; returns what to print.
pub fn run(command: &AuthCommand) -> Result<String, Failure> {
    match command {
        AuthCommand::Keygen(args) => keygen(&args.out_dir, args.force).map_err(Failure::Local),
        AuthCommand::Issue(args) => issue(args).map_err(Failure::Local),
    }
}

fn keygen(dir: &Path, force: bool) -> anyhow::Result<String> {
    let (private, public) = (dir.join("auth_private.pem"), dir.join("auth_public.pem"));
    if !force && (private.exists() || public.exists()) {
        anyhow::bail!(
            "{} or {} already exists (use --force to replace them: every token issued so far stops working)",
            private.display(),
            public.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let keys = generate_key_pair()?;
    write_private(&private, keys.private_pem.expose())?;
    std::fs::write(&public, &keys.public_pem).with_context(|| format!("writing {}", public.display()))?;
    Ok(format!(
        "private key: {} (keep it secret: it signs tokens)\npublic key:  {} (give it to the services: ESS_AUTH_PUBLIC_KEY_FILE)\n",
        private.display(),
        public.display()
    ))
}

#[cfg(unix)]
fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    use std::{io::Write as _, os::unix::fs::OpenOptionsExt as _};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(pem.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(not(unix))]
fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    std::fs::write(path, pem).with_context(|| format!("writing {}", path.display()))
}

fn issue(args: &IssueArgs) -> anyhow::Result<String> {
    if args.subject.trim().is_empty() {
        anyhow::bail!("--subject must not be empty");
    }
    let access = Access::new(args.role, args.partner)
        .map_err(|e| anyhow::anyhow!("{e} (--partner goes with --role partner, and only with it)"))?;
    let issuer = TokenIssuer::from_file(&args.key_file, &args.issuer, &args.audience)?;
    let token = issuer.issue(args.subject.trim(), access, args.ttl)?;
    Ok(format!("{}\n", token.expose()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use platform::auth::TokenVerifier;

    use super::*;

    #[test]
    fn a_generated_pair_issues_tokens_the_services_accept() {
        let dir = tempfile::tempdir().unwrap();
        keygen(dir.path(), false).unwrap();
        assert!(keygen(dir.path(), false).is_err(), "an existing key is not overwritten");
        let partner = Uuid::now_v7();
        let token = issue(&IssueArgs {
            key_file: dir.path().join("auth_private.pem"),
            role: Role::Partner,
            subject: "coop-1".into(),
            partner: Some(partner),
            ttl: Duration::from_secs(60),
            issuer: "ess-auth".into(),
            audience: "ess".into(),
        })
        .unwrap();
        let public = std::fs::read_to_string(dir.path().join("auth_public.pem")).unwrap();
        let principal = TokenVerifier::new(&public, "ess-auth", "ess")
            .unwrap()
            .verify(token.trim())
            .unwrap();
        assert_eq!(principal.partner_id(), Some(partner));
        assert_eq!(principal.subject(), "coop-1");
    }

    #[test]
    fn a_partner_token_needs_its_partner_and_no_one_else_has_one() {
        let dir = tempfile::tempdir().unwrap();
        keygen(dir.path(), false).unwrap();
        let args = |role, partner| IssueArgs {
            key_file: dir.path().join("auth_private.pem"),
            role,
            subject: "x".into(),
            partner,
            ttl: Duration::from_secs(60),
            issuer: "ess-auth".into(),
            audience: "ess".into(),
        };
        assert!(issue(&args(Role::Partner, None)).is_err());
        assert!(issue(&args(Role::Staff, Some(Uuid::now_v7()))).is_err());
    }
}
