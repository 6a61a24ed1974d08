//! The feedback area's plain types: rounds and their ratings, as validated inputs and as stored, the
//! import's records, and the report's questions and answers.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::named_enum!(
    /// How a round came in.
    FeedbackSource { Entered = "ENTERED", Imported = "IMPORTED" }
);

crate::named_enum!(
    /// What a row of the report is.
    GroupBy { Person = "PERSON", Department = "DEPARTMENT" }
);

crate::named_enum!(
    /// How the report cuts time.
    Bucket { Month = "MONTH", Quarter = "QUARTER", Year = "YEAR" }
);

crate::named_enum!(
    /// How a bucket's overall mean moved against the bucket before.
    TrendDirection { Up = "UP", Down = "DOWN", Flat = "FLAT", NoPrevious = "NO_PREVIOUS" }
);

/// The highest score of a dimension; 0 means not rated.
pub const MAX_SCORE: i32 = 5;
/// The most ratings one round holds.
pub const MAX_RATINGS: usize = 100;
/// The most records one ImportFeedbackRounds call carries.
pub const MAX_IMPORT_ROUNDS: usize = 1000;

/// One person's scores, each 1..=5 or 0 for not rated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    pub responsiveness: i32,
    pub expertise: i32,
    pub follow_through: i32,
}

impl Scores {
    pub fn all(self) -> [i32; 3] {
        [self.responsiveness, self.expertise, self.follow_through]
    }

    /// The rated dimensions' scores added up, and how many are rated.
    pub fn sum_and_count(self) -> (i64, i64) {
        self.all()
            .into_iter()
            .filter(|score| *score > 0)
            .fold((0, 0), |(sum, count), score| (sum + i64::from(score), count + 1))
    }
}

/// A rating as the client sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingInput {
    pub staff_id: Uuid,
    pub scores: Scores,
    pub comment: String,
}

/// A rating as stored: with the department the person was in when first rated in the round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub staff_id: Uuid,
    pub department_id: Uuid,
    pub scores: Scores,
    pub comment: String,
}

/// What a round says besides its account, key, ratings and stamps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundFields {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub respondent_contact_id: Option<Uuid>,
    pub respondent_name: String,
    pub comment: String,
}

impl RoundFields {
    /// What is wrong with the period, if anything (see [`period_problem`]).
    pub fn period_problem(&self, today: NaiveDate) -> Option<(&'static str, &'static str)> {
        period_problem(self.period_start, self.period_end, today)
    }
}

/// What is wrong with a feedback period, if anything: the field at fault (relative to the round) and
/// why. The period runs forwards and has begun by `today`: feedback is on service already given.
pub fn period_problem(
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
) -> Option<(&'static str, &'static str)> {
    if start > end {
        return Some(("period_end", "must not be before period_start"));
    }
    if start > today {
        return Some((
            "period_start",
            "must not be after today (UTC): feedback is on service already given",
        ));
    }
    None
}

/// A round to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRound {
    pub account_id: Uuid,
    pub external_id: Option<String>,
    pub fields: RoundFields,
    pub ratings: Vec<RatingInput>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackRound {
    pub id: Uuid,
    pub account_id: Uuid,
    pub external_id: Option<String>,
    #[serde(flatten)]
    pub fields: RoundFields,
    pub source: FeedbackSource,
    pub ratings: Vec<Rating>,
    pub recorded_by: Uuid,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub revision: i64,
}

/// The fields an update writes (`Some`), and the rest it leaves alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundPatch {
    pub external_id: Option<Option<String>>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub respondent_contact_id: Option<Option<Uuid>>,
    pub respondent_name: Option<String>,
    pub ratings: Option<Vec<RatingInput>>,
    pub comment: Option<String>,
}

