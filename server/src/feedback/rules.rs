//! The feedback area's rules, pure: which writes break which named rule, which department a rating
//! counts in, and the report's exact arithmetic (means as decimals, trends, buckets of time).

use std::{cmp::Ordering, collections::BTreeMap, collections::HashMap};

use chrono::{Datelike, Months, NaiveDate};
use uuid::Uuid;

use super::model::{
    Bucket, BucketReport, FeedbackRound, Mean, PersonScores, Rating, RatingInput, RoundFields, Stats, Trend,
    TrendDirection,
};
use crate::platform::error::RuleViolation;

/// An account has at most one round per respondent contact and period.
pub const DUPLICATE_FEEDBACK_ROUND: &str = "DUPLICATE_FEEDBACK_ROUND";
/// A round stays with its account (an import naming another is refused).
pub const FEEDBACK_ROUND_ACCOUNT_IMMUTABLE: &str = "FEEDBACK_ROUND_ACCOUNT_IMMUTABLE";

/// The most buckets one report spans.
pub const MAX_BUCKETS: i64 = 60;

/// DUPLICATE_FEEDBACK_ROUND when `other`, another round of `account_id` with the same respondent
/// contact and period as `fields`, exists. Rounds without a respondent contact never duplicate.
pub fn duplicate_round(account_id: Uuid, fields: &RoundFields, other: Option<Uuid>) -> Option<RuleViolation> {
    let contact = fields.respondent_contact_id?;
    let other = other?;
    Some(RuleViolation {
        rule: DUPLICATE_FEEDBACK_ROUND,
        subject: format!("accounts/{account_id}"),
        description: format!(
            "feedbackRounds/{other} already holds the answers of contacts/{contact} for {} to {}: \
             correct that round instead",
            fields.period_start, fields.period_end
        ),
    })
}

/// The ratings as stored: each person keeps the department of their rating in `previous` (the round
/// as it was), and a person rated anew counts in their department now (`departments`). `Err` names the
/// first person of `inputs` with neither: no such staff member.
pub fn rate(
    previous: &[Rating],
    inputs: &[RatingInput],
    departments: &HashMap<Uuid, Uuid>,
) -> Result<Vec<Rating>, Uuid> {
    inputs
        .iter()
        .map(|input| {
            let department_id = previous
                .iter()
                .find(|rating| rating.staff_id == input.staff_id)
                .map(|rating| rating.department_id)
                .or_else(|| departments.get(&input.staff_id).copied())
                .ok_or(input.staff_id)?;
            Ok(Rating {
                staff_id: input.staff_id,
                department_id,
                scores: input.scores,
                comment: input.comment.clone(),
            })
        })
        .collect()
}

/// The paths an import changes of `current` when it writes `fields` and `ratings`: ratings compare
/// person by person in order, by scores and comment (the department is kept, never imported).
pub fn changed_fields(current: &FeedbackRound, fields: &RoundFields, ratings: &[Rating]) -> Vec<String> {
    let old = &current.fields;
    let mut changed = Vec::new();
    let mut differs = |path: &str, differ: bool| {
        if differ {
            changed.push(path.to_owned());
        }
    };
    differs("period_start", old.period_start != fields.period_start);
    differs("period_end", old.period_end != fields.period_end);
    differs(
        "respondent_contact_id",
        old.respondent_contact_id != fields.respondent_contact_id,
    );
    differs("respondent_name", old.respondent_name != fields.respondent_name);
    let same_ratings = current.ratings.len() == ratings.len()
        && current
            .ratings
            .iter()
            .zip(ratings)
            .all(|(a, b)| (a.staff_id, a.scores, &a.comment) == (b.staff_id, b.scores, &b.comment));
    differs("ratings", !same_ratings);
    differs("comment", old.comment != fields.comment);
    changed
}

// ---------------------------------------------------------------------------------------------------
// Exact means
// ---------------------------------------------------------------------------------------------------

