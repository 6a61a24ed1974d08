//! The wire edge of the feedback area: proto messages in, validated domain values out, and back. Proto
//! messages are destructured in full, so a field added to the proto fails to compile here until it is
//! handled.

use std::collections::HashSet;

use chrono::NaiveDate;
use kam_proto::{pbjson_types::FieldMask, v1 as pb};
use uuid::Uuid;

use super::{
    model::{
        AccountKey, Bucket, BucketReport, CheckedRecord, ContactKey, FeedbackRound, FeedbackSource, GroupBy,
        GroupReport, ImportOutcome, MAX_IMPORT_ROUNDS, MAX_RATINGS, MAX_SCORE, Mean, NewRound, Rating,
        RatingInput, RecordRating, Report, ReportQuery, RoundFields, RoundFilter, RoundPatch, RoundRecord,
        Scores, StaffKey, Stats, Trend, TrendDirection, period_problem,
    },
    rules,
};
use crate::platform::{
    error::{FieldViolation, Result, Violations},
    etag,
    fields::{email, external_id, optional_id, required_id, text},
    wire::{PatchFields, Update, WireEnum, date, date_to_proto, required_enum, timestamp},
};
use crate::segments::convert::segment_filter;

crate::wire_enums!(
    FeedbackSource => pb::feedback_round::Source,
    GroupBy => pb::get_feedback_report_request::GroupBy,
    Bucket => pb::get_feedback_report_request::Bucket,
    TrendDirection => pb::feedback_trend::Direction,
);

const OUTPUT_ONLY: &[&str] = &[
    "id",
    "source",
    "recorded_by_staff_id",
    "create_time",
    "update_time",
    "etag",
];
const MAX_RESPONDENT_NAME: usize = 200;
const MAX_COMMENT: usize = 10_000;
const MAX_RATING_COMMENT: usize = 2000;

/// Today's date in UTC, the day feedback periods are checked against.
pub fn today() -> NaiveDate {
    crate::platform::db::now().date_naive()
}

/// One dimension's score: 1..=5, or 0 for not rated.
fn score(field: &str, raw: i32) -> Result<i32, FieldViolation> {
    if (0..=MAX_SCORE).contains(&raw) {
        Ok(raw)
    } else {
        Err(FieldViolation::new(
            field,
            "must be 1 (poor) to 5 (excellent), or 0 for not rated",
        ))
    }
}

/// The three scores of rating `at` (`ratings[2]`), at least one of them rated.
fn scores(
    at: &str,
    responsiveness: i32,
    expertise: i32,
    follow_through: i32,
) -> Result<Scores, FieldViolation> {
    let scores = Scores {
        responsiveness: score(&format!("{at}.responsiveness"), responsiveness)?,
        expertise: score(&format!("{at}.expertise"), expertise)?,
        follow_through: score(&format!("{at}.follow_through"), follow_through)?,
    };
    if scores.all().iter().all(|s| *s == 0) {
        return Err(FieldViolation::new(
            at,
            "rate at least one of responsiveness, expertise and follow_through",
        ));
    }
    Ok(scores)
}

/// The number of ratings a round may have: 1..=[`MAX_RATINGS`].
fn rating_count(field: &str, count: usize) -> Result<(), FieldViolation> {
    match count {
        0 => Err(FieldViolation::new(field, "at least one rating")),
        n if n > MAX_RATINGS => Err(FieldViolation::new(
            field,
            format!("at most {MAX_RATINGS} ratings (got {n})"),
        )),
        _ => Ok(()),
    }
}

