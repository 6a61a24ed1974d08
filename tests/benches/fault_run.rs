//! The full fault run: the reference deployment (`deploy/kam-topology up --replicas 3`: three
//! `kam-server` replicas behind HAProxy, a PostgreSQL primary and its streaming standby behind
//! HAProxy's database port) under the mixed load of [`kam_tests::fault_load`], sent through HAProxy
//! (127.0.0.1:50100), while these faults are made in turn, each after a phase of load:
//!
//! 1. `kill-replica 1`: `kill -9` of replica 1 (which holds the SLA monitor's lease: it started first);
//! 2. `start-replica 1`: started again;
//! 3. `restart-primary`: `pg_ctl restart -m fast` of the primary;
//! 4. `promote`: the primary fenced and stopped, the standby promoted, HAProxy switched to it. The
//!    replicas are not told: they must recover by themselves.
//!
//! It prints, per fault, the calls that failed before their retry, those that failed after it, and the
//! time from the fault to the last failed attempt (time to recover); for the whole run the throughput,
//! and what [`kam_tests::fault_load::Checks`] found: acknowledged writes lost, writes applied twice,
//! SLA transitions recorded more than once, events the `WatchEvents` consumer missed or received twice,
//! resources the `ListChanges` followers hold stale. Each of those must be 0; the run exits with an
//! error otherwise.
//!
//! `KAM_FAULT_RUN=scaling` measures instead, without faults, the same load over 1, 2 and 3 replicas
//! (a fresh topology each): throughput, and the CPU time per call of the replicas and of the PostgreSQL
//! processes (primary and standby), read from `/proc/<pid>/stat` before and after each phase.
//!
//! The clients retry as `kamctl` does: a call that broke (UNAVAILABLE, a transport error, ABORTED for
//! contention) again after a backoff of 50 ms doubling to 800 ms, for up to 60 s. Through HAProxy the
//! retry goes to the same address, which routes it to a replica that is up.
//!
//! Never run by CI. It takes about two minutes (the topology, five phases, the consumers catching up),
//! and needs what `deploy/kam-topology` needs (docs/deployment.md): the PostgreSQL 15 server binaries,
//! haproxy, socat, curl, psql, and a built server, `target/release/kam-server` or else
//! `target/debug/kam-server`. The topology's ports must be free; it is brought down at the end, also
//! after a failure (its state and logs stay in `target/topology`).
//!
//! ```text
//! cargo build -p kam-server
//! cargo bench -p kam-tests --bench fault_run --profile dev
//! KAM_FAULT_RUN=scaling cargo bench -p kam-tests --bench fault_run --profile dev
//! ```
//!
//! Environment:
//! - `KAM_FAULT_RUN`: `faults` (default) or `scaling`;
//! - `KAM_FAULT_RUN_PHASE_SECONDS`: load before each fault, and after the last (default 12; in
//!   scaling mode, the measured time per replica count);
//! - `KAM_FAULT_RUN_WRITERS`: clients of each writing kind (creates, updates, status walks; default 3);
//! - and those of `deploy/kam-topology` (`KAM_SERVER_BIN`, `KAM_TOPOLOGY_*`).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use kam_tests::{
    bench::{BoxError, describe_machine, env_or, load_average},
    fault_load::{Credential, FaultLoad, LoadShape, Outcome, Targets},
};

/// The replicas' configuration: no rate limit (one principal drives all the load), a short lease so
/// that the SLA monitor moves within a phase, a monitor that scans every second.
const REPLICA_CONFIG: &str = "[rate_limit]\nrequests_per_second = 0\n\n[jobs]\nlease_seconds = 3\n\n\
                              [sla]\nmonitor_interval_seconds = 1\n";

fn main() -> Result<(), BoxError> {
    let mode = std::env::var("KAM_FAULT_RUN").unwrap_or_else(|_| "faults".to_owned());
    let phase = Duration::from_secs(env_or("KAM_FAULT_RUN_PHASE_SECONDS", 12)?);
    let writers: usize = env_or("KAM_FAULT_RUN_WRITERS", 3)?;
    let shape = LoadShape {
        creators: writers,
        updaters: writers.max(2),
        walkers: writers,
        ..LoadShape::SMALL
    };
    println!("{}; load average {}", describe_machine(), load_average());
    println!("load: {shape:?}, phases of {} s", phase.as_secs());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match mode.as_str() {
        "faults" => runtime.block_on(fault_run(shape, phase)),
        "scaling" => runtime.block_on(scaling_run(shape, phase)),
        other => Err(format!("KAM_FAULT_RUN is faults or scaling, not {other}").into()),
    }
}

