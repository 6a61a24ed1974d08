//! The reports broken down by segment beside the same reports ungrouped, over a million opportunities.
//!
//! Per backend — SQLite (a file in a temporary directory) and, when `KAM_TEST_POSTGRES_URL` is set,
//! PostgreSQL (a fresh database `kam_bench_<uuid>`, dropped afterwards) — this:
//! 1. starts the real KAM server in-process (it migrates and writes the first ADMIN key);
//! 2. creates, through SegmentService, a three-level industry tree below the seeded sections C, G and K
//!    (3 industries below each, 3 below each of those: 39 with the sections) and a two-level region
//!    tree (3 sales regions of 3 countries each);
//! 3. writes `KAM_BENCH_OPPORTUNITIES` opportunities with their accounts, owners and stage history
//!    ([`kam_tests::generator`]) and, for `KAM_BENCH_REVENUE_ACCOUNTS` more accounts,
//!    `KAM_BENCH_MONTHS` months of revenue each ([`kam_tests::revenue_generator`]);
//! 4. classifies every account straight in the database (the write path classifies one account per
//!    call): of every 20 accounts, 2 are left unclassified with one of five free texts naming no
//!    segment, 3 sit on a depth-2 industry, 15 on a depth-3 one; each gets one of the 9 countries, or
//!    (1 in 10) none; then runs `ANALYZE` (on PostgreSQL `VACUUM ANALYZE`);
//! 5. starts the server again and times, one call at a time as the ADMIN, after one warm-up,
//!    `KAM_BENCH_RUNS` calls of each report: GetFunnelSummary and GetForecast (default pipeline, no
//!    range), GetRevenueReport (the last 12 months) and GetSlaComplianceReport (the last 90 days; the
//!    dataset has no service requests, so this times the query shape over an empty table), each
//!    ungrouped, grouped by industry at depth 0 and rolled up to depth 1, and grouped by region at
//!    depth 1. Every grouped answer's totals are checked against the ungrouped answer.
//!
//! It prints the generation time and one table: per backend, report and grouping the number of
//! segments returned, the median and max latency, and the median's ratio to the ungrouped median (the
//! target on PostgreSQL: at most 1.5).
//!
//! Run (the full size takes several minutes per backend; try a small one first):
//!
//! ```text
//! KAM_BENCH_OPPORTUNITIES=20000 KAM_BENCH_REVENUE_ACCOUNTS=2000 cargo bench -p kam-tests --bench segment_analytics
//! KAM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p kam-tests --bench segment_analytics
//! ```
//!
//! Environment:
//! - `KAM_BENCH_OPPORTUNITIES`: opportunities to generate (default 1000000);
//! - `KAM_BENCH_REVENUE_ACCOUNTS`: accounts with revenue records (default 20000), `KAM_BENCH_MONTHS`
//!   months of records each (default 24);
//! - `KAM_BENCH_RUNS`: timed calls per report and grouping, after one warm-up (default 5);
//! - `KAM_BENCH_SEED`: the generators' seed (default 1);
//! - `KAM_BENCH_BACKENDS`: which backends to run, comma-separated (default `sqlite,postgres`);
//! - `KAM_BENCH_KEEP=1`: keep the SQLite directory and the PostgreSQL database to look into afterwards;
//! - `KAM_TEST_POSTGRES_URL`: a PostgreSQL URL whose user may create databases; unset skips PostgreSQL.

use std::time::{Duration, Instant};

use kam_proto::v1::{
    self as pb, opportunity_service_client::OpportunityServiceClient,
    planning_service_client::PlanningServiceClient, segment_grouping::Kind,
    segment_service_client::SegmentServiceClient, service_level_service_client::ServiceLevelServiceClient,
};
use kam_tests::{
    Bearer,
    bench::{
        Backend, BenchDatabase, BoxError, backends_from_env, connect_for_writing, describe_machine, endpoint,
        env_or, load_average, median, millis, on_fresh_database, start_kam_server,
    },
    generator::{GeneratorConfig, generate},
    pbjson_types::Timestamp,
    revenue_generator::{RevenueGeneratorConfig, generate_revenue},
};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};
use tokio::runtime::Handle;
use tonic::{service::interceptor::InterceptedService, transport::Channel};
use uuid::Uuid;

type Authed = InterceptedService<Channel, Bearer>;

/// Grouped at most this many times the ungrouped median, on PostgreSQL.
const TARGET_RATIO: f64 = 1.5;
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);
/// The server's own limit per call, raised so that a slow query is measured rather than cut off.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// Free texts of the unclassified accounts: no segment has these names.
const FREE_TEXTS: [&str; 5] = ["Shipping", "Freelance", "Holding", "Nonprofit", "Unknown trade"];
const SECTIONS: [&str; 3] = ["C", "G", "K"];

