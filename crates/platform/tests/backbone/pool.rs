//! The database pool under the backbone: a connection the server dropped while it sat idle is
//! replaced before it is handed out, not given to a request that would fail on it.

use std::time::Duration;

use platform::{
    db,
    secret::Secret,
    testing::{TestDatabase, admin_database_url},
};
use sqlx::{Connection as _, PgConnection};

#[tokio::test]
async fn a_connection_dropped_while_idle_is_replaced_before_use() {
    let database = TestDatabase::create("platform").await;
    // One connection: the next query can only run on the dropped one or on its replacement.
    let pool = db::connect(&Secret::new(database.url.clone()), 1).await.unwrap();
    let backend = |pool| async move {
        sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid()")
            .fetch_one(pool)
            .await
    };
    let first = backend(&pool).await.unwrap();

    let mut admin = PgConnection::connect(&admin_database_url()).await.unwrap();
    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1, 5000)")
        .bind(first)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert!(terminated);
    // Past the idle time after which a connection is checked before use.
    tokio::time::sleep(Duration::from_millis(1_200)).await;

    let second = backend(&pool).await.expect("the pool replaced the dropped connection");
    assert_ne!(second, first);
}
