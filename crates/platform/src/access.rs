//! Who may call what. Each service declares, in one table, every gRPC method it serves and the
//! roles allowed ([`MethodAccess`]); [`AuthLayer`] enforces it on every request but health and
//! reflection: no or bad token → `UNAUTHENTICATED`; a method missing from the table or a role not
//! listed → `PERMISSION_DENIED`. The verified [`Principal`] goes into the request extensions for
//! the handlers' object-level checks, and every write is recorded in the audit log once the handler
//! has answered (see [`crate::audit`]).

use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use sqlx::PgPool;
use tonic::{Code, Status};
use tower::{Layer, Service};

use crate::{
    audit::{self, AuditTarget},
    auth::{AuthError, Principal, Role, TokenVerifier},
};

/// Whether a method changes state (and is therefore audited).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Reads only.
    Read,
    /// Changes state: audited.
    Write,
}

/// What the layer's role check leaves to the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The role decides alone.
    Role,
    /// An object-level check follows in the handler (a partner's own record, its registrations).
    Object,
}

/// The access declaration of one gRPC method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodAccess {
    /// Full path, `/ess.registry.v1.PartnerRegistry/CreatePartner`.
    pub path: &'static str,
    /// The roles allowed past the layer.
    pub roles: &'static [Role],
    /// Read or write.
    pub kind: Kind,
    /// Whether the handler checks the object next.
    pub scope: Scope,
}

impl MethodAccess {
    /// A read allowed to `roles`.
    pub const fn read(path: &'static str, roles: &'static [Role]) -> Self {
        Self {
            path,
            roles,
            kind: Kind::Read,
            scope: Scope::Role,
        }
    }

    /// A write allowed to `roles`.
    pub const fn write(path: &'static str, roles: &'static [Role]) -> Self {
        Self {
            path,
            roles,
            kind: Kind::Write,
            scope: Scope::Role,
        }
    }

    /// The same, with an object-level check in the handler.
    pub const fn object_checked(self) -> Self {
        Self {
            scope: Scope::Object,
            ..self
        }
    }

    /// Whether `role` passes the layer.
    pub fn allows(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Role sets used by the tables.
pub mod roles {
    use crate::auth::Role;

    /// Admin only.
    pub const ADMIN: &[Role] = &[Role::Admin];
    /// Admin and staff.
    pub const STAFF: &[Role] = &[Role::Admin, Role::Staff];
    /// Admin, staff and partners (object-checked where the table says so).
    pub const STAFF_AND_PARTNERS: &[Role] = &[Role::Admin, Role::Staff, Role::Partner];
    /// Every human role, public included.
    pub const EVERYONE: &[Role] = &[Role::Admin, Role::Staff, Role::Partner, Role::Public];
}

/// The platform's own services, served by every service: dead letters and the audit log are for
/// staff.
pub const PLATFORM_ACCESS: &[MethodAccess] = &[
    MethodAccess::read("/ess.platform.v1.DeadLetters/ListDeadLetters", roles::STAFF),
    MethodAccess::write("/ess.platform.v1.DeadLetters/ReplayDeadLetters", roles::STAFF),
    MethodAccess::read("/ess.platform.v1.Audit/ListAuditEntries", roles::STAFF),
];

/// Paths that need no token: probes and reflection.
pub fn is_open(path: &str) -> bool {
    path.starts_with("/grpc.health.") || path.starts_with("/grpc.reflection.")
}

/// A service's whole access table, by path.
#[derive(Debug, Clone, Default)]
pub struct AccessTable {
    by_path: HashMap<&'static str, MethodAccess>,
}

impl AccessTable {
    /// The union of `tables`; a path declared twice keeps its last declaration.
    pub fn new<'a>(tables: impl IntoIterator<Item = &'a [MethodAccess]>) -> Self {
        let by_path = tables
            .into_iter()
            .flat_map(|t| t.iter())
            .map(|m| (m.path, *m))
            .collect();
        Self { by_path }
    }

    /// The declaration of `path`, if any.
    pub fn get(&self, path: &str) -> Option<&MethodAccess> {
        self.by_path.get(path)
    }
}

/// What the auth layer needs: the verifier, the table, and where to write audit entries.
#[derive(Clone)]
pub struct Auth {
    verifier: Arc<TokenVerifier>,
    table: Arc<AccessTable>,
    audit: Option<audit::Recorder>,
}

impl Auth {
    /// Enforces `table` with `verifier`; writes are audited into `audit` (a service's own
    /// database; `None` only for servers without one, such as essctl's fake servers in tests).
    pub fn new(verifier: TokenVerifier, table: AccessTable, audit: Option<PgPool>) -> Self {
        Self {
            verifier: Arc::new(verifier),
            table: Arc::new(table),
            audit: audit.map(audit::Recorder::spawn),
        }
    }