fn main() -> Result<(), BoxError> {
    let settings = Settings::from_env()?;
    println!("{}", settings.describe());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let rows = runtime.block_on(bench(&settings))?;
    report(&rows);
    Ok(())
}

struct Settings {
    opportunities: usize,
    revenue_accounts: usize,
    months: usize,
    runs: usize,
    seed: u64,
    backends: Vec<Backend>,
    keep: bool,
}

impl Settings {
    fn from_env() -> Result<Self, BoxError> {
        let settings = Self {
            opportunities: env_or("KAM_BENCH_OPPORTUNITIES", 1_000_000)?,
            revenue_accounts: env_or("KAM_BENCH_REVENUE_ACCOUNTS", 20_000)?,
            months: env_or("KAM_BENCH_MONTHS", 24)?,
            runs: env_or("KAM_BENCH_RUNS", 5)?,
            seed: env_or("KAM_BENCH_SEED", 1)?,
            backends: backends_from_env()?,
            keep: env_or("KAM_BENCH_KEEP", 0u8)? != 0,
        };
        if settings.opportunities == 0 || settings.runs == 0 {
            return Err("KAM_BENCH_OPPORTUNITIES and KAM_BENCH_RUNS must be > 0".into());
        }
        Ok(settings)
    }

    fn describe(&self) -> String {
        format!(
            "{}\ndata: {} opportunities, {} accounts with {} months of revenue (seed {}); {} timed calls \
             per report and grouping after 1 warm-up",
            describe_machine(),
            self.opportunities,
            self.revenue_accounts,
            self.months,
            self.seed,
            self.runs,
        )
    }
}

/// One row of the result table.
struct Measurement {
    backend: Backend,
    report: &'static str,
    grouping: &'static str,
    segments: usize,
    /// Sorted.
    times: Vec<Duration>,
    /// The ungrouped median of the same report.
    baseline: Duration,
}

async fn bench(settings: &Settings) -> Result<Vec<Measurement>, BoxError> {
    let mut rows = Vec::new();
    for &backend in &settings.backends {
        let run = async |target: &BenchDatabase| bench_backend(target, settings).await;
        if let Some(measured) = on_fresh_database(backend, settings.keep, run).await? {
            rows.extend(measured);
        }
    }
    Ok(rows)
}

