//! The files a run keeps beside its input or output: `<FILE>.kam-erp-checkpoint`, `<FILE>.rejects.jsonl`,
//! `<OUT>.cursor`.

use std::path::{Path, PathBuf};

/// `path` with `suffix` appended to its whole name: `data.csv` → `data.csv.rejects.jsonl`.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suffix_goes_after_the_whole_name() {
        assert_eq!(
            with_suffix(Path::new("/in/revenue.csv"), ".rejects.jsonl"),
            Path::new("/in/revenue.csv.rejects.jsonl")
        );
        assert_eq!(with_suffix(Path::new("out"), ".cursor"), Path::new("out.cursor"));
    }
}