    /// The decision for a request to `path` with the `authorization` header `header`.
    fn decide(&self, path: &str, header: Option<&str>) -> Result<(Principal, MethodAccess), Status> {
        let token = bearer(header).ok_or(AuthError::Missing).map_err(unauthenticated)?;
        let principal = self.verifier.verify(token).map_err(unauthenticated)?;
        let Some(rule) = self.table.get(path) else {
            tracing::warn!(method = path, "platform.auth.undeclared_method");
            return Err(Status::permission_denied("this method is not open to any role"));
        };
        if !rule.allows(principal.role()) {
            return Err(Status::permission_denied(format!(
                "the {} role may not call this method",
                principal.role()
            )));
        }
        Ok((principal, *rule))
    }
}

/// The token of an `authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer(header: Option<&str>) -> Option<&str> {
    let (scheme, token) = header?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn unauthenticated(e: AuthError) -> Status {
    tracing::debug!(reason = %e, "platform.auth.refused");
    Status::unauthenticated(format!("{e}: send `authorization: Bearer <token>` with a valid token"))
}

/// Tower layer enforcing an [`Auth`] on every request (see the module doc).
#[derive(Clone)]
pub struct AuthLayer {
    auth: Auth,
}

impl AuthLayer {
    /// The layer for `auth`.
    pub fn new(auth: Auth) -> Self {
        Self { auth }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            auth: self.auth.clone(),
        }
    }
}

/// The service made by [`AuthLayer`].
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    auth: Auth,
}

impl<S, B, RB> Service<http::Request<B>> for AuthService<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send,
    B: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        let path = req.uri().path().to_owned();
        if is_open(&path) {
            return Box::pin(self.inner.call(req));
        }
        let header = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let (principal, rule) = match self.auth.decide(&path, header) {
            Ok(decided) => decided,
            Err(status) => {
                return Box::pin(async move { Ok(status.into_http()) });
            }
        };
        req.extensions_mut().insert(principal.clone());
        let fut = self.inner.call(req);
        let audit = (rule.kind == Kind::Write).then(|| self.auth.audit.clone()).flatten();
        Box::pin(async move {
            tracing::Span::current().record("enduser.role", principal.role().as_str());
            let result = fut.await;
            let outcome = match (&audit, &result) {
                (Some(_), Ok(resp)) => Some(outcome_of(resp)),
                _ => None,
            };
            if let (Some(recorder), Some((code, target))) = (audit, outcome) {
                recorder.record(&principal, &path, target.as_deref(), code).await;
            }
            result
        })
    }
}

/// The status code and audited object of a response: tonic sends an error as a trailers-only
/// response (grpc-status in the headers); without one, the call succeeded.
fn outcome_of<RB>(resp: &http::Response<RB>) -> (Code, Option<String>) {
    let code = resp
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(Code::from_i32)
        .unwrap_or(Code::Ok);
    (code, resp.extensions().get::<AuditTarget>().map(|t| t.0.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn the_platform_services_are_declared_for_staff_only() {
        let table = AccessTable::new([PLATFORM_ACCESS]);
        for path in [
            "/ess.platform.v1.DeadLetters/ListDeadLetters",
            "/ess.platform.v1.DeadLetters/ReplayDeadLetters",
            "/ess.platform.v1.Audit/ListAuditEntries",
        ] {
            let rule = table.get(path).expect("declared");
            assert!(rule.allows(Role::Staff) && rule.allows(Role::Admin));
            assert!(!rule.allows(Role::Partner) && !rule.allows(Role::Public) && !rule.allows(Role::Service));
        }
    }
}