async fn bench_backend(target: &BenchDatabase, settings: &Settings) -> Result<Vec<Measurement>, BoxError> {
    let backend = target.backend;
    let key_file = target.dir.join("kam-admin.key");
    let runtime = Handle::current();
    let start_server = || {
        start_kam_server(&runtime, &target.url, &key_file, STARTUP_TIMEOUT, |config| {
            config.request_timeout = REQUEST_TIMEOUT;
        })
    };
    eprintln!("{}: migrating, creating segments…", backend.name());
    let server = start_server().await?;
    let channel = authed(server.addr, &key_file).await?;
    let (depth2, depth3, countries) = create_segments(&channel).await?;
    server.stop().await?;

    let db = connect_for_writing(backend, &target.url).await?;
    eprintln!(
        "{}: generating {} opportunities…",
        backend.name(),
        settings.opportunities
    );
    let started = Instant::now();
    let generated = generate(&db, &GeneratorConfig::new(settings.opportunities, settings.seed)).await?;
    let revenue = if settings.revenue_accounts > 0 {
        let config = RevenueGeneratorConfig::new(settings.revenue_accounts, settings.months, settings.seed);
        Some(generate_revenue(&db, &config).await?)
    } else {
        None
    };
    let classified = classify(&db, &depth2, &depth3, &countries).await?;
    let maintenance = match backend {
        Backend::Sqlite => "ANALYZE",
        Backend::Postgres => "VACUUM ANALYZE",
    };
    db.execute_unprepared(maintenance).await?;
    if backend == Backend::Sqlite {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    println!(
        "{}: generated in {:.1} s: {generated:?}; revenue {revenue:?}; {classified} accounts classified",
        backend.name(),
        started.elapsed().as_secs_f64()
    );
    db.close().await?;

    let server = start_server().await?;
    let load_before = load_average();
    let channel = authed(server.addr, &key_file).await?;
    let outcome = measure(backend, &channel, settings).await;
    println!(
        "{}: load average {load_before} before, {} after",
        backend.name(),
        load_average()
    );
    server.stop().await?;
    outcome
}

async fn authed(addr: std::net::SocketAddr, key_file: &std::path::Path) -> Result<Authed, BoxError> {
    let admin_key = std::fs::read_to_string(key_file)?;
    let channel = endpoint(addr)?.connect().await?;
    Ok(InterceptedService::new(channel, Bearer::new(admin_key.trim())))
}

/// The industry tree below the seeded sections and the region tree: (depth-2 industries, depth-3
/// industries, countries).
async fn create_segments(channel: &Authed) -> Result<(Vec<String>, Vec<String>, Vec<String>), BoxError> {
    let mut client = SegmentServiceClient::new(channel.clone());
    let (mut depth2, mut depth3, mut countries) = (Vec::new(), Vec::new(), Vec::new());
    for section in SECTIONS {
        for i in 1..=3 {
            let middle = format!("{section}{i}0");
            client
                .create_industry(pb::CreateIndustryRequest {
                    industry: Some(pb::Industry {
                        code: middle.clone(),
                        parent_code: section.to_owned(),
                        name: format!("Bench industry {middle}"),
                        ..Default::default()
                    }),
                })
                .await?;
            for j in 1..=3 {
                let leaf = format!("{middle}.{j}");
                client
                    .create_industry(pb::CreateIndustryRequest {
                        industry: Some(pb::Industry {
                            code: leaf.clone(),
                            parent_code: middle.clone(),
                            name: format!("Bench industry {leaf}"),
                            ..Default::default()
                        }),
                    })
                    .await?;
                depth3.push(leaf);
            }
            depth2.push(middle);
        }
    }
    for area in ["EMEA", "APAC", "AMER"] {
        client
            .create_region(pb::CreateRegionRequest {
                region: Some(pb::Region {
                    code: area.to_owned(),
                    name: format!("Bench region {area}"),
                    ..Default::default()
                }),
            })
            .await?;
        for i in 1..=3 {
            let country = format!("{area}-{i}");
            client
                .create_region(pb::CreateRegionRequest {
                    region: Some(pb::Region {
                        code: country.clone(),
                        parent_code: area.to_owned(),
                        name: format!("Bench country {country}"),
                        ..Default::default()
                    }),
                })
                .await?;
            countries.push(country);
        }
    }
    Ok((depth2, depth3, countries))
}

/// Gives every account its segments (see the module comment), in one UPDATE per segment pair and
/// chunk of ids; returns how many accounts got an industry.
async fn classify(
    db: &DatabaseConnection,
    depth2: &[String],
    depth3: &[String],
    countries: &[String],
) -> Result<usize, BoxError> {
    let backend = db.get_database_backend();
    let ids: Vec<Uuid> = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id FROM accounts ORDER BY id",
        ))
        .await?
        .iter()
        .map(|row| row.try_get_by_index(0))
        .collect::<Result<_, _>>()?;
    // (industry code or free text, region) -> accounts.
    let mut groups: std::collections::BTreeMap<(Option<String>, String, Option<String>), Vec<Uuid>> =
        Default::default();
    let mut classified = 0;
    for (n, id) in ids.iter().enumerate() {
        let slot = n % 20;
        let (code, text) = match slot {
            0 | 1 => (None, FREE_TEXTS[(n / 20) % FREE_TEXTS.len()].to_owned()),
            2..=4 => (
                Some(depth2[(n / 20 + slot) % depth2.len()].clone()),
                String::new(),
            ),
            _ => (Some(depth3[(n / 7) % depth3.len()].clone()), String::new()),
        };
        classified += usize::from(code.is_some());
        let region = (n % 10 != 9).then(|| countries[(n / 3) % countries.len()].clone());
        groups.entry((code, text, region)).or_default().push(*id);
    }
    let placeholder = |i: usize| match backend {
        sea_orm::DatabaseBackend::Postgres => format!("${i}"),
        _ => format!("?{i}"),
    };
    for ((code, text, region), accounts) in groups {
        for chunk in accounts.chunks(500) {
            let ids: Vec<String> = (4..4 + chunk.len()).map(placeholder).collect();
            let sql = format!(
                "UPDATE accounts SET industry_code = {}, industry = {}, region_code = {}, region = '' \
                 WHERE id IN ({})",
                placeholder(1),
                placeholder(2),
                placeholder(3),
                ids.join(", ")
            );
            let mut values: Vec<Value> =
                vec![code.clone().into(), text.clone().into(), region.clone().into()];
            values.extend(chunk.iter().map(|id| Value::from(*id)));
            db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await?;
        }
    }
    Ok(classified)
}

