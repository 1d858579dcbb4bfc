//! No leaks: a full scenario through the real binaries (partners with their contact persons'
//! emails and phones, an activity with registrations, the observatory's projections, bad input
//! that gets INVALID_ARGUMENT), with a real bearer token (signed by the test key, accepted by the
//! services) on every call, the activities service calling the registry with a service token of
//! its own, each service logged in to NATS with its own password and to PostgreSQL with a
//! password in its URL. Every JSON log line of the three processes and every span they export must
//! be free of the tokens (whole or their signatures), the passwords, the emails, the phone numbers
//! and the contact persons' names; so must the error messages the callers get back.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, SystemTime},
};

use ess_e2e::{
    binaries::binary,
    otlp::{OtlpReceiver, ReceivedSpan},
};
use ess_proto::{
    activities::v1::{
        ActivityFields, ActivityKind, ActivityTransitionRequest, AgeBand, CreateActivityRequest,
        ListRegistrationsRequest, NewSession, Public, RegisterRequest, Sex, Venue, activities_client::ActivitiesClient,
    },
    observatory::v1::{CountPartnersByDepartementRequest, observatory_client::ObservatoryClient},
    registry::v1::{
        AddContactRequest, Contact, CreatePartnerRequest, GetPartnerRequest,
        partner_registry_client::PartnerRegistryClient,
    },
};
use platform::{
    auth::Access,
    grpc::{AuthChannel, with_token},
    secret::Secret,
    testing::{TestDatabase, free_port, poll_until, token},
};
use tokio::process::{Child, Command};
use tonic::{Code, Status, transport::Channel};

use crate::secured_nats::SecuredNats;

/// What must never show up (besides the tokens, made by the test).
const DB_PASSWORD: &str = "pDbPasswordLeakCheck42";
const CONTACT_EMAIL: &str = "camille.martin@exemple-ess.fr";
const CONTACT_PHONE: &str = "06 12 34 56 78";
const CONTACT_NAME: &str = "Camille Martin";
const SECOND_EMAIL: &str = "jules.bernard@exemple-ess.fr";
const SECOND_PHONE: &str = "+33 7 98 76 54 32";
const SECOND_NAME: &str = "Jules Bernard";
const REGISTRANT_EMAIL: &str = "lea.dupont@exemple-ess.fr";
const REGISTRANT_NAME: &str = "Léa Dupont";
/// Refused input that is personal data all the same.
const BAD_EMAIL: &str = "martine.durand.exemple-ess.fr";
const BAD_EMAIL_2: &str = "paul.leroy@@exemple-ess";
const BAD_PHONE: &str = "06 99 88";

/// Every form a phone number could be logged in.
fn phone_forms(phone: &str) -> Vec<String> {
    let digits: String = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    vec![phone.to_owned(), digits.clone(), format!("+{digits}")]
}

/// The needles of a token: the whole of it and its signature (the part that makes it valid).
fn token_needles(token: &str, what: &'static str) -> Vec<(String, &'static str)> {
    let signature = token.rsplit('.').next().unwrap_or(token);
    assert!(signature.len() >= 40, "{what} looks like a signed JWT");
    vec![(token.to_owned(), what), (signature.to_owned(), what)]
}

/// A service binary with its stderr (JSON logs) in a file; killed when dropped.
struct LoggedService {
    url: String,
    log: PathBuf,
    child: Option<Child>,
}

impl LoggedService {
    async fn start(name: &str, env: &HashMap<&str, String>, logs: &Path) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let log = logs.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(binary(name))
            .env_clear()
            .envs(env)
            .env("GRPC_ADDR", &addr)
            .env("OTEL_SERVICE_NAME", name)
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        let check = addr.clone();
        poll_until(Duration::from_secs(30), &format!("{name} to listen"), || {
            let addr = check.clone();
            async move { tokio::net::TcpStream::connect(addr).await.ok().map(|_| ()) }
        })
        .await;
        Self {
            url: format!("http://{addr}"),
            log,
            child: Some(child),
        }
    }

    /// A connection whose calls carry `token` as their bearer token.
    async fn channel(&self, token: &Secret) -> AuthChannel {
        let channel = Channel::from_shared(self.url.clone()).unwrap().connect().await.unwrap();
        with_token(channel, token)
    }

    /// SIGTERM and wait: the service flushes its spans and last log lines.
    async fn stop(&mut self) {
        let mut child = self.child.take().expect("running");
        if let Some(pid) = child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
            .await
            .expect("stops within 15 s")
            .unwrap();
        assert!(status.success(), "{} exits cleanly", self.log.display());
    }
}

