//! The segments' rules that need no database.

use super::model::MAX_DEPTH;
use crate::platform::error::RuleViolation;

/// A parent code that names no segment of the kind.
pub const SEGMENT_PARENT_NOT_FOUND: &str = "SEGMENT_PARENT_NOT_FOUND";
/// A parent that lies below the segment itself.
pub const SEGMENT_CYCLE: &str = "SEGMENT_CYCLE";
/// A tree deeper than [`MAX_DEPTH`] levels.
pub const SEGMENT_TOO_DEEP: &str = "SEGMENT_TOO_DEEP";
/// A delete of a segment with segments below it.
pub const SEGMENT_HAS_CHILDREN: &str = "SEGMENT_HAS_CHILDREN";
/// A delete of a segment a live account names.
pub const SEGMENT_IN_USE: &str = "SEGMENT_IN_USE";
/// A manager who is not active staff.
pub const STAFF_NOT_FOUND: &str = "STAFF_NOT_FOUND";

/// The key free text is matched by against segment names: trimmed, lower case. Names and aliases are
/// unique by this key per kind, so a text matches one segment at most.
pub fn match_key(text: &str) -> String {
    text.trim().to_lowercase()
}

/// Where a segment lands under `parent` (its code and depth; `None` for the top level), carrying the
/// segments below it: `subtree` is the segment and every code below it, `height` how many levels lie
/// below it (0 for a leaf or a new segment). The segment's new depth, or the rule it breaks: the parent
/// inside the subtree (SEGMENT_CYCLE), or a tree deeper than [`MAX_DEPTH`] (SEGMENT_TOO_DEEP).
pub fn placement(
    subject: &str,
    parent: Option<(&str, i32)>,
    subtree: &[String],
    height: i32,
) -> Result<i32, RuleViolation> {
    let depth = match parent {
        None => 1,
        Some((parent, _)) if subtree.iter().any(|code| code == parent) => {
            return Err(RuleViolation {
                rule: SEGMENT_CYCLE,
                subject: subject.to_owned(),
                description: format!("{parent:?} lies below the segment itself (or is it)"),
            });
        }
        Some((_, parent_depth)) => parent_depth + 1,
    };
    if depth + height > MAX_DEPTH {
        return Err(RuleViolation {
            rule: SEGMENT_TOO_DEEP,
            subject: subject.to_owned(),
            description: format!(
                "the tree would be {} levels deep; at most {MAX_DEPTH}",
                depth + height
            ),
        });
    }
    Ok(depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_matches_ignoring_case_and_surrounding_space() {
        assert_eq!(match_key("  Manufacturing "), match_key("MANUFACTURING"));
        assert_eq!(match_key("制造业"), "制造业");
        assert_ne!(match_key("Manu facturing"), match_key("Manufacturing"));
    }

    fn codes(list: &[&str]) -> Vec<String> {
        list.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn a_segment_lands_one_below_its_parent() {
        assert_eq!(placement("industry/X", None, &codes(&["X"]), 0), Ok(1));
        assert_eq!(placement("industry/X", Some(("C", 1)), &codes(&["X"]), 0), Ok(2));
        assert_eq!(placement("industry/X", Some(("C", 7)), &codes(&["X"]), 0), Ok(8));
    }

    #[test]
    fn a_parent_in_the_subtree_is_a_cycle() {
        let subtree = codes(&["X", "Y", "Z"]);
        for parent in ["X", "Z"] {
            let refused = placement("industry/X", Some((parent, 2)), &subtree, 2).unwrap_err();
            assert_eq!(refused.rule, SEGMENT_CYCLE);
        }
    }

    #[test]
    fn the_whole_moved_subtree_counts_for_depth() {
        let subtree = codes(&["X", "Y"]);
        assert_eq!(placement("industry/X", Some(("C", 6)), &subtree, 1), Ok(7));
        let refused = placement("industry/X", Some(("C", 7)), &subtree, 1).unwrap_err();
        assert_eq!(refused.rule, SEGMENT_TOO_DEEP);
        let refused = placement("industry/X", None, &subtree, MAX_DEPTH).unwrap_err();
        assert_eq!(refused.rule, SEGMENT_TOO_DEEP);
    }
}
