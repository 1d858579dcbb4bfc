//! The credentials a service presents to NATS: its own user and password, so that the server can
//! hold it to its own subjects (`deploy/nats-users.conf`). Both unset: no authentication (a
//! development server without users). The password is a [`Secret`]; neither it nor a URL that
//! embeds credentials ever reaches a log line or an error message.

use clap::Args;

use crate::secret::Secret;

/// `NATS_USER` and `NATS_PASSWORD`.
#[derive(Debug, Clone, Default, Args)]
pub struct NatsCredentials {
    /// NATS user of this service (`registry`, `activities`, `observatory` in deploy/nats-users.conf).
    #[arg(long = "nats-user", env = "NATS_USER", requires = "password")]
    pub user: Option<String>,

    /// Password of `NATS_USER`.
    #[arg(long = "nats-password", env = "NATS_PASSWORD", requires = "user")]
    pub password: Option<Secret>,
}

impl NatsCredentials {
    /// A user and its password.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: Some(user.into()),
            password: Some(Secret::new(password.into())),
        }
    }

    /// `options` authenticating as this user, when one is set.
    pub fn apply(&self, options: async_nats::ConnectOptions) -> async_nats::ConnectOptions {
        match (&self.user, &self.password) {
            (Some(user), Some(password)) => options.user_and_password(user.clone(), password.expose().to_owned()),
            _ => options,
        }
    }
}

/// `url` without the `user:password@` part, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://[redacted]@{}", &url[..scheme], &url[at + 1..]),
        (None, Some(at)) => format!("[redacted]@{}", &url[at + 1..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_url_are_redacted() {
        assert_eq!(
            redact_url("nats://registry:s3cret@nats:4222"),
            "nats://[redacted]@nats:4222"
        );
        assert_eq!(redact_url("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
        assert!(!redact_url("registry:s3cret@nats:4222").contains("s3cret"));
    }

    #[test]
    fn the_password_never_prints() {
        let c = NatsCredentials::new("registry", "s3cret");
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