/// `db`'s URL with a password (PostgreSQL trusts local connections here and ignores it; the
/// services must not print it all the same).
fn with_password(db: &TestDatabase) -> String {
    match db.url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((user, host)) if !user.contains(':') => format!("{scheme}://{user}:{DB_PASSWORD}@{host}"),
            _ => db.url.clone(),
        },
        None => db.url.clone(),
    }
}

fn contact(name: &str, email: &str, phone: &str) -> Contact {
    Contact {
        name: name.into(),
        role: "Chargée de mission".into(),
        email: email.into(),
        phone: phone.into(),
        consent: true,
        ..Default::default()
    }
}

fn timestamp(from_now: Duration) -> prost_types::Timestamp {
    let t = SystemTime::now() + from_now;
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    prost_types::Timestamp {
        seconds: secs as i64,
        nanos: 0,
    }
}

/// Every place a needle could hide in a span: its name, attributes, events, status.
fn span_text(span: &ReceivedSpan) -> String {
    format!("{} {:?} {}", span.name, span.attributes, span.raw)
}

#[tokio::test]
async fn logs_spans_and_error_messages_of_a_full_scenario_hold_no_token_password_email_or_phone() {
    let nats = SecuredNats::start().await;
    let otlp = OtlpReceiver::start().await;
    let logs = tempfile::tempdir().unwrap();
    let dbs = [
        TestDatabase::create("registry").await,
        TestDatabase::create("activities").await,
        TestDatabase::create("observatory").await,
    ];
    // The callers' token, and the services' auth settings (the public key that verifies it, and
    // the activities' own token for the registry).
    let token = token(Access::Admin);
    let forged = {
        let (unsigned, signature) = token.expose().rsplit_once('.').unwrap();
        let mut signature: Vec<char> = signature.chars().collect();
        signature.reverse();
        Secret::new(format!("{unsigned}.{}", signature.into_iter().collect::<String>()))
    };
    let auth = ess_e2e::binaries::auth_env();
    let registry_token = auth
        .iter()
        .find(|(name, _)| *name == "REGISTRY_TOKEN")
        .map(|(_, value)| value.clone())
        .expect("a REGISTRY_TOKEN for the activities");
    let env = |user: &str, db: &TestDatabase| -> HashMap<&'static str, String> {
        let mut env: HashMap<&'static str, String> = auth.iter().cloned().collect();
        env.extend([
            ("DATABASE_URL", with_password(db)),
            ("NATS_URL", nats.url()),
            ("NATS_USER", user.to_owned()),
            ("NATS_PASSWORD", nats.password(user).to_owned()),
            ("ESS_STREAM", "ESS".into()),
            ("ESS_SUBJECT_PREFIX", "ess".into()),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.endpoint()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100".into()),
            ("LOG_FORMAT", "json".into()),
            // Everything, dependencies included: nothing may leak even at the most verbose level.
            ("RUST_LOG", "trace".into()),
        ]);
        env
    };
    let mut registry = LoggedService::start("registry", &env("registry", &dbs[0]), logs.path()).await;
    let mut activities_env = env("activities", &dbs[1]);
    activities_env.insert("REGISTRY_URL", registry.url.clone());
    let mut activities = LoggedService::start("activities", &activities_env, logs.path()).await;
    let mut observatory = LoggedService::start("observatory", &env("observatory", &dbs[2]), logs.path()).await;

    let mut partners = PartnerRegistryClient::new(registry.channel(&token).await);
    let mut calendar = ActivitiesClient::new(activities.channel(&token).await);
    let stats = ObservatoryClient::new(observatory.channel(&token).await);
    let mut refusals: Vec<Status> = Vec::new();

    // A partner and its contact persons.
    let partner = partners
        .create_partner(CreatePartnerRequest {
            name: "Coopérative d'essai".into(),
            siret: "73282932000074".into(),
            commune_code: "14118".into(),
            postal_code: "14000".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .partner
        .unwrap();
    let mut version = partner.version;
    for (name, email, phone) in [
        (CONTACT_NAME, CONTACT_EMAIL, CONTACT_PHONE),
        (SECOND_NAME, SECOND_EMAIL, SECOND_PHONE),
    ] {
        let added = partners
            .add_contact(AddContactRequest {
                partner_id: partner.id.clone(),
                expected_version: version,
                contact: Some(contact(name, email, phone)),
            })
            .await
            .unwrap()
            .into_inner();
        version = added.partner.unwrap().version;
    }
    // Bad contacts: refused, and the refusal does not repeat what was sent.
    for (email, phone) in [
        (BAD_EMAIL, CONTACT_PHONE),
        (CONTACT_EMAIL, BAD_PHONE),
        (BAD_EMAIL_2, BAD_PHONE),
    ] {
        let status = partners
            .add_contact(AddContactRequest {
                partner_id: partner.id.clone(),
                expected_version: version,
                contact: Some(contact("Martine Durand", email, phone)),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        refusals.push(status);
    }
    // A forged token (a valid one with another signature) is refused, and neither the refusal nor
    // the logs repeat it.
    let status = PartnerRegistryClient::new(registry.channel(&forged).await)
        .get_partner(GetPartnerRequest { id: partner.id.clone() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    refusals.push(status);
    let read = partners
        .get_partner(GetPartnerRequest { id: partner.id.clone() })
        .await
        .unwrap()
        .into_inner();
    // The caller who may read them gets them back: the needles below are the stored forms.
    let stored = format!("{read:?}");
    assert!(
        stored.contains(CONTACT_EMAIL) && stored.contains(SECOND_NAME),
        "{stored}"
    );
    assert!(
        phone_forms(CONTACT_PHONE)
            .iter()
            .any(|form| stored.contains(form.as_str())),
        "{stored}"
    );
    assert_eq!(read.partner.unwrap().contacts.len(), 2, "the contacts were recorded");

    // An activity organised by the partner, and registrations.
    let activity = calendar
        .create_activity(CreateActivityRequest {
            activity: Some(ActivityFields {
                title: "Forum de l'ESS à Caen".into(),
                description: "Rencontres avec les entreprises de l'ESS.".into(),
                kind: ActivityKind::Evenement as i32,
                axes: vec![2],
                publics: vec![Public::Etudiants as i32],
                campaign: "Mois de l'ESS 2026".into(),
                venue: Some(Venue {
                    online: false,
                    commune_code: "14118".into(),
                    address: "Hôtel de ville, Caen".into(),
                }),
            }),
            organiser_ids: vec![partner.id.clone()],
            co_organiser_ids: vec![],
            sessions: vec![NewSession {
                start: Some(timestamp(Duration::from_secs(7 * 86_400))),
                end: Some(timestamp(Duration::from_secs(7 * 86_400 + 7_200))),
                capacity: 20,
            }],
        })
        .await
        .unwrap()
        .into_inner()
        .activity
        .unwrap();
    calendar
        .schedule_activity(ActivityTransitionRequest {
            id: activity.id.clone(),
        })
        .await
        .unwrap();
    let session_id = activity.sessions[0].id.clone();
    let registration = |name: &str, email: &str| RegisterRequest {
        session_id: session_id.clone(),
        name: name.into(),
        email: email.into(),
        organisation_id: partner.id.clone(),
        public: Public::Etudiants as i32,
        sex: Sex::F as i32,
        age_band: AgeBand::Under26 as i32,
        consent: true,
    };
    calendar
        .register(registration(REGISTRANT_NAME, REGISTRANT_EMAIL))
        .await
        .unwrap();
    for email in [BAD_EMAIL, BAD_EMAIL_2] {
        let status = calendar
            .register(registration("Martine Durand", email))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        refusals.push(status);
    }
    // Registering the same person twice is refused too.
    if let Err(status) = calendar.register(registration(REGISTRANT_NAME, REGISTRANT_EMAIL)).await {
        refusals.push(status);
    }
    let listed = calendar
        .list_registrations(ListRegistrationsRequest {
            session_id: session_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!listed.registrations.is_empty());

    // The observatory projects the registry's events (the partner, with its contacts' changes).
    poll_until(Duration::from_secs(20), "the observatory's projection", || {
        let mut stats = stats.clone();
        async move {
            let counts = stats
                .count_partners_by_departement(CountPartnersByDepartementRequest {})
                .await
                .ok()?
                .into_inner();
            (counts.total == 1).then_some(())
        }
    })
    .await;

    // Everything exported: wait for the observatory's consumer spans and the activities' spans.
    poll_until(Duration::from_secs(20), "the spans of the three services", || async {
        let spans = otlp.spans();
        let from = |service: &str| spans.iter().any(|s| s.service == service);
        (from("registry") && from("activities") && from("observatory")).then_some(())
    })
    .await;
    activities.stop().await;
    observatory.stop().await;
    registry.stop().await;

    let mut needles: Vec<(String, &str)> = vec![
        (DB_PASSWORD.to_owned(), "the database password"),
        (nats.password("registry").to_owned(), "the registry's NATS password"),
        (nats.password("activities").to_owned(), "the activities' NATS password"),
        (
            nats.password("observatory").to_owned(),
            "the observatory's NATS password",
        ),
    ];
    needles.extend(token_needles(token.expose(), "the bearer token"));
    needles.extend(token_needles(&registry_token, "the activities' registry token"));
    needles.extend(token_needles(forged.expose(), "a forged bearer token"));
    for email in [CONTACT_EMAIL, SECOND_EMAIL, REGISTRANT_EMAIL, BAD_EMAIL, BAD_EMAIL_2] {
        needles.push((email.to_owned(), "an email"));
        needles.push((email.to_lowercase(), "an email"));
    }
    for phone in [CONTACT_PHONE, SECOND_PHONE, BAD_PHONE] {
        for form in phone_forms(phone) {
            needles.push((form, "a phone number"));
        }
    }
    for name in [CONTACT_NAME, SECOND_NAME, REGISTRANT_NAME, "Martine Durand"] {
        needles.push((name.to_owned(), "a person's name"));
    }

    let mut found = Vec::new();
    let mut lines = 0;
    for service in [&registry, &activities, &observatory] {
        let text = std::fs::read_to_string(&service.log).unwrap();
        assert!(!text.trim().is_empty(), "{} logged nothing", service.log.display());
        for line in text.lines() {
            lines += 1;
            assert!(
                line.starts_with('{'),
                "not a JSON log line in {}: {line}",
                service.log.display()
            );
            for (needle, what) in &needles {
                if line.contains(needle.as_str()) {
                    found.push(format!("{what} in {}: {line}", service.log.display()));
                }
            }
        }
    }
    let spans = otlp.spans();
    for span in &spans {
        let text = span_text(span);
        for (needle, what) in &needles {
            if text.contains(needle.as_str()) {
                found.push(format!("{what} in a span of {} ({}): {text}", span.service, span.name));
            }
        }
    }
    for status in &refusals {
        let text = format!("{} {:?}", status.message(), status.details());
        for (needle, what) in &needles {
            if text.contains(needle.as_str()) {
                found.push(format!("{what} in an error message: {}", status.message()));
            }
        }
    }
    eprintln!(
        "scanned {lines} log lines, {} spans, {} error messages",
        spans.len(),
        refusals.len()
    );
    for status in &refusals {
        eprintln!("refusal: {:?} {}", status.code(), status.message());
    }
    assert!(
        lines > 10 && spans.len() > 10,
        "too little was scanned to mean anything"
    );
    assert!(found.is_empty(), "leaks:\n{}", found.join("\n"));
}
