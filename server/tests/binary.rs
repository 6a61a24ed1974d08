//! The `kam-server` binary as a newcomer runs it: no configuration, an empty working directory. It must
//! create and migrate the SQLite file (private to its owner), write the first ADMIN key to a private file (never to the log),
//! serve, and stop cleanly on SIGTERM.

use std::{
    io::{BufRead, BufReader},
    os::unix::fs::PermissionsExt,
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// Reads the server's JSON log lines until one carries `message`; returns that line and every line
/// read before it.
fn wait_for_log(lines: &mpsc::Receiver<String>, message: &str) -> (String, Vec<String>) {
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("the server never logged {message:?}"));
        if line.contains(message) {
            return (line, seen);
        }
        seen.push(line);
    }
}

/// The server process, killed when a failed assertion ends the test before it stopped.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[cfg(unix)]
fn first_start_creates_the_database_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_kam-server"))
            .current_dir(dir.path())
            // Port 0 (through the environment layer): the log says which port it got. Everything else is
            // the default.
            .env("KAM_LISTEN_ADDR", "127.0.0.1:0")
            .args(["--log-format", "json"])
            .env_remove("KAM_DATABASE_URL")
            .env_remove("KAM_CONFIG")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kam-server"),
    );
    let stdout = server.0.stdout.take().unwrap();
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });

    let (_, mut log) = wait_for_log(&lines, "migrations applied");
    let (serving, rest) = wait_for_log(&lines, "serving gRPC and gRPC-Web");
    log.extend(rest);
    assert!(serving.contains("127.0.0.1:"), "{serving}");
    assert!(
        dir.path().join("kam.db").exists(),
        "the SQLite file is created in the working directory"
    );
    // Key hashes and personal data live there: the database and its WAL files are the owner's alone,
    // whatever the umask (the test runs under the usual 022, which would leave them world-readable).
    for file in ["kam.db", "kam.db-wal", "kam.db-shm"] {
        let meta = std::fs::metadata(dir.path().join(file))
            .unwrap_or_else(|e| panic!("{file} exists in WAL mode: {e}"));
        let mode = meta.permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file} is mode {mode:o}");
    }

    let key_file = dir.path().join("kam-admin.key");
    let key = std::fs::read_to_string(&key_file).expect("the ADMIN key is written next to the database");
    let key = key.trim();
    assert!(key.starts_with("kam_"), "{key}");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "only the owner may read the key");
    assert!(
        log.iter().any(|line| line.contains("kam-admin.key")),
        "the log names the file: {log:#?}"
    );
    assert!(
        log.iter().all(|line| !line.contains(key)),
        "the key never reaches the log"
    );

    let status = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(status.success());
    wait_for_log(&lines, "shutting down");
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = server.0.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "the server did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "kam-server exited with {exit}");
}