/// The ratings of a round (`field` is their path: `feedback_round.ratings`), each person once; every
/// bad rating is recorded in `v`.
fn ratings(field: &str, raw: Vec<pb::StaffRating>, v: &mut Violations) -> Option<Vec<RatingInput>> {
    if let Err(violation) = rating_count(field, raw.len()) {
        v.add(violation.field, violation.description);
        return None;
    }
    let mut seen = HashSet::new();
    let mut parsed = Vec::with_capacity(raw.len());
    let mut valid = true;
    for (i, rating) in raw.into_iter().enumerate() {
        let pb::StaffRating {
            staff_id,
            responsiveness,
            expertise,
            follow_through,
            comment,
            department_id: _,
        } = rating;
        let at = format!("{field}[{i}]");
        let staff_id = v.take(required_id(&format!("{at}.staff_id"), &staff_id).and_then(|id| {
            if seen.insert(id) {
                Ok(id)
            } else {
                Err(FieldViolation::new(
                    format!("{at}.staff_id"),
                    "rated twice in the round",
                ))
            }
        }));
        let scores = v.take(scores(&at, responsiveness, expertise, follow_through));
        let comment = v.take(text(
            &format!("{at}.comment"),
            &comment,
            MAX_RATING_COMMENT,
            false,
        ));
        match (staff_id, scores, comment) {
            (Some(staff_id), Some(scores), Some(comment)) => parsed.push(RatingInput {
                staff_id,
                scores,
                comment,
            }),
            _ => valid = false,
        }
    }
    valid.then_some(parsed)
}

fn required_date(field: &str, raw: Option<pb::Date>) -> Result<NaiveDate, FieldViolation> {
    date(field, raw)?.ok_or_else(|| FieldViolation::new(field, "required"))
}

/// The period's rule on the wire: `prefix` is the round's path (`feedback_round.`, or "" in a record).
fn check_period(
    prefix: &str,
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
) -> Result<(), FieldViolation> {
    match period_problem(start, end, today) {
        Some((field, description)) => Err(FieldViolation::new(format!("{prefix}{field}"), description)),
        None => Ok(()),
    }
}

pub fn new_round(raw: Option<pb::FeedbackRound>, today: NaiveDate) -> Result<NewRound> {
    let pb::FeedbackRound {
        id: _,
        account_id,
        external_id: external_id_raw,
        period_start,
        period_end,
        respondent_contact_id,
        respondent_name,
        source: _,
        ratings: ratings_raw,
        comment,
        recorded_by_staff_id: _,
        create_time: _,
        update_time: _,
        etag: _,
    } = raw.unwrap_or_default();
    let mut v = Violations::default();
    let account_id = v.take(required_id("feedback_round.account_id", &account_id));
    let external_id = v
        .take(external_id("feedback_round.external_id", &external_id_raw))
        .flatten();
    let start = v.take(required_date("feedback_round.period_start", period_start));
    let end = v.take(required_date("feedback_round.period_end", period_end));
    if let (Some(start), Some(end)) = (start, end) {
        v.take(check_period("feedback_round.", start, end, today));
    }
    let contact = v
        .take(optional_id(
            "feedback_round.respondent_contact_id",
            &respondent_contact_id,
        ))
        .flatten();
    let respondent_name = v.take(text(
        "feedback_round.respondent_name",
        &respondent_name,
        MAX_RESPONDENT_NAME,
        false,
    ));
    let ratings = ratings("feedback_round.ratings", ratings_raw, &mut v);
    let comment = v.take(text("feedback_round.comment", &comment, MAX_COMMENT, false));
    v.into_result()?;
    Ok(NewRound {
        account_id: account_id.expect("checked above"),
        external_id,
        fields: RoundFields {
            period_start: start.expect("checked above"),
            period_end: end.expect("checked above"),
            respondent_contact_id: contact,
            respondent_name: respondent_name.expect("checked above"),
            comment: comment.expect("checked above"),
        },
        ratings: ratings.expect("checked above"),
    })
}