impl RoundPatch {
    /// Writes the patched fields (and key) into `fields` and `external_id`; the ratings, which need the
    /// people's departments, are the store's to apply.
    pub fn apply_to(&self, fields: &mut RoundFields, external_id: &mut Option<String>) {
        let Self {
            external_id: new_external_id,
            period_start,
            period_end,
            respondent_contact_id,
            respondent_name,
            ratings: _,
            comment,
        } = self.clone();
        if let Some(v) = new_external_id {
            *external_id = v;
        }
        if let Some(v) = period_start {
            fields.period_start = v;
        }
        if let Some(v) = period_end {
            fields.period_end = v;
        }
        if let Some(v) = respondent_contact_id {
            fields.respondent_contact_id = v;
        }
        if let Some(v) = respondent_name {
            fields.respondent_name = v;
        }
        if let Some(v) = comment {
            fields.comment = v;
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundFilter {
    pub account_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
    pub period_end_from: Option<NaiveDate>,
    pub period_end_to: Option<NaiveDate>,
    /// Only the rounds of accounts in these segments (each with everything below it).
    pub segments: crate::segments::model::SegmentFilter,
}

/// How an imported record names its account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountKey {
    Id(Uuid),
    ExternalId(String),
}

/// How an imported record names its respondent contact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactKey {
    Id(Uuid),
    ExternalId(String),
}

/// How an imported rating names its person.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StaffKey {
    Id(Uuid),
    /// Lower-cased, as the staff directory keeps emails.
    Email(String),
}

/// One rating of an imported record, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRating {
    pub staff: StaffKey,
    pub scores: Scores,
    pub comment: String,
}

/// One imported record, validated; its references are resolved in the import's transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundRecord {
    pub external_id: String,
    pub account: AccountKey,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub respondent: Option<ContactKey>,
    pub respondent_name: String,
    pub ratings: Vec<RecordRating>,
    pub comment: String,
}

/// One record of an import as `convert` hands it to the store: its index in the call, its external id as
/// sent, and the record checked or the first thing wrong with it.
pub type CheckedRecord = (
    u64,
    String,
    Result<RoundRecord, crate::platform::error::FieldViolation>,
);

/// Why one imported record was not written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    pub index: u64,
    pub external_id: String,
    pub refusal: crate::platform::batch::Refusal,
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// In request order.
    pub errors: Vec<RecordError>,
}

/// An exact mean: the scores added up and how many there are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mean {
    pub sum: i64,
    pub count: i64,
}

impl std::ops::Add for Mean {
    type Output = Mean;

    fn add(self, other: Mean) -> Mean {
        Mean {
            sum: self.sum + other.sum,
            count: self.count + other.count,
        }
    }
}

/// What a set of ratings says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub ratings: i64,
    pub responsiveness: Mean,
    pub expertise: Mean,
    pub follow_through: Mean,
    /// Scores of 1 or 2, over every dimension.
    pub low_scores: i64,
}

impl Stats {
    /// Over every rated dimension of every rating.
    pub fn overall(&self) -> Mean {
        self.responsiveness + self.expertise + self.follow_through
    }
}

impl std::ops::Add for Stats {
    type Output = Stats;

    fn add(self, other: Stats) -> Stats {
        Stats {
            ratings: self.ratings + other.ratings,
            responsiveness: self.responsiveness + other.responsiveness,
            expertise: self.expertise + other.expertise,
            follow_through: self.follow_through + other.follow_through,
            low_scores: self.low_scores + other.low_scores,
        }
    }
}

/// The report's question, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportQuery {
    pub group_by: GroupBy,
    pub bucket: Bucket,
    /// The buckets of the window, as bucket indexes (see `rules::bucket_index`), first and last.
    pub first_bucket: i64,
    pub last_bucket: i64,
    pub account_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
    /// Only the rounds of accounts in these segments (each with everything below it).
    pub segments: crate::segments::model::SegmentFilter,
}

/// One bucket of a group in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketReport {
    pub index: i64,
    pub stats: Stats,
    pub trend: Trend,
}

/// A bucket's overall mean against the bucket before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trend {
    pub direction: TrendDirection,
    /// "+0.50"; empty for [`TrendDirection::NoPrevious`].
    pub delta: String,
    pub previous: Option<Mean>,
}

/// One person or department in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupReport {
    /// The person (by person), else `None`.
    pub staff_id: Option<Uuid>,
    /// The department (by department), or the person's department now.
    pub department_id: Option<Uuid>,
    pub display_name: String,
    pub total: Stats,
    pub buckets: Vec<BucketReport>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub query: ReportQuery,
    pub groups: Vec<GroupReport>,
    pub total: Stats,
}

/// A person's scores in one round, for the health signal's evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonScores {
    pub staff_id: Uuid,
    pub full_name: String,
    pub score: Mean,
}

/// An account's latest round, as account health weighs it: every rated dimension of every person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundScores {
    pub round_id: Uuid,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub score: Mean,
    /// Everyone rated in the round with at least one dimension, in the order of their ratings.
    pub people: Vec<PersonScores>,
}