/// Three replicas, the four faults in turn, then the checks.
async fn fault_run(shape: LoadShape, phase: Duration) -> Result<(), BoxError> {
    let topology = Topology::up(3).await?;
    let load = FaultLoad::prepare(topology.targets()?, shape).await.start();
    let faults: [(&str, &[&str]); 4] = [
        ("kill -9 replica 1", &["kill-replica", "1"]),
        ("start replica 1 again", &["start-replica", "1"]),
        ("restart the primary (fast)", &["restart-primary"]),
        ("promote the standby", &["promote"]),
    ];
    for (name, command) in faults {
        tokio::time::sleep(phase).await;
        load.fault(name);
        let started = Instant::now();
        topology.run(command).await?;
        println!(
            "         ({} s for deploy/kam-topology {})",
            secs(started.elapsed()),
            command.join(" ")
        );
    }
    tokio::time::sleep(phase).await;
    let outcome = load.finish(&topology.database_url).await;
    topology.down().await?;
    print_outcome(&outcome);
    let failed = !outcome.checks.passed() || outcome.gave_up() > 0;
    if failed || !outcome.unexpected.is_empty() || !outcome.lagging.is_empty() {
        return Err("the fault run lost, doubled or failed something: see above".into());
    }
    Ok(())
}

fn print_outcome(outcome: &Outcome) {
    println!("\n{}", outcome.report());
    println!("failed attempts by call and code:");
    for ((rpc, code), count) in outcome.failures_by_kind() {
        println!("  {rpc} {code}: {count}");
    }
    for what in outcome
        .checks
        .lost
        .iter()
        .chain(&outcome.checks.applied_twice)
        .chain(&outcome.unexpected)
    {
        println!("  ! {what}");
    }
}

/// The same load without faults over 1, 2 and 3 replicas: throughput and CPU per call.
async fn scaling_run(shape: LoadShape, phase: Duration) -> Result<(), BoxError> {
    let mut rows = Vec::new();
    for replicas in 1..=3 {
        let topology = Topology::up(replicas).await?;
        let load = FaultLoad::prepare(topology.targets()?, shape).await.start();
        // Warm up: pools filled, the first plans cached.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (calls_before, cpu_before) = (load.journal().calls().len(), topology.cpu()?);
        let started = Instant::now();
        tokio::time::sleep(phase).await;
        let (calls, cpu) = (load.journal().calls().len() - calls_before, topology.cpu()?);
        let elapsed = started.elapsed();
        let outcome = load.finish(&topology.database_url).await;
        topology.down().await?;
        let per_call = |before: Duration, after: Duration| (after - before).as_micros() as f64 / calls as f64;
        rows.push(format!(
            "| {replicas} | {:.0} | {:.0} | {:.0} | {:.0} | {} |",
            calls as f64 / elapsed.as_secs_f64(),
            per_call(cpu_before.replicas, cpu.replicas),
            per_call(cpu_before.postgres, cpu.postgres),
            per_call(
                cpu_before.replicas + cpu_before.postgres,
                cpu.replicas + cpu.postgres
            ),
            if outcome.checks.passed() { "pass" } else { "FAIL" },
        ));
    }
    println!(
        "\n| replicas | calls/s | replica CPU µs/call | PostgreSQL CPU µs/call | together µs/call | checks |"
    );
    println!("|---:|---:|---:|---:|---:|---|");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}

fn secs(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64())
}

/// CPU time spent so far (user and system, also that of reaped children).
#[derive(Clone, Copy)]
struct Cpu {
    replicas: Duration,
    postgres: Duration,
}

/// A topology brought up by `deploy/kam-topology`; brought down when dropped, also after a failure.
struct Topology {
    script: PathBuf,
    /// The replicas' configuration file, in the environment of every command (`KAM_CONFIG`).
    config: tempfile::NamedTempFile,
    addr: String,
    key_file: PathBuf,
    database_url: String,
    state: PathBuf,
    down: bool,
}