/// An update of a round. The period's rule is the store's to check, on the round as patched.
pub fn round_update(raw: Option<pb::FeedbackRound>, mask: Option<FieldMask>) -> Result<Update<RoundPatch>> {
    let pb::FeedbackRound {
        id,
        account_id: _,
        external_id: external_id_raw,
        period_start,
        period_end,
        respondent_contact_id,
        respondent_name,
        source: _,
        ratings: ratings_raw,
        comment,
        recorded_by_staff_id: _,
        create_time: _,
        update_time: _,
        etag: etag_raw,
    } = raw.unwrap_or_default();
    let mut v = Violations::default();
    let id = v.take(required_id("feedback_round.id", &id));
    let (patch, paths) = PatchFields::new()
        .field(
            "external_id",
            !external_id_raw.is_empty(),
            |patch: &mut RoundPatch, v| {
                patch.external_id = v.take(external_id("feedback_round.external_id", &external_id_raw))
            },
        )
        .field("period_start", period_start.is_some(), |patch, v| {
            patch.period_start = v.take(required_date("feedback_round.period_start", period_start))
        })
        .field("period_end", period_end.is_some(), |patch, v| {
            patch.period_end = v.take(required_date("feedback_round.period_end", period_end))
        })
        .field(
            "respondent_contact_id",
            !respondent_contact_id.is_empty(),
            |patch, v| {
                patch.respondent_contact_id = v.take(optional_id(
                    "feedback_round.respondent_contact_id",
                    &respondent_contact_id,
                ))
            },
        )
        .field("respondent_name", !respondent_name.is_empty(), |patch, v| {
            patch.respondent_name = v.take(text(
                "feedback_round.respondent_name",
                &respondent_name,
                MAX_RESPONDENT_NAME,
                false,
            ))
        })
        .field("ratings", !ratings_raw.is_empty(), |patch, v| {
            patch.ratings = ratings("feedback_round.ratings", ratings_raw, v)
        })
        .field("comment", !comment.is_empty(), |patch, v| {
            patch.comment = v.take(text("feedback_round.comment", &comment, MAX_COMMENT, false))
        })
        .read(mask, OUTPUT_ONLY, &["account_id"], &mut v);
    v.into_result()?;
    Ok(Update {
        id: id.expect("checked above"),
        etag: etag::sent(&etag_raw).map(str::to_owned),
        patch,
        paths,
    })
}

pub fn round_filter(request: &pb::ListFeedbackRoundsRequest) -> Result<RoundFilter> {
    let pb::ListFeedbackRoundsRequest {
        page_size: _,
        page_token: _,
        account_id,
        staff_id,
        period_end_from,
        period_end_to,
        segments,
    } = request;
    let mut v = Violations::default();
    let filter = RoundFilter {
        account_id: v.take(optional_id("account_id", account_id)).flatten(),
        staff_id: v.take(optional_id("staff_id", staff_id)).flatten(),
        period_end_from: v.take(date("period_end_from", *period_end_from)).flatten(),
        period_end_to: v.take(date("period_end_to", *period_end_to)).flatten(),
        segments: v
            .take(segment_filter("segments", segments.as_ref()))
            .unwrap_or_default(),
    };
    v.into_result()?;
    Ok(filter)
}

pub fn round_to_proto(round: FeedbackRound) -> pb::FeedbackRound {
    let FeedbackRound {
        id,
        account_id,
        external_id,
        fields,
        source,
        ratings,
        recorded_by,
        create_time,
        update_time,
        revision,
    } = round;
    pb::FeedbackRound {
        id: id.to_string(),
        account_id: account_id.to_string(),
        external_id: external_id.unwrap_or_default(),
        period_start: Some(date_to_proto(fields.period_start)),
        period_end: Some(date_to_proto(fields.period_end)),
        respondent_contact_id: fields
            .respondent_contact_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        respondent_name: fields.respondent_name,
        source: source.to_wire(),
        ratings: ratings.into_iter().map(rating_to_proto).collect(),
        comment: fields.comment,
        recorded_by_staff_id: recorded_by.to_string(),
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        etag: etag::of(revision),
    }
}

fn rating_to_proto(rating: Rating) -> pb::StaffRating {
    let Rating {
        staff_id,
        department_id,
        scores,
        comment,
    } = rating;
    pb::StaffRating {
        staff_id: staff_id.to_string(),
        responsiveness: scores.responsiveness,
        expertise: scores.expertise,
        follow_through: scores.follow_through,
        comment,
        department_id: department_id.to_string(),
    }
}

