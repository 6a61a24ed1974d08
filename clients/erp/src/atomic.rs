//! Replacing a small file so that a reader (or the next run, after a crash) sees either the old
//! contents or the new, never half of each: write a temporary file beside it, flush it to disk, rename
//! it over the old one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use crate::paths::with_suffix;

pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    // Beside the file, so that the rename stays on one file system.
    let temporary = with_suffix(path, ".tmp");
    let mut file = File::create(&temporary)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, path)?;
    // The rename itself is durable once the directory is; not every platform lets a directory be
    // opened for that, and losing only the newest state to a power cut is acceptable.
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty())
        && let Ok(directory) = File::open(parent)
    {
        let _ = directory.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_contents_replace_the_old_and_no_temporary_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["state.json"]);
    }
}