impl Topology {
    async fn up(replicas: usize) -> Result<Self, BoxError> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/kam-topology");
        let config = tempfile::NamedTempFile::new()?;
        std::fs::write(config.path(), REPLICA_CONFIG)?;
        let mut topology = Self {
            script,
            config,
            addr: String::new(),
            key_file: PathBuf::new(),
            database_url: String::new(),
            state: PathBuf::new(),
            down: false,
        };
        let started = Instant::now();
        topology.run(&["up", "--replicas", &replicas.to_string()]).await?;
        println!(
            "topology up with {replicas} replica(s) in {} s",
            secs(started.elapsed())
        );
        let env = topology.env()?;
        let get = |name: &str| env.get(name).cloned().ok_or(format!("`env` printed no {name}"));
        topology.addr = get("KAM_ADDR")?;
        topology.key_file = get("KAM_API_KEY_FILE")?.into();
        topology.database_url = get("KAM_DATABASE_URL")?;
        topology.state = topology
            .key_file
            .parent()
            .ok_or("the key's directory")?
            .to_owned();
        Ok(topology)
    }

    /// HAProxy: the one address of every call.
    fn targets(&self) -> Result<Targets, BoxError> {
        let key = std::fs::read_to_string(&self.key_file)?;
        Ok(Targets::new(
            &[("haproxy".to_owned(), self.addr.clone())],
            Credential::bearer(&key),
        ))
    }

    /// Runs `deploy/kam-topology ARGS…` to its end, off the runtime's threads; fails with its output.
    async fn run(&self, args: &[&str]) -> Result<(), BoxError> {
        let mut command = self.command(args);
        let output = tokio::task::spawn_blocking(move || command.output()).await??;
        if !output.status.success() {
            return Err(format!(
                "deploy/kam-topology {}: {}\n{}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        Ok(())
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.script);
        command.args(args).env("KAM_CONFIG", self.config.path());
        command
    }

    /// The `export NAME=value` lines of `env`.
    fn env(&self) -> Result<HashMap<String, String>, BoxError> {
        let output = self.command(&["env"]).output()?;
        let text = String::from_utf8(output.stdout)?;
        Ok(text
            .lines()
            .filter_map(|line| line.strip_prefix("export ")?.split_once('='))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect())
    }

    async fn down(mut self) -> Result<(), BoxError> {
        self.down = true;
        self.run(&["down"]).await
    }

    /// The CPU time of the replicas (by their pid files) and of every process of the two PostgreSQL
    /// servers (their command lines name the cluster: `postgres: pg1: …`).
    fn cpu(&self) -> Result<Cpu, BoxError> {
        let mut cpu = Cpu {
            replicas: Duration::ZERO,
            postgres: Duration::ZERO,
        };
        for entry in std::fs::read_dir(self.state.join("replicas"))? {
            let pid = std::fs::read_to_string(entry?.path().join("pid")).unwrap_or_default();
            if let Ok(pid) = pid.trim().parse::<u32>() {
                cpu.replicas += process_cpu(pid).unwrap_or_default();
            }
        }
        let data_dirs = [self.state.join("pg/pg1"), self.state.join("pg/pg2")];
        for entry in std::fs::read_dir("/proc")? {
            let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let ours = cmdline.starts_with("postgres: pg1: ")
                || cmdline.starts_with("postgres: pg2: ")
                || data_dirs
                    .iter()
                    .any(|dir| cmdline.contains(&*dir.to_string_lossy()));
            if ours {
                cpu.postgres += process_cpu(pid).unwrap_or_default();
            }
        }
        Ok(cpu)
    }
}

/// utime + stime + cutime + cstime of `pid` (fields 14 to 17 of `/proc/<pid>/stat`), at 100 ticks a
/// second (what Linux reports to user space whatever its own tick rate).
fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after it follow its closing parenthesis.
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields
        .get(11..15)?
        .iter()
        .filter_map(|field| field.parse::<u64>().ok())
        .sum();
    Some(Duration::from_millis(ticks * 10))
}

impl Drop for Topology {
    fn drop(&mut self) {
        if !self.down {
            let _ = self.command(&["down"]).status();
        }
    }
}