// ----- imports -----

/// The records of an import, each with its index: checked, or the first thing wrong with it. More than
/// [`MAX_IMPORT_ROUNDS`] records is an error of the whole call.
pub fn round_records(raw: Vec<pb::FeedbackRoundRecord>, today: NaiveDate) -> Result<Vec<CheckedRecord>> {
    if raw.len() > MAX_IMPORT_ROUNDS {
        return Err(FieldViolation::new(
            "feedback_rounds",
            format!("at most {MAX_IMPORT_ROUNDS} records a call (got {})", raw.len()),
        )
        .into());
    }
    Ok(raw
        .into_iter()
        .enumerate()
        .map(|(index, record)| {
            let key = record.external_id.clone();
            (index as u64, key, round_record(record, today))
        })
        .collect())
}

/// One imported record, checked as CreateFeedbackRound checks a round; field paths are the record's.
fn round_record(record: pb::FeedbackRoundRecord, today: NaiveDate) -> Result<RoundRecord, FieldViolation> {
    let pb::FeedbackRoundRecord {
        external_id: external_id_raw,
        account_id,
        account_external_id,
        period_start,
        period_end,
        respondent_contact_id,
        respondent_contact_external_id,
        respondent_name,
        ratings: ratings_raw,
        comment,
    } = record;
    let external_id = external_id("external_id", &external_id_raw)?
        .ok_or_else(|| FieldViolation::new("external_id", "required"))?;
    let account = match optional_id("account_id", &account_id)? {
        Some(id) => AccountKey::Id(id),
        None => AccountKey::ExternalId(
            self::external_id("account_external_id", &account_external_id)?.ok_or_else(|| {
                FieldViolation::new(
                    "account_id",
                    "required: the account's id or its account_external_id",
                )
            })?,
        ),
    };
    let period_start = required_date("period_start", period_start)?;
    let period_end = required_date("period_end", period_end)?;
    let respondent = match optional_id("respondent_contact_id", &respondent_contact_id)? {
        Some(id) => Some(ContactKey::Id(id)),
        None => self::external_id("respondent_contact_external_id", &respondent_contact_external_id)?
            .map(ContactKey::ExternalId),
    };
    let respondent_name = text("respondent_name", &respondent_name, MAX_RESPONDENT_NAME, false)?;
    let comment = text("comment", &comment, MAX_COMMENT, false)?;
    rating_count("ratings", ratings_raw.len())?;
    let ratings = ratings_raw
        .into_iter()
        .enumerate()
        .map(|(i, rating)| record_rating(i, rating))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen = HashSet::new();
    if let Some(twice) = ratings.iter().position(|r| !seen.insert(r.staff.clone())) {
        return Err(FieldViolation::new(
            format!("ratings[{twice}]"),
            "rated twice in the round",
        ));
    }
    check_period("", period_start, period_end, today)?;
    Ok(RoundRecord {
        external_id,
        account,
        period_start,
        period_end,
        respondent,
        respondent_name,
        ratings,
        comment,
    })
}

fn record_rating(i: usize, rating: pb::FeedbackRatingRecord) -> Result<RecordRating, FieldViolation> {
    let pb::FeedbackRatingRecord {
        staff_id,
        staff_email,
        responsiveness,
        expertise,
        follow_through,
        comment,
    } = rating;
    let at = format!("ratings[{i}]");
    let staff = match optional_id(&format!("{at}.staff_id"), &staff_id)? {
        Some(id) => StaffKey::Id(id),
        None => {
            let field = format!("{at}.staff_email");
            let address = email(&field, &staff_email)?;
            if address.is_empty() {
                return Err(FieldViolation::new(
                    format!("{at}.staff_id"),
                    "required: the person's staff_id or staff_email",
                ));
            }
            StaffKey::Email(address.to_lowercase())
        }
    };
    Ok(RecordRating {
        staff,
        scores: scores(&at, responsiveness, expertise, follow_through)?,
        comment: text(&format!("{at}.comment"), &comment, MAX_RATING_COMMENT, false)?,
    })
}

