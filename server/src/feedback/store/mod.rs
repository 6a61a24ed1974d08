//! The feedback area's database side: rounds and their ratings, the import, the report, and what
//! account health asks of it. Other areas reach this data only through these functions.

mod directory;
mod entity;
mod import;
mod report;
mod rounds;

pub use directory::latest_round_scores;
pub use import::import_rounds;
pub use report::report;
pub use rounds::{create_round, delete_round, get_round, list_rounds, update_round};

use kam_proto::v1 as pb;

use super::{convert::round_to_proto, model::FeedbackRound};
use crate::platform::{audit::Change, events::Payload};

const FEEDBACK_ROUND: &str = "feedback_round";

/// The change of `round` announced as `event`, which carries the round as GetFeedbackRound returns it.
fn round_change(
    round: &FeedbackRound,
    event: fn(pb::FeedbackRound) -> Payload,
    changed_fields: Vec<String>,
) -> Change {
    let (id, account_id) = (round.id, Some(round.account_id));
    let message = round_to_proto(round.clone());
    Change::new(FEEDBACK_ROUND, id, account_id, event(message), changed_fields)
}

/// The field paths a new round writes: every field it was given.
fn created_fields(round: &FeedbackRound) -> Vec<String> {
    let mut fields = vec!["account_id", "period_start", "period_end", "ratings"];
    if round.external_id.is_some() {
        fields.push("external_id");
    }
    if round.fields.respondent_contact_id.is_some() {
        fields.push("respondent_contact_id");
    }
    if !round.fields.respondent_name.is_empty() {
        fields.push("respondent_name");
    }
    if !round.fields.comment.is_empty() {
        fields.push("comment");
    }
    fields.into_iter().map(str::to_owned).collect()
}
