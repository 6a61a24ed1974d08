//! Reports read from a streaming standby (`database_read_url`) while it keeps up, and from the
//! primary once it lags more than `database_read_max_lag`; gets after writes and the change feed always
//! read the primary.
//!
//! The test makes a primary and a standby of its own ([`ScratchPostgres`], the standby with
//! `pg_basebackup`), and makes the standby lag by pausing its replay (`pg_wal_replay_pause()`): an
//! account created then is on the primary only, so whether a report shows it tells where the report
//! read. Without the PostgreSQL server binaries it says so and passes (CI requires them).

use std::time::{Duration, Instant};

use kam_proto::v1::SyncResource;
use kam_tests::{Backend, TestServer, changes, pb, scratch_postgres::ScratchPostgres};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// `database_read_max_lag`: long enough that a report made right after a write still finds the paused
/// standby fresh on a slow machine, short enough for the test to wait it out.
const MAX_LAG: Duration = Duration::from_secs(10);
/// The server probes the lag a few times per `MAX_LAG`, at most once a second.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// How long the test waits for what must come.
const PATIENCE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reports_read_the_standby_while_it_keeps_up_and_the_primary_once_it_lags() {
    let Some(primary) = ScratchPostgres::create() else {
        return;
    };
    let Some(standby) = ScratchPostgres::create() else {
        return;
    };
    primary.start(
        &[],
        "host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust",
    );
    primary.create_database("kam");
    standby.start_standby_of(&primary);
    let standby_url = standby.url("kam", "");
    let server = TestServer::start_at(Backend::Postgres, primary.url("kam", ""), |config| {
        config.database_read_url = Some(standby_url.clone());
        config.database_read_max_lag = MAX_LAG;
    })
    .await;
    let primary_db = server.db().await;
    let standby_db = Database::connect(standby_url.as_str())
        .await
        .expect("connect to the standby");
    let (_, feed_start) = changes::sync_all(server.channel(), SyncResource::Accounts, "", 100).await;

    // Caught up: what was written before is in reports.
    let before = server.create_account("Before the pause").await;
    wait_until_caught_up(&primary_db, &standby_db).await;
    tokio::time::sleep(2 * PROBE_INTERVAL).await;
    assert!(report_names(&server).await.contains(&before.display_name));

    // The standby stops replaying: an account created now is on the primary only.
    pause_replay(&standby_db, true).await;
    let written_at = Instant::now();
    let unreplayed = server.create_account("Not yet replayed").await;
    assert!(
        !report_names(&server).await.contains(&unreplayed.display_name),
        "a report made within database_read_max_lag of the write reads the standby"
    );
    let got = server
        .accounts()
        .get_account(pb::GetAccountRequest {
            id: unreplayed.id.clone(),
        })
        .await
        .expect("a get after the write reads the primary")
        .into_inner();
    assert_eq!(got.display_name, unreplayed.display_name);
    changes::sync_until(
        server.channel(),
        SyncResource::Accounts,
        &feed_start,
        100,
        |seen| seen.iter().any(|change| change.id == unreplayed.id),
    )
    .await;

    // Once the lag passes the bound, reports read the primary, while the standby is still paused.
    wait_for_report_to_show(&server, &unreplayed.display_name).await;
    let waited = written_at.elapsed();
    assert!(
        waited + 2 * PROBE_INTERVAL >= MAX_LAG,
        "the report showed the unreplayed account after {waited:?}, before the lag could pass \
         {MAX_LAG:?}: was the standby paused?"
    );
    assert_eq!(
        accounts_named(&standby_db, &unreplayed.display_name).await,
        0,
        "the standby is still behind: the report read the primary"
    );

    // Replay resumes and catches up: reports read the standby again.
    pause_replay(&standby_db, false).await;
    wait_until_caught_up(&primary_db, &standby_db).await;
    tokio::time::sleep(2 * PROBE_INTERVAL).await;
    pause_replay(&standby_db, true).await;
    let paused_again = server.create_account("Paused again").await;
    assert!(
        !report_names(&server).await.contains(&paused_again.display_name),
        "a standby that caught up again is read again"
    );
    pause_replay(&standby_db, false).await;
    server.stop().await;
}

/// The names in the coverage report of STANDARD accounts (every new account's tier).
async fn report_names(server: &TestServer) -> Vec<String> {
    server
        .teams()
        .get_coverage_report(pb::GetCoverageReportRequest {
            tiers: vec![pb::Tier::Standard as i32],
            ..Default::default()
        })
        .await
        .expect("the coverage report")
        .into_inner()
        .accounts
        .into_iter()
        .map(|account| account.account_display_name)
        .collect()
}

async fn wait_for_report_to_show(server: &TestServer, name: &str) {
    let deadline = Instant::now() + PATIENCE;
    while !report_names(server).await.iter().any(|shown| shown == name) {
        assert!(Instant::now() < deadline, "the report never showed {name}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the standby has replayed everything the primary has written so far.
async fn wait_until_caught_up(primary: &DatabaseConnection, standby: &DatabaseConnection) {
    let target = lsn(primary, "SELECT pg_current_wal_lsn()::text").await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let replayed = lsn(standby, "SELECT pg_last_wal_replay_lsn()::text").await;
        if replayed >= target {
            return;
        }
        assert!(Instant::now() < deadline, "the standby never caught up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A WAL position (`X/Y`) as a number, so that positions compare.
async fn lsn(db: &DatabaseConnection, sql: &str) -> u64 {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("read a WAL position")
        .expect("one row");
    let text: String = row.try_get_by_index(0).expect("a WAL position");
    let (high, low) = text.split_once('/').expect("X/Y");
    (u64::from_str_radix(high, 16).unwrap() << 32) | u64::from_str_radix(low, 16).unwrap()
}

async fn pause_replay(standby: &DatabaseConnection, pause: bool) {
    let sql = match pause {
        true => "SELECT pg_wal_replay_pause()",
        false => "SELECT pg_wal_replay_resume()",
    };
    standby
        .execute_unprepared(sql)
        .await
        .expect("pause or resume the replay");
}

async fn accounts_named(db: &DatabaseConnection, name: &str) -> i64 {
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT count(*) FROM accounts WHERE display_name = $1",
            [name.into()],
        ))
        .await
        .expect("count on the standby")
        .expect("one row");
    row.try_get_by_index(0).expect("a count")
}