/// `mean` as a decimal with two places, rounded half up (scores are never negative); empty when there
/// are no scores.
pub fn decimal(mean: Mean) -> String {
    if mean.count <= 0 {
        return String::new();
    }
    let hundredths = rounded_hundredths(i128::from(mean.sum), i128::from(mean.count));
    format_hundredths(hundredths)
}

/// `numerator / denominator` (denominator > 0) in hundredths, rounded half away from zero.
fn rounded_hundredths(numerator: i128, denominator: i128) -> i128 {
    let magnitude = (numerator.abs() * 200 + denominator) / (denominator * 2);
    if numerator < 0 { -magnitude } else { magnitude }
}

fn format_hundredths(hundredths: i128) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let magnitude = hundredths.abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// Whether `a`'s mean is below, equal to or above `b`'s, exactly (both with scores).
pub fn compare_means(a: Mean, b: Mean) -> Ordering {
    (i128::from(a.sum) * i128::from(b.count)).cmp(&(i128::from(b.sum) * i128::from(a.count)))
}

/// How `current` moved against `previous` (a bucket without scores: no previous).
pub fn trend(current: Mean, previous: Option<Mean>) -> Trend {
    let Some(previous) = previous.filter(|p| p.count > 0 && current.count > 0) else {
        return Trend {
            direction: TrendDirection::NoPrevious,
            delta: String::new(),
            previous: None,
        };
    };
    // current − previous = (s1·c0 − s0·c1) / (c1·c0), exactly.
    let numerator = i128::from(current.sum) * i128::from(previous.count)
        - i128::from(previous.sum) * i128::from(current.count);
    let denominator = i128::from(current.count) * i128::from(previous.count);
    let hundredths = rounded_hundredths(numerator, denominator);
    let direction = match numerator.cmp(&0) {
        Ordering::Greater => TrendDirection::Up,
        Ordering::Less => TrendDirection::Down,
        Ordering::Equal => TrendDirection::Flat,
    };
    let delta = match direction {
        TrendDirection::Up => format!("+{}", format_hundredths(hundredths)),
        TrendDirection::Down if hundredths == 0 => "-0.00".to_owned(),
        _ => format_hundredths(hundredths),
    };
    Trend {
        direction,
        delta,
        previous: Some(previous),
    }
}

/// Up to `limit` people with the lowest mean, lowest first (ties by name, then id).
pub fn lowest_rated(people: &[PersonScores], limit: usize) -> Vec<&PersonScores> {
    let mut rated: Vec<&PersonScores> = people.iter().filter(|p| p.score.count > 0).collect();
    rated.sort_by(|a, b| {
        compare_means(a.score, b.score)
            .then_with(|| a.full_name.cmp(&b.full_name))
            .then_with(|| a.staff_id.cmp(&b.staff_id))
    });
    rated.truncate(limit);
    rated
}

// ---------------------------------------------------------------------------------------------------
// Buckets of time
// ---------------------------------------------------------------------------------------------------

/// Months since the start of year 0: year × 12 + month − 1. Stored beside each round's end date, so
/// SQL cuts buckets with integer division.
pub fn month_index(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 12 + i64::from(date.month0())
}

pub fn months_per(bucket: Bucket) -> i64 {
    match bucket {
        Bucket::Month => 1,
        Bucket::Quarter => 3,
        Bucket::Year => 12,
    }
}

/// The bucket a month index falls in, numbered from year 0 like [`month_index`].
pub fn bucket_index(month_index: i64, bucket: Bucket) -> i64 {
    month_index.div_euclid(months_per(bucket))
}

/// The first day of bucket `index`.
pub fn bucket_start(index: i64, bucket: Bucket) -> NaiveDate {
    let month = index * months_per(bucket);
    let year = i32::try_from(month.div_euclid(12)).unwrap_or(i32::MAX);
    NaiveDate::from_ymd_opt(year, month.rem_euclid(12) as u32 + 1, 1).unwrap_or(NaiveDate::MAX)
}