pub fn import_to_proto(outcome: ImportOutcome) -> pb::ImportFeedbackRoundsResponse {
    let ImportOutcome {
        created,
        updated,
        unchanged,
        errors,
    } = outcome;
    pb::ImportFeedbackRoundsResponse {
        created: created as i64,
        updated: updated as i64,
        unchanged: unchanged as i64,
        failed: errors.len() as i64,
        errors: errors
            .into_iter()
            .map(|error| pb::FeedbackImportError {
                index: error.index as i64,
                external_id: error.external_id,
                code: error.refusal.code.to_owned(),
                field: error.refusal.field,
                description: error.refusal.description,
            })
            .collect(),
    }
}

// ----- the report -----

pub fn report_query(request: pb::GetFeedbackReportRequest, today: NaiveDate) -> Result<ReportQuery> {
    let pb::GetFeedbackReportRequest {
        group_by,
        bucket,
        start_date,
        end_date,
        account_id,
        department_id,
        staff_id,
        segments,
    } = request;
    let mut v = Violations::default();
    let group_by = v.take(required_enum(
        "group_by",
        GroupBy::from_wire("group_by", group_by),
    ));
    let bucket = v
        .take(Bucket::from_wire("bucket", bucket))
        .map(|b| b.unwrap_or(Bucket::Quarter));
    let start = v.take(date("start_date", start_date)).flatten();
    let end = v.take(date("end_date", end_date)).flatten();
    let account_id = v.take(optional_id("account_id", &account_id)).flatten();
    let department_id = v.take(optional_id("department_id", &department_id)).flatten();
    let staff_id = v.take(optional_id("staff_id", &staff_id)).flatten();
    let segments = v
        .take(segment_filter("segments", segments.as_ref()))
        .unwrap_or_default();
    let window = bucket.and_then(|bucket| {
        v.take(
            rules::window(bucket, start, end, today)
                .map_err(|(field, description)| FieldViolation::new(field, description)),
        )
    });
    v.into_result()?;
    let (first_bucket, last_bucket) = window.expect("checked above");
    Ok(ReportQuery {
        group_by: group_by.expect("checked above"),
        bucket: bucket.expect("checked above"),
        first_bucket,
        last_bucket,
        account_id,
        department_id,
        staff_id,
        segments,
    })
}

fn mean_to_proto(mean: Mean) -> pb::FeedbackMean {
    pb::FeedbackMean {
        sum: mean.sum,
        count: mean.count,
        value: rules::decimal(mean),
    }
}

fn stats_to_proto(stats: Stats) -> pb::FeedbackStats {
    pb::FeedbackStats {
        rating_count: stats.ratings,
        responsiveness: Some(mean_to_proto(stats.responsiveness)),
        expertise: Some(mean_to_proto(stats.expertise)),
        follow_through: Some(mean_to_proto(stats.follow_through)),
        overall: Some(mean_to_proto(stats.overall())),
        low_score_count: stats.low_scores,
    }
}

fn trend_to_proto(trend: Trend) -> pb::FeedbackTrend {
    let Trend {
        direction,
        delta,
        previous,
    } = trend;
    pb::FeedbackTrend {
        direction: direction.to_wire(),
        delta,
        previous: previous.map(mean_to_proto),
    }
}

