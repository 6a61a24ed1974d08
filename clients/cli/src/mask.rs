//! Update masks built from the flags given on the command line.
//!
//! A flag that is given is written and named in the mask even when its value is empty, so
//! `--region ""` clears the region; a flag left out is neither written nor named, so the server keeps
//! the stored value. (An empty mask would instead mean "every non-default field", which cannot clear.)

use kam_proto::pbjson_types::FieldMask;

#[derive(Debug, Default)]
pub struct MaskBuilder {
    paths: Vec<String>,
}

impl MaskBuilder {
    /// A mask naming `paths` already, for fields written some other way (e.g. read from a file).
    pub fn with_paths(paths: &[&str]) -> Self {
        MaskBuilder {
            paths: paths.iter().map(|path| (*path).to_owned()).collect(),
        }
    }

    /// When the flag was given (`value` is `Some`), writes it into `field` and adds `path` to the mask.
    pub fn set<T>(&mut self, path: &str, field: &mut T, value: Option<T>) {
        if let Some(value) = value {
            *field = value;
            self.add(path);
        }
    }

    /// Adds `path` for a field the caller has written itself.
    pub fn add(&mut self, path: &str) {
        self.paths.push(path.to_owned());
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    pub fn build(self) -> FieldMask {
        FieldMask { paths: self.paths }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_given_flags_are_written_and_named() {
        let (mut region, mut industry) = ("EMEA".to_owned(), "Steel".to_owned());
        let mut mask = MaskBuilder::default();
        mask.set("region", &mut region, Some(String::new()));
        mask.set("industry", &mut industry, None);
        assert_eq!(region, "");
        assert_eq!(industry, "Steel");
        assert_eq!(mask.build().paths, ["region"]);
    }
}