/// The last day of bucket `index`.
pub fn bucket_end(index: i64, bucket: Bucket) -> NaiveDate {
    let months = Months::new(months_per(bucket) as u32);
    bucket_start(index, bucket)
        .checked_add_months(months)
        .and_then(|next| next.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

/// "2026-03", "2026-Q1", "2026".
pub fn bucket_label(index: i64, bucket: Bucket) -> String {
    let start = bucket_start(index, bucket);
    match bucket {
        Bucket::Month => format!("{:04}-{:02}", start.year(), start.month()),
        Bucket::Quarter => format!("{:04}-Q{}", start.year(), start.month0() / 3 + 1),
        Bucket::Year => format!("{:04}", start.year()),
    }
}

/// The first and last bucket of a report's window: `end` (default `today`) and `start` (default three
/// buckets before the last) widened to whole buckets. `Err` names the field at fault and why: a start
/// after the end, or more than [`MAX_BUCKETS`] buckets.
pub fn window(
    bucket: Bucket,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(i64, i64), (&'static str, String)> {
    let last = bucket_index(month_index(end.unwrap_or(today)), bucket);
    // No bucket before year 1 (0001-01 is month index 12): the window's dates stay ones the API writes.
    let earliest = bucket_index(12, bucket);
    let first = match start {
        Some(start) => bucket_index(month_index(start), bucket),
        None => (last - 3).max(earliest),
    };
    if first > last {
        return Err(("start_date", "must not be after end_date".to_owned()));
    }
    if last - first + 1 > MAX_BUCKETS {
        return Err((
            "start_date",
            format!("the window spans more than {MAX_BUCKETS} buckets; narrow it or use larger buckets"),
        ));
    }
    Ok((first, last))
}

/// One group's buckets of the window `first..=last` that have ratings, oldest first, each with its
/// trend against the bucket right before (which `stats` may hold for `first − 1`, the look-back), and
/// the group's total over the window.
pub fn group_buckets(stats: &BTreeMap<i64, Stats>, first: i64, last: i64) -> (Stats, Vec<BucketReport>) {
    let mut total = Stats::default();
    let mut buckets = Vec::new();
    for (&index, bucket_stats) in stats.range(first..=last) {
        if bucket_stats.ratings == 0 {
            continue;
        }
        total = total + *bucket_stats;
        let previous = stats.get(&(index - 1)).map(Stats::overall);
        buckets.push(BucketReport {
            index,
            stats: *bucket_stats,
            trend: trend(bucket_stats.overall(), previous),
        });
    }
    (total, buckets)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    use super::*;
    use crate::feedback::model::{FeedbackSource, Scores};

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn mean(sum: i64, count: i64) -> Mean {
        Mean { sum, count }
    }

    fn scores(responsiveness: i32, expertise: i32, follow_through: i32) -> Scores {
        Scores {
            responsiveness,
            expertise,
            follow_through,
        }
    }

    fn fields(contact: Option<Uuid>) -> RoundFields {
        RoundFields {
            period_start: date("2026-01-01"),
            period_end: date("2026-03-31"),
            respondent_contact_id: contact,
            respondent_name: String::new(),
            comment: String::new(),
        }
    }

    #[test]
    fn a_second_round_of_the_same_respondent_and_period_is_a_duplicate() {
        let (account, contact, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let broken = duplicate_round(account, &fields(Some(contact)), Some(other)).unwrap();
        assert_eq!(broken.rule, DUPLICATE_FEEDBACK_ROUND);
        assert_eq!(broken.subject, format!("accounts/{account}"));
        assert!(broken.description.contains(&other.to_string()));
        assert_eq!(duplicate_round(account, &fields(Some(contact)), None), None);
        assert_eq!(
            duplicate_round(account, &fields(None), Some(other)),
            None,
            "anonymous answers never duplicate"
        );
    }

    #[test]
    fn the_period_runs_forwards_and_has_begun() {
        let today = date("2026-04-10");
        assert_eq!(fields(None).period_problem(today), None);
        let mut backwards = fields(None);
        backwards.period_end = date("2025-12-31");
        assert_eq!(backwards.period_problem(today).unwrap().0, "period_end");
        let mut ahead = fields(None);
        ahead.period_start = date("2026-04-11");
        ahead.period_end = date("2026-06-30");
        assert_eq!(ahead.period_problem(today).unwrap().0, "period_start");
        ahead.period_start = today;
        assert_eq!(
            ahead.period_problem(today),
            None,
            "a period starting today has begun"
        );
    }

    #[test]
    fn a_rating_keeps_its_department_and_a_new_one_takes_the_persons_now() {
        let (kept, moved_since, newcomer) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let (sales, service) = (Uuid::now_v7(), Uuid::now_v7());
        let previous = vec![Rating {
            staff_id: kept,
            department_id: sales,
            scores: scores(3, 3, 3),
            comment: String::new(),
        }];
        let departments = HashMap::from([(kept, service), (newcomer, service)]);
        let input = |staff_id| RatingInput {
            staff_id,
            scores: scores(4, 0, 2),
            comment: "ok".into(),
        };
        let rated = rate(&previous, &[input(kept), input(newcomer)], &departments).unwrap();
        assert_eq!(
            rated[0].department_id, sales,
            "rated before: where they were then"
        );
        assert_eq!(rated[1].department_id, service);
        assert_eq!(rated[1].scores, scores(4, 0, 2));
        assert_eq!(
            rate(&previous, &[input(moved_since)], &departments),
            Err(moved_since),
            "nobody"
        );
    }

    #[test]
    fn an_import_changes_only_what_differs() {
        let staff = Uuid::now_v7();
        let rating = Rating {
            staff_id: staff,
            department_id: Uuid::now_v7(),
            scores: scores(4, 4, 4),
            comment: String::new(),
        };
        let at = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
        let current = FeedbackRound {
            id: Uuid::now_v7(),
            account_id: Uuid::now_v7(),
            external_id: Some("S-1".into()),
            fields: fields(None),
            source: FeedbackSource::Imported,
            ratings: vec![rating.clone()],
            recorded_by: Uuid::now_v7(),
            create_time: at,
            update_time: at,
            revision: 1,
        };
        let other_department = Rating {
            department_id: Uuid::now_v7(),
            ..rating.clone()
        };
        assert!(changed_fields(&current, &fields(None), &[other_department]).is_empty());
        let mut changed = fields(None);
        changed.comment = "Slow answers".into();
        let lower = Rating {
            scores: scores(4, 4, 3),
            ..rating.clone()
        };
        assert_eq!(
            changed_fields(&current, &changed, &[lower]),
            ["ratings", "comment"]
        );
        assert_eq!(changed_fields(&current, &fields(None), &[]), ["ratings"]);
    }

    #[test]
    fn means_are_exact_decimals_rounded_half_up() {
        assert_eq!(decimal(mean(11, 3)), "3.67");
        assert_eq!(decimal(mean(10, 3)), "3.33");
        assert_eq!(decimal(mean(9, 2)), "4.50");
        assert_eq!(decimal(mean(5, 1)), "5.00");
        // 1/8 = 0.125 rounds up to 0.13; 2.005 = 401/200 rounds up to 2.01.
        assert_eq!(decimal(mean(1, 8)), "0.13");
        assert_eq!(decimal(mean(401, 200)), "2.01");
        assert_eq!(decimal(mean(0, 0)), "");
    }

    #[test]
    fn a_trend_compares_the_exact_means() {
        let up = trend(mean(9, 2), Some(mean(4, 1)));
        assert_eq!((up.direction, up.delta.as_str()), (TrendDirection::Up, "+0.50"));
        assert_eq!(up.previous, Some(mean(4, 1)));
        let down = trend(mean(10, 4), Some(mean(15, 4)));
        assert_eq!(
            (down.direction, down.delta.as_str()),
            (TrendDirection::Down, "-1.25")
        );
        let flat = trend(mean(6, 2), Some(mean(9, 3)));
        assert_eq!(
            (flat.direction, flat.delta.as_str()),
            (TrendDirection::Flat, "0.00")
        );
        // 3.001 against 3: up, though it rounds to nothing.
        let tiny = trend(mean(3001, 1000), Some(mean(3, 1)));
        assert_eq!(
            (tiny.direction, tiny.delta.as_str()),
            (TrendDirection::Up, "+0.00")
        );
        let tiny_down = trend(mean(2999, 1000), Some(mean(3, 1)));
        assert_eq!(
            (tiny_down.direction, tiny_down.delta.as_str()),
            (TrendDirection::Down, "-0.00")
        );
        for missing in [None, Some(mean(0, 0))] {
            let none = trend(mean(4, 1), missing);
            assert_eq!(none.direction, TrendDirection::NoPrevious);
            assert_eq!((none.delta.as_str(), none.previous), ("", None));
        }
    }

    #[test]
    fn the_lowest_rated_come_first_exactly() {
        let person = |name: &str, sum, count| PersonScores {
            staff_id: Uuid::now_v7(),
            full_name: name.into(),
            score: mean(sum, count),
        };
        // 2/3 = 0.67 < 7/10 = 0.7, though both round near each other.
        let people = vec![
            person("Zhang", 7, 10),
            person("Li", 2, 3),
            person("Wang", 5, 1),
            person("Nobody", 0, 0),
            person("Chen", 7, 10),
        ];
        let names: Vec<&str> = lowest_rated(&people, 3)
            .into_iter()
            .map(|p| p.full_name.as_str())
            .collect();
        assert_eq!(names, ["Li", "Chen", "Zhang"]);
    }

    #[test]
    fn buckets_are_months_quarters_and_years() {
        let march = month_index(date("2026-03-15"));
        assert_eq!(march, 2026 * 12 + 2);
        for (bucket, start, end, label) in [
            (Bucket::Month, "2026-03-01", "2026-03-31", "2026-03"),
            (Bucket::Quarter, "2026-01-01", "2026-03-31", "2026-Q1"),
            (Bucket::Year, "2026-01-01", "2026-12-31", "2026"),
        ] {
            let index = bucket_index(march, bucket);
            assert_eq!(bucket_start(index, bucket), date(start));
            assert_eq!(bucket_end(index, bucket), date(end));
            assert_eq!(bucket_label(index, bucket), label);
        }
        let q4 = bucket_index(month_index(date("2025-11-30")), Bucket::Quarter);
        assert_eq!(
            q4 + 1,
            bucket_index(march, Bucket::Quarter),
            "Q4 comes right before Q1"
        );
        assert_eq!(
            bucket_end(
                bucket_index(month_index(date("2024-02-10")), Bucket::Month),
                Bucket::Month
            ),
            date("2024-02-29")
        );
    }

    #[test]
    fn the_window_is_whole_buckets_and_at_most_sixty() {
        let today = date("2026-05-20");
        let q = |d: &str| bucket_index(month_index(date(d)), Bucket::Quarter);
        assert_eq!(
            window(Bucket::Quarter, None, None, today),
            Ok((q("2025-07-01"), q("2026-05-01"))),
            "four quarters by default, this one included"
        );
        assert_eq!(
            window(
                Bucket::Quarter,
                Some(date("2026-02-10")),
                Some(date("2026-02-11")),
                today
            ),
            Ok((q("2026-01-01"), q("2026-01-01")))
        );
        assert_eq!(
            window(
                Bucket::Month,
                Some(date("2026-03-01")),
                Some(date("2026-02-28")),
                today
            )
            .unwrap_err()
            .0,
            "start_date"
        );
        assert!(
            window(
                Bucket::Month,
                Some(date("2021-01-01")),
                Some(date("2025-12-31")),
                today
            )
            .is_ok()
        );
        assert!(
            window(
                Bucket::Month,
                Some(date("2020-12-31")),
                Some(date("2025-12-31")),
                today
            )
            .is_err()
        );
        let (first, last) = window(Bucket::Year, None, Some(date("0001-06-01")), today).unwrap();
        assert_eq!(first, last, "nothing before year 1");
        assert_eq!(bucket_start(first, Bucket::Year), date("0001-01-01"));
    }

    #[test]
    fn a_groups_buckets_trend_against_the_bucket_right_before() {
        let stats = |ratings, sum, count, low| Stats {
            ratings,
            responsiveness: mean(sum, count),
            expertise: Mean::default(),
            follow_through: Mean::default(),
            low_scores: low,
        };
        // The look-back bucket 9, then 10 and 12 (11 has none).
        let by_bucket = BTreeMap::from([
            (9, stats(1, 4, 1, 0)),
            (10, stats(2, 6, 2, 1)),
            (12, stats(1, 5, 1, 0)),
            (13, stats(5, 5, 1, 0)),
        ]);
        let (total, buckets) = group_buckets(&by_bucket, 10, 12);
        assert_eq!(buckets.iter().map(|b| b.index).collect::<Vec<_>>(), [10, 12]);
        assert_eq!(buckets[0].trend.direction, TrendDirection::Down, "3 against 4");
        assert_eq!(buckets[0].trend.delta, "-1.00");
        assert_eq!(
            buckets[1].trend.direction,
            TrendDirection::NoPrevious,
            "11 has none"
        );
        assert_eq!(
            total.ratings, 3,
            "the look-back and later buckets are not counted"
        );
        assert_eq!(total.overall(), mean(11, 3));
        assert_eq!(total.low_scores, 1);
    }

    proptest! {
        /// The decimal is the exact mean within half a hundredth, never more.
        #[test]
        fn a_decimal_is_the_mean_to_the_nearest_hundredth(sum in 0i64..1_000_000, count in 1i64..100_000) {
            let text = decimal(mean(sum, count));
            let (units, hundredths) = text.split_once('.').unwrap();
            prop_assert_eq!(hundredths.len(), 2);
            let shown = units.parse::<i128>().unwrap() * 100 + hundredths.parse::<i128>().unwrap();
            // |shown/100 − sum/count| ≤ 1/200, in integers: |2·shown·count − 200·sum| ≤ count.
            let error = (shown * i128::from(count) * 2 - i128::from(sum) * 200).abs();
            prop_assert!(error <= i128::from(count), "{} for {}/{}", text, sum, count);
        }

        /// A trend's direction agrees with the order of the exact means, and flips when they swap.
        #[test]
        fn a_trend_agrees_with_the_order_of_the_means(a in 0i64..500, ac in 1i64..100, b in 0i64..500, bc in 1i64..100) {
            let forward = trend(mean(a, ac), Some(mean(b, bc)));
            let backward = trend(mean(b, bc), Some(mean(a, ac)));
            let expected = match compare_means(mean(a, ac), mean(b, bc)) {
                Ordering::Greater => TrendDirection::Up,
                Ordering::Less => TrendDirection::Down,
                Ordering::Equal => TrendDirection::Flat,
            };
            prop_assert_eq!(forward.direction, expected);
            let mirrored = match expected {
                TrendDirection::Up => TrendDirection::Down,
                TrendDirection::Down => TrendDirection::Up,
                other => other,
            };
            prop_assert_eq!(backward.direction, mirrored);
            prop_assert_eq!(forward.delta.trim_start_matches(['+', '-']), backward.delta.trim_start_matches(['+', '-']));
        }
    }
}