pub fn report_to_proto(report: Report) -> pb::FeedbackReport {
    let Report { query, groups, total } = report;
    let bucket = query.bucket;
    let bucket_to_proto = |b: BucketReport| pb::FeedbackBucket {
        start_date: Some(date_to_proto(rules::bucket_start(b.index, bucket))),
        label: rules::bucket_label(b.index, bucket),
        stats: Some(stats_to_proto(b.stats)),
        trend: Some(trend_to_proto(b.trend)),
    };
    let id = |id: Option<Uuid>| id.map(|id| id.to_string()).unwrap_or_default();
    pb::FeedbackReport {
        group_by: query.group_by.to_wire(),
        bucket: bucket.to_wire(),
        start_date: Some(date_to_proto(rules::bucket_start(query.first_bucket, bucket))),
        end_date: Some(date_to_proto(rules::bucket_end(query.last_bucket, bucket))),
        groups: groups
            .into_iter()
            .map(|group: GroupReport| pb::feedback_report::Group {
                staff_id: id(group.staff_id),
                department_id: id(group.department_id),
                display_name: group.display_name,
                total: Some(stats_to_proto(group.total)),
                buckets: group.buckets.into_iter().map(bucket_to_proto).collect(),
            })
            .collect(),
        total: Some(stats_to_proto(total)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
        Some(pb::Date { year, month, day })
    }

    fn rating(staff_id: &str, scores: [i32; 3]) -> pb::StaffRating {
        pb::StaffRating {
            staff_id: staff_id.to_owned(),
            responsiveness: scores[0],
            expertise: scores[1],
            follow_through: scores[2],
            ..Default::default()
        }
    }

    fn fields_of(error: crate::platform::error::Error) -> Vec<String> {
        match error {
            crate::platform::error::Error::InvalidArgument(violations) => {
                violations.into_iter().map(|v| v.field).collect()
            }
            other => panic!("not invalid: {other:?}"),
        }
    }

    #[test]
    fn a_new_round_names_every_bad_field() {
        let today = NaiveDate::from_ymd_opt(2026, 4, 10).unwrap();
        let staff = Uuid::now_v7().to_string();
        let round = pb::FeedbackRound {
            account_id: "nope".into(),
            period_start: wire_date(2026, 1, 1),
            period_end: wire_date(2025, 12, 31),
            ratings: vec![
                rating(&staff, [6, 0, 0]),
                rating(&staff, [0, 0, 0]),
                rating("", [3, 3, 3]),
            ],
            respondent_name: "x".repeat(201),
            ..Default::default()
        };
        let fields = fields_of(new_round(Some(round), today).unwrap_err());
        assert_eq!(
            fields,
            [
                "feedback_round.account_id",
                "feedback_round.period_end",
                "feedback_round.respondent_name",
                "feedback_round.ratings[0].responsiveness",
                "feedback_round.ratings[1].staff_id",
                "feedback_round.ratings[1]",
                "feedback_round.ratings[2].staff_id",
            ]
        );
        let empty = fields_of(new_round(None, today).unwrap_err());
        assert!(empty.contains(&"feedback_round.ratings".to_owned()));
        assert!(empty.contains(&"feedback_round.period_start".to_owned()));
    }

    #[test]
    fn an_import_record_names_its_first_fault_relative_to_the_record() {
        let today = NaiveDate::from_ymd_opt(2026, 4, 10).unwrap();
        let record = |ratings: Vec<pb::FeedbackRatingRecord>| pb::FeedbackRoundRecord {
            external_id: "S-1".into(),
            account_external_id: "ERP-1".into(),
            period_start: wire_date(2026, 1, 1),
            period_end: wire_date(2026, 3, 31),
            ratings,
            ..Default::default()
        };
        let by_email = |email: &str| pb::FeedbackRatingRecord {
            staff_email: email.into(),
            expertise: 4,
            ..Default::default()
        };
        let parsed = round_record(record(vec![by_email("Li.Wei@Example.com")]), today).unwrap();
        assert_eq!(parsed.account, AccountKey::ExternalId("ERP-1".into()));
        assert_eq!(
            parsed.ratings[0].staff,
            StaffKey::Email("li.wei@example.com".into())
        );
        let twice = round_record(
            record(vec![by_email("a@example.com"), by_email("A@example.com")]),
            today,
        );
        assert_eq!(twice.unwrap_err().field, "ratings[1]");
        let nobody = round_record(record(vec![by_email("")]), today);
        assert_eq!(nobody.unwrap_err().field, "ratings[0].staff_id");
        let too_many = round_records(
            vec![pb::FeedbackRoundRecord::default(); MAX_IMPORT_ROUNDS + 1],
            today,
        );
        assert!(too_many.is_err());
    }
}
