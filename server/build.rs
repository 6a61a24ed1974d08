//! Embeds the web app's build (`clients/web/dist`, committed) into the binary: writes
//! `$OUT_DIR/web_assets.rs`, a table of every file under it as `(path, include_bytes!(…))`, so
//! `cargo run -p kam-server` serves the app with no Node on the machine. CI rebuilds dist from the
//! sources and fails when the committed one differs.

use std::{
    env,
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
};

fn main() {
    let dist =
        Path::new(&env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR")).join("../clients/web/dist");
    // Cargo scans the directory recursively: a new build of the app re-embeds it.
    println!("cargo:rerun-if-changed={}", dist.display());

    let mut files = Vec::new();
    if dist.is_dir() {
        collect(&dist, &mut files);
    }
    files.sort();

    let mut table = String::from("&[\n");
    for file in &files {
        let served = file
            .strip_prefix(&dist)
            .expect("under dist")
            .components()
            .map(|part| part.as_os_str().to_str().expect("UTF-8 file names in dist"))
            .fold(String::new(), |path, part| path + "/" + part);
        let absolute = fs::canonicalize(file).expect("canonical path");
        writeln!(
            table,
            "    ({served:?}, include_bytes!({:?})),",
            absolute.display().to_string()
        )
        .expect("write to a String");
    }
    table.push(']');

    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("web_assets.rs");
    fs::write(out, table).expect("write web_assets.rs");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read dist") {
        let path = entry.expect("dist entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