const GROUPINGS: [(&str, Option<(Kind, i32)>); 4] = [
    ("ungrouped", None),
    ("industry, depth 0", Some((Kind::Industry, 0))),
    ("industry, depth 1", Some((Kind::Industry, 1))),
    ("region, depth 1", Some((Kind::Region, 1))),
];

/// A report's answer reduced to what the check compares: its totals (debug text) and its segments.
type Answer = (String, usize);

async fn call(
    channel: &Authed,
    report: &str,
    group_by: Option<pb::SegmentGrouping>,
) -> Result<Answer, BoxError> {
    let now = chrono_now();
    Ok(match report {
        "GetFunnelSummary" => {
            let r = OpportunityServiceClient::new(channel.clone())
                .max_decoding_message_size(64 << 20)
                .get_funnel_summary(pb::GetFunnelSummaryRequest {
                    filter: None,
                    group_by,
                })
                .await?
                .into_inner();
            (format!("{:?}", r.stages), r.segments.len())
        }
        "GetForecast" => {
            let r = OpportunityServiceClient::new(channel.clone())
                .max_decoding_message_size(64 << 20)
                .get_forecast(pb::GetForecastRequest {
                    filter: None,
                    group_by,
                })
                .await?
                .into_inner();
            (
                format!("{:?} {:?} {:?}", r.categories, r.weighted_pipeline, r.closed_won),
                r.segments.len(),
            )
        }
        "GetRevenueReport" => {
            let r = PlanningServiceClient::new(channel.clone())
                .get_revenue_report(pb::GetRevenueReportRequest {
                    group_by,
                    ..Default::default()
                })
                .await?
                .into_inner();
            (format!("{:?} {}", r.total, r.account_count), r.segments.len())
        }
        _ => {
            let r = ServiceLevelServiceClient::new(channel.clone())
                .get_sla_compliance_report(pb::GetSlaComplianceReportRequest {
                    start_time: Some(Timestamp {
                        seconds: now - 90 * 86_400,
                        nanos: 0,
                    }),
                    end_time: Some(Timestamp {
                        seconds: now,
                        nanos: 0,
                    }),
                    group_by,
                    ..Default::default()
                })
                .await?
                .into_inner();
            (format!("{:?} {:?}", r.rows, r.total), r.segments.len())
        }
    })
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

async fn measure(
    backend: Backend,
    channel: &Authed,
    settings: &Settings,
) -> Result<Vec<Measurement>, BoxError> {
    let mut rows = Vec::new();
    for report in [
        "GetFunnelSummary",
        "GetForecast",
        "GetRevenueReport",
        "GetSlaComplianceReport",
    ] {
        let mut baseline = (Duration::ZERO, String::new());
        for (grouping, group_by) in GROUPINGS {
            eprintln!("{}: {report} ({grouping})…", backend.name());
            let group_by = group_by.map(|(kind, rollup_depth)| pb::SegmentGrouping {
                kind: kind as i32,
                rollup_depth,
            });
            let mut times = Vec::with_capacity(settings.runs);
            let mut answer = (String::new(), 0);
            for run in 0..=settings.runs {
                let started = Instant::now();
                answer = call(channel, report, group_by).await?;
                if run > 0 {
                    times.push(started.elapsed());
                }
            }
            times.sort_unstable();
            if group_by.is_none() {
                baseline = (median(&times), answer.0.clone());
            } else if answer.0 != baseline.1 {
                return Err(
                    format!("{report} grouped by {grouping}: totals differ from the ungrouped call").into(),
                );
            }
            rows.push(Measurement {
                backend,
                report,
                grouping,
                segments: answer.1,
                times,
                baseline: baseline.0,
            });
        }
    }
    Ok(rows)
}

fn report(rows: &[Measurement]) {
    println!();
    println!("| backend | report | grouping | segments | median ms | max ms | × ungrouped | target |");
    println!("|---|---|---|---:|---:|---:|---:|---|");
    for row in rows {
        let median = median(&row.times);
        let ratio = millis(median) / millis(row.baseline).max(1e-9);
        let target = match (row.backend, row.grouping) {
            (_, "ungrouped") => "-",
            (Backend::Postgres, _) if ratio <= TARGET_RATIO => "holds",
            (Backend::Postgres, _) => "MISSED",
            _ => "-",
        };
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.1} | {:.2} | {target} |",
            row.backend.name(),
            row.report,
            row.grouping,
            row.segments,
            millis(median),
            millis(*row.times.last().unwrap_or(&Duration::ZERO)),
            ratio,
        );
    }
}
