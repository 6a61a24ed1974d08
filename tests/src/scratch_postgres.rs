//! A throwaway PostgreSQL cluster of a test's own, for what the shared server on
//! `KAM_TEST_POSTGRES_URL` must not be put through: restarts mid-load, `ssl = on` with certificates
//! the test makes, and a streaming standby of another scratch cluster.
//!
//! The cluster lives in a temporary directory, listens on 127.0.0.1 on a free port (and on a Unix socket
//! in that directory, never in `/var/run/postgresql`), trusts every local connection, and is stopped
//! (immediately) and deleted when dropped. PostgreSQL refuses to run as root, so as root (CI) the server
//! runs as the `postgres` user through `runuser`.
//!
//! [`ScratchPostgres::create`] returns `None`, after saying why on stderr, when the PostgreSQL server
//! binaries (`initdb`, `pg_ctl`) are not installed: on such a machine these tests cannot run. CI sets
//! `KAM_TEST_SCRATCH_POSTGRES=required`, and then a missing binary fails the test instead: a skipped
//! fault test there would be a silent loss of coverage.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
};

/// Where Debian and Ubuntu put the server binaries: `/usr/lib/postgresql/<major>/bin`.
const DEBIAN_BINARIES: &str = "/usr/lib/postgresql";

/// Set to `required`, a missing tool fails the test rather than skipping it (CI).
pub const REQUIRED_VAR: &str = "KAM_TEST_SCRATCH_POSTGRES";

/// Skips a test (returning `None` after saying why) or, when [`REQUIRED_VAR`] is `required`, fails it.
pub fn skip_or_fail<T>(why: &str) -> Option<T> {
    if std::env::var(REQUIRED_VAR).is_ok_and(|value| value == "required") {
        panic!("{why}, and {REQUIRED_VAR}=required");
    }
    eprintln!("skipping: {why}");
    None
}

/// The user the server runs as when the tests run as root.
const SERVER_USER: &str = "postgres";

pub struct ScratchPostgres {
    /// Holds the data directory, its log and any files the test put beside it (certificates).
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// Whether commands run as [`SERVER_USER`] (the tests run as root).
    as_server_user: bool,
}

impl ScratchPostgres {
    /// A cluster-to-be in a fresh temporary directory; [`ScratchPostgres::start`] creates and starts it.
    pub fn create() -> Option<Self> {
        let Some(bin) = server_binaries() else {
            return skip_or_fail(&format!(
                "the PostgreSQL server binaries (initdb, pg_ctl) are not installed (looked in $PATH \
                 and {DEBIAN_BINARIES}/*/bin)"
            ));
        };
        let dir = tempfile::Builder::new()
            .prefix("kam-scratch-pg-")
            .tempdir()
            .expect("create a temporary directory");
        Some(Self {
            dir,
            bin,
            port: free_port(),
            as_server_user: running_as_root(),
        })
    }

