//! A PostgreSQL server of the test's own (initdb in a temporary directory, a free port), so that
//! a test can restart the database under a running service. Runs as the `postgres` system user
//! when the tests run as root (PostgreSQL refuses to run as root).

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use platform::testing::{free_port, poll_until};

/// Where Debian puts the server binaries.
fn pg_bin(tool: &str) -> PathBuf {
    let dir = std::env::var("PG_BIN_DIR").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".into());
    Path::new(&dir).join(tool)
}

pub struct PrivatePostgres {
    pub port: u16,
    dir: tempfile::TempDir,
}

fn as_postgres(cmd: &Path, args: &[&str]) -> std::process::Output {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let mut c = if is_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(cmd);
        c
    } else {
        Command::new(cmd)
    };
    c.args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e} (PG_BIN_DIR)", cmd.display()))
}

impl PrivatePostgres {
    pub async fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ess-pg-")
            .tempdir()
            .expect("temporary directory");
        let _ = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status();
        let data = dir.path().join("data");
        let out = as_postgres(
            &pg_bin("initdb"),
            &[
                "-D",
                &data.to_string_lossy(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pg = Self { port: free_port(), dir };
        pg.pg_ctl(&["start", "-w", "-t", "30"]);
        pg.wait_ready().await;
        pg
    }

    fn pg_ctl(&self, action: &[&str]) {
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("server.log");
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let mut args = vec![
            "-D",
            data.to_str().expect("utf-8 path"),
            "-l",
            log.to_str().expect("utf-8 path"),
            "-o",
            &opts,
        ];
        args.extend_from_slice(action);
        let out = as_postgres(&pg_bin("pg_ctl"), &args);
        assert!(
            out.status.success(),
            "pg_ctl {action:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    async fn wait_ready(&self) {
        let url = self.url("postgres");
        poll_until(
            Duration::from_secs(30),
            "the private PostgreSQL to accept connections",
            || {
                let url = url.clone();
                async move {
                    use sqlx::Connection as _;
                    sqlx::PgConnection::connect(&url).await.ok().map(|_| ())
                }
            },
        )
        .await;
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a database on this server and returns its URL.
    pub async fn create_database(&self, name: &str) -> String {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .expect("connect");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("create database");
        self.url(name)
    }

    /// Stops the server the hard way (`immediate`: like a crash, no checkpoint).
    pub fn crash(&self) {
        self.pg_ctl(&["stop", "-m", "immediate", "-w"]);
    }

    /// Starts the server again after [`PrivatePostgres::crash`], and waits until it answers.
    pub async fn restart(&self) {
        self.pg_ctl(&["start", "-w", "-t", "30"]);
        self.wait_ready().await;
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = as_postgres(
            &pg_bin("pg_ctl"),
            &["-D", &data.to_string_lossy(), "stop", "-m", "immediate"],
        );
    }
}
