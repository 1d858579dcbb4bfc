//! PostgreSQL least privilege, set up by the deployment's own script (`deploy/postgres/init.sh`):
//! one role per service, owner of its database and of nothing else, without superuser or
//! createdb; no one else may connect to that database. The service still migrates and works
//! under its role.

use std::{process::Command, str::FromStr as _, time::Duration};

use ess_proto::registry::v1::{
    CreatePartnerRequest, ListPartnersRequest, partner_registry_client::PartnerRegistryClient,
};
use platform::testing::{TestStream, admin_database_url, init_test_logging, nats_url};
use sqlx::{
    Connection as _, PgConnection,
    postgres::{PgConnectOptions, PgDatabaseError},
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::support::{admin_channel, common};

const SERVICES: [&str; 3] = ["registry", "activities", "observatory"];

/// The three roles and databases init.sh made under a unique prefix; dropped on drop.
struct Provisioned {
    prefix: String,
    passwords: Vec<(String, String)>,
}

impl Provisioned {
    fn run_init(&self) {
        let admin = PgConnectOptions::from_str(&admin_database_url()).unwrap();
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/postgres/init.sh");
        let mut command = Command::new("bash");
        command
            .arg(&script)
            .env("ESS_DB_PREFIX", &self.prefix)
            .env("PGHOST", admin.get_host())
            .env("PGPORT", admin.get_port().to_string())
            .env("POSTGRES_USER", admin.get_username())
            .env("POSTGRES_DB", admin.get_database().unwrap_or("postgres"));
        for (var, password) in &self.passwords {
            command.env(var, password);
        }
        let out = command.output().expect("run deploy/postgres/init.sh");
        assert!(
            out.status.success(),
            "init.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn name(&self, service: &str) -> String {
        format!("{}_{service}", self.prefix)
    }

    fn password(&self, service: &str) -> &str {
        let var = format!("ESS_{}_DB_PASSWORD", service.to_uppercase());
        &self.passwords.iter().find(|(v, _)| *v == var).unwrap().1
    }

    /// URL of `database` for `service`'s role.
    fn url(&self, service: &str, database: &str) -> String {
        let admin = PgConnectOptions::from_str(&admin_database_url()).unwrap();
        format!(
            "postgres://{}:{}@{}:{}/{}",
            self.name(service),
            self.password(service),
            admin.get_host(),
            admin.get_port(),
            self.name(database)
        )
    }
}

impl Drop for Provisioned {
    fn drop(&mut self) {
        let names: Vec<String> = SERVICES.iter().map(|s| self.name(s)).collect();
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(async move {
                let mut conn = PgConnection::connect(&admin_database_url()).await?;
                for name in names {
                    // Names are ours (a uuid prefix), never input.
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await?;
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP ROLE IF EXISTS \"{name}\"")))
                        .execute(&mut conn)
                        .await?;
                }
                anyhow::Ok(())
            })
        });
        if let Ok(Err(e)) = handle.join() {
            eprintln!("cleanup of the provisioned roles failed: {e:#}");
        }
    }
}

fn sqlstate(err: &sqlx::Error) -> Option<String> {
    err.as_database_error()
        .and_then(|e| e.try_downcast_ref::<PgDatabaseError>())
        .map(|e| e.code().to_owned())
}

#[tokio::test]
async fn each_service_role_reaches_only_its_own_database_and_the_service_works_under_it() {
    init_test_logging();
    let provisioned = Provisioned {
        prefix: format!("ess_t_{}", Uuid::now_v7().simple()),
        passwords: SERVICES
            .iter()
            .map(|s| {
                (
                    format!("ESS_{}_DB_PASSWORD", s.to_uppercase()),
                    Uuid::new_v4().simple().to_string(),
                )
            })
            .collect(),
    };
    provisioned.run_init();

    for service in SERVICES {
        // Its own database: yes.
        let mut own = PgConnection::connect(&provisioned.url(service, service))
            .await
            .unwrap_or_else(|e| panic!("{service} connects to its own database: {e}"));
        let (superuser, createdb, createrole): (bool, bool, bool) =
            sqlx::query_as("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user")
                .fetch_one(&mut own)
                .await
                .unwrap();
        assert_eq!((superuser, createdb, createrole), (false, false, false), "{service}");
        let err = sqlx::raw_sql("CREATE DATABASE ess_t_should_not_exist")
            .execute(&mut own)
            .await
            .unwrap_err();
        assert_eq!(
            sqlstate(&err).as_deref(),
            Some("42501"),
            "{service} creates a database: {err}"
        );

        // Any other service's database: no.
        for other in SERVICES.iter().filter(|o| **o != service) {
            let err = PgConnection::connect(&provisioned.url(service, other))
                .await
                .err()
                .unwrap_or_else(|| panic!("the {service} role connects to the {other} database"));
            assert_eq!(sqlstate(&err).as_deref(), Some("42501"), "{service} → {other}: {err}");
            assert!(err.to_string().contains("permission denied for database"), "{err}");
        }
    }

    // The registry runs as its role: its migrations (pg_trgm included) and writes work.
    let stream = TestStream::new(&nats_url());
    let common = common(
        provisioned.url("registry", "registry"),
        stream.nats.clone(),
        Default::default(),
    );
    let app = registry::App::build(&registry::Config {
        common,
        grpc_addr: "127.0.0.1:0".parse().unwrap(),
    })
    .await
    .expect("the registry migrates its database under its own role");
    let addr = app.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(app.run(shutdown.clone()));
    let mut partners = PartnerRegistryClient::new(admin_channel(format!("http://{addr}")).await);
    partners
        .create_partner(CreatePartnerRequest {
            name: "Coopérative d'essai".into(),
            siret: "73282932000074".into(),
            commune_code: "14118".into(),
            postal_code: "14000".into(),
            ..Default::default()
        })
        .await
        .expect("the registry writes under its own role");
    // A text search works under the role: it reads the word statistics (`pg_stats`, after an
    // ANALYZE) and calls `partners_matching`.
    let mut own = PgConnection::connect(&provisioned.url("registry", "registry"))
        .await
        .unwrap();
    sqlx::raw_sql("ANALYZE partners").execute(&mut own).await.unwrap();
    let found = partners
        .list_partners(ListPartnersRequest {
            query: "essai".into(),
            ..Default::default()
        })
        .await
        .expect("the registry searches under its own role")
        .into_inner()
        .partners;
    assert_eq!(found.len(), 1);
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(15), running).await;

    // Running the script again (a restart of the deployment) keeps everything working.
    provisioned.run_init();
    let mut own = PgConnection::connect(&provisioned.url("registry", "registry"))
        .await
        .unwrap();
    let partners: i64 = sqlx::query_scalar("SELECT count(*) FROM partners")
        .fetch_one(&mut own)
        .await
        .unwrap();
    assert_eq!(partners, 1);
}