    /// Creates the cluster with `settings` appended to its `postgresql.conf` and `hba` as the TCP part of
    /// its `pg_hba.conf` (Unix-socket connections are always trusted), and starts it. Files the settings
    /// name (certificates) must be in [`ScratchPostgres::dir`] by now.
    pub fn start(&self, settings: &[String], hba: &str) {
        if self.as_server_user {
            chown_tree(self.dir.path());
        }
        self.run(
            "initdb",
            &[
                "-D",
                &self.data_dir(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let mut conf = vec![
            format!("port = {}", self.port),
            "listen_addresses = '127.0.0.1'".to_owned(),
            format!("unix_socket_directories = '{}'", self.dir.path().display()),
            // Durability is not what these tests are about; a clean or immediate stop of the server
            // process keeps the data the kernel has anyway.
            "fsync = off".to_owned(),
            "max_connections = 50".to_owned(),
        ];
        conf.extend(settings.iter().cloned());
        append(
            &Path::new(&self.data_dir()).join("postgresql.conf"),
            &conf.join("\n"),
        );
        std::fs::write(
            Path::new(&self.data_dir()).join("pg_hba.conf"),
            format!("local all all trust\n{hba}\n"),
        )
        .expect("write pg_hba.conf");
        self.pg_ctl(&["start", "-w", "-t", "60"]);
    }

    /// Makes this cluster a streaming hot standby of `primary` (whose `pg_hba.conf` must let
    /// `replication` connect from 127.0.0.1) with `pg_basebackup`, and starts it.
    pub fn start_standby_of(&self, primary: &ScratchPostgres) {
        if self.as_server_user {
            chown_tree(self.dir.path());
        }
        self.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                "postgres",
                "-D",
                &self.data_dir(),
                // Write standby.signal and primary_conninfo: start as a standby streaming from it.
                "--write-recovery-conf",
                "--wal-method=stream",
                // Not the default spread checkpoint, which takes minutes on an idle primary.
                "--checkpoint=fast",
                "--no-sync",
            ],
        );
        // The copied configuration is the primary's: the lines appended last win.
        let conf = [
            format!("port = {}", self.port),
            format!("unix_socket_directories = '{}'", self.dir.path().display()),
            "hot_standby = on".to_owned(),
        ];
        append(
            &Path::new(&self.data_dir()).join("postgresql.conf"),
            &conf.join("\n"),
        );
        self.pg_ctl(&["start", "-w", "-t", "60"]);
    }

    /// The directory the cluster's files are in; its data directory is `data` inside.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres@127.0.0.1:<port>/<database>`, with `query` (e.g. `sslmode=require`) if not
    /// empty.
    pub fn url(&self, database: &str, query: &str) -> String {
        let url = format!("postgres://postgres@127.0.0.1:{}/{database}", self.port);
        if query.is_empty() {
            url
        } else {
            format!("{url}?{query}")
        }
    }

    /// Creates database `name` (through the Unix socket, which needs no TLS).
    pub fn create_database(&self, name: &str) {
        self.run(
            "createdb",
            &[
                "-h",
                &self.dir.path().display().to_string(),
                "-p",
                &self.port.to_string(),
                name,
            ],
        );
    }

    /// Restarts the server: `mode` `fast` (what `systemctl restart` does: every session is terminated
    /// with 57P01) or `immediate` (a crash: sessions just lose their connection, and the server recovers
    /// from its WAL on start).
    pub fn restart(&self, mode: &str) {
        self.pg_ctl(&["restart", "-w", "-t", "60", "-m", mode]);
    }

    fn data_dir(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn pg_ctl(&self, args: &[&str]) {
        let log = self.dir.path().join("server.log").display().to_string();
        let data = self.data_dir();
        let mut all = vec!["-D", data.as_str(), "-l", log.as_str()];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all);
    }

    /// Runs a server binary to the end, as the server user when needed; panics with its output (and the
    /// server log) when it fails.
    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let output = self
            .command(&program)
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
        if !output.status.success() {
            let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            panic!(
                "{} {args:?} failed ({}):\n{}\n{}\nserver log:\n{log}",
                program.display(),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
            );
        }
    }

    /// A command running `program`, as the server user when needed.
    fn command(&self, program: &Path) -> Command {
        if self.as_server_user {
            let mut command = Command::new("runuser");
            command.args(["-u", SERVER_USER, "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for ScratchPostgres {
    fn drop(&mut self) {
        let data = self.data_dir();
        let program = self.bin.join("pg_ctl");
        let _ = self
            .command(&program)
            .args(["-D", &data, "stop", "-m", "immediate"])
            .output();
    }
}

/// The directory holding `initdb`, `pg_ctl` and `createdb`: on `$PATH`, else the newest under
/// `/usr/lib/postgresql/*/bin`.
fn server_binaries() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    if let Some(dir) = on_path.into_iter().find(|dir| has_both(dir)) {
        // A symlink on $PATH (/usr/local/bin/initdb) leads to the directory holding the other client
        // programs too (createdb).
        return std::fs::canonicalize(dir.join("initdb"))
            .ok()
            .and_then(|initdb| initdb.parent().map(Path::to_path_buf))
            .or(Some(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(DEBIAN_BINARIES)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .filter(|(_, bin)| has_both(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// Gives the server user the cluster's directory and the files the test put there.
fn chown_tree(dir: &Path) {
    let status = Command::new("chown")
        .args(["-R", &format!("{SERVER_USER}:")])
        .arg(dir)
        .status()
        .expect("run chown");
    assert!(status.success(), "chown {} to {SERVER_USER}", dir.display());
}

/// A port nobody listens on now. Another process could take it before the cluster does; on a test
/// machine that is rare enough.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

fn append(path: &Path, text: &str) {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    writeln!(file, "\n{text}").unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}
