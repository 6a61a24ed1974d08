//! ImportFeedbackRounds: up to a thousand records upserted by external id in one transaction. The
//! references of the whole call (accounts, contacts, staff, the rounds already stored) are read in a few
//! queries; each record is then sorted into new, changed, unchanged or refused, and a refused record
//! does not stop the others.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{
    FEEDBACK_ROUND,
    entity::feedback_round as row_entity,
    rounds::{active_model, delete_ratings, departments_of, insert_ratings, insert_rounds, with_ratings},
};
use crate::{
    accounts::store::{
        account_of_contact, contacts_by_external_id, deletion_states, deletion_states_by_external_id,
    },
    feedback::{
        convert::round_to_proto,
        model::{
            AccountKey, CheckedRecord, ContactKey, FeedbackRound, FeedbackSource, ImportOutcome, RatingInput,
            RecordError, RoundFields, RoundRecord, StaffKey,
        },
        rules,
    },
    platform::{
        audit,
        batch::Refusal,
        bulk::find_by_keys,
        db::{Db, now},
        error::{Error, Result},
        events::Payload,
        request::RequestContext,
    },
    teams::store::staff_by_email,
};

/// The fields an imported round is created with, as its event names them.
const IMPORTED_FIELDS: [&str; 8] = [
    "external_id",
    "account_id",
    "period_start",
    "period_end",
    "respondent_contact_id",
    "respondent_name",
    "ratings",
    "comment",
];

/// Imports `records` (each with its index in the call and its external id as sent, checked or refused
/// by `convert`), in one transaction.
pub async fn import_rounds(
    db: &Db,
    ctx: &RequestContext,
    records: Vec<CheckedRecord>,
) -> Result<ImportOutcome> {
    let mut refused = Vec::new();
    let mut checked = Vec::with_capacity(records.len());
    let mut keys = HashSet::new();
    for (index, external_id, record) in records {
        let refusal = match record {
            Ok(record) if keys.insert(record.external_id.clone()) => {
                checked.push((index, record));
                continue;
            }
            Ok(_) => Refusal::invalid("external_id", "appears twice in this call"),
            Err(violation) => Refusal::invalid(&violation.field, violation.description),
        };
        refused.push(RecordError {
            index,
            external_id,
            refusal,
        });
    }
    let checked = &checked;
    let mut outcome = db
        .write(|txn| async move {
            let txn = &*txn;
            write_batch(txn, ctx, checked).await
        })
        .await?;
    outcome.errors.extend(refused);
    outcome.errors.sort_by_key(|error| error.index);
    Ok(outcome)
}

/// What the records refer to, read for the whole call.
struct References {
    /// By id: whether the account is deleted.
    accounts_by_id: HashMap<Uuid, bool>,
    /// By external id: the account's id and whether it is deleted.
    accounts_by_key: HashMap<String, (Uuid, bool)>,
    /// By id: the contact's account.
    contacts_by_id: HashMap<Uuid, Uuid>,
    /// By external id: the contact's id and account.
    contacts_by_key: HashMap<String, (Uuid, Uuid)>,
    /// By staff id: the person's department now.
    departments: HashMap<Uuid, Uuid>,
    /// By email: the person's id.
    staff_by_email: HashMap<String, Uuid>,
    /// The rounds stored under the records' external ids.
    stored: HashMap<String, FeedbackRound>,
    /// Which round holds each (account, contact, start, end) the records could take.
    slots: HashMap<Slot, Uuid>,
}

/// One respondent contact's answers for one period of one account: at most one round holds it.
type Slot = (Uuid, Uuid, NaiveDate, NaiveDate);

async fn write_batch(
    txn: &impl ConnectionTrait,
    ctx: &RequestContext,
    records: &[(u64, RoundRecord)],
) -> Result<ImportOutcome> {
    let refs = references(txn, records).await?;
    let time = now();
    let mut outcome = ImportOutcome::default();
    let mut taken: HashSet<Slot> = HashSet::new();
    let mut created = Vec::new();
    let mut changed = Vec::new();
    for (index, record) in records {
        match sort_record(record, &refs, &mut taken) {
            Err(refusal) => outcome.errors.push(RecordError {
                index: *index,
                external_id: record.external_id.clone(),
                refusal,
            }),
            Ok(Sorted::Unchanged) => outcome.unchanged += 1,
            Ok(Sorted::New(account_id, fields, ratings)) => created.push(FeedbackRound {
                id: Uuid::now_v7(),
                account_id,
                external_id: Some(record.external_id.clone()),
                fields,
                source: FeedbackSource::Imported,
                ratings,
                recorded_by: ctx.principal.staff_id,
                create_time: time,
                update_time: time,
                revision: 1,
            }),
            Ok(Sorted::Changed(mut round, paths)) => {
                round.update_time = time;
                round.revision += 1;
                changed.push((*round, paths));
            }
        }
    }

    insert_rounds(txn, &created).await?;
    for (round, _) in &changed {
        row_entity::Entity::update(active_model(round))
            .exec(txn)
            .await
            .map_err(Error::contention_on_unique)?;
    }
    let replaced: Vec<Uuid> = changed
        .iter()
        .filter(|(_, paths)| paths.iter().any(|p| p == "ratings"))
        .map(|(round, _)| round.id)
        .collect();
    delete_ratings(txn, &replaced).await?;
    let rerated: Vec<FeedbackRound> = changed
        .iter()
        .filter(|(round, _)| replaced.contains(&round.id))
        .map(|(round, _)| round.clone())
        .collect();
    insert_ratings(txn, &rerated).await?;

    outcome.created = created.len() as u64;
    outcome.updated = changed.len() as u64;
    let written = created
        .into_iter()
        .map(|round| (round, None))
        .chain(
            changed
                .iter()
                .map(|(round, paths)| (round.clone(), Some(paths.as_slice()))),
        )
        .map(|(round, paths)| (round.id, Some(round.account_id), round_to_proto(round), paths));
    let changes = audit::imported(
        FEEDBACK_ROUND,
        [Payload::FeedbackRoundRecorded, Payload::FeedbackRoundUpdated],
        &IMPORTED_FIELDS,
        written,
    );
    audit::record_many(txn, ctx, changes).await?;
    Ok(outcome)
}

/// Where one record goes.
enum Sorted {
    /// A new round of this account.
    New(Uuid, RoundFields, Vec<crate::feedback::model::Rating>),
    Unchanged,
    /// The stored round as the record changes it, and the paths that change.
    Changed(Box<FeedbackRound>, Vec<String>),
}

/// The rules every record must pass, then new, unchanged or changed. `taken` holds the slots the records
/// before this one took.
fn sort_record(
    record: &RoundRecord,
    refs: &References,
    taken: &mut HashSet<Slot>,
) -> Result<Sorted, Refusal> {
    let (account_field, account_id) = account_of(record, refs)?;
    let stored = refs.stored.get(&record.external_id);
    if let Some(stored) = stored
        && stored.account_id != account_id
    {
        return Err(Refusal::rule(
            rules::FEEDBACK_ROUND_ACCOUNT_IMMUTABLE,
            account_field,
            "a feedback round stays with its account; the record names another",
        ));
    }
    let contact = contact_of(record, account_id, refs)?;
    let inputs = record
        .ratings
        .iter()
        .enumerate()
        .map(|(i, rating)| {
            let staff_id = match &rating.staff {
                StaffKey::Id(id) if refs.departments.contains_key(id) => *id,
                StaffKey::Id(id) => {
                    return Err(Refusal::not_found(
                        &format!("ratings[{i}].staff_id"),
                        format!("no staff member has id {id}"),
                    ));
                }
                StaffKey::Email(email) => *refs.staff_by_email.get(email).ok_or_else(|| {
                    Refusal::not_found(
                        &format!("ratings[{i}].staff_email"),
                        format!("no staff member has email {email:?}"),
                    )
                })?,
            };
            Ok(RatingInput {
                staff_id,
                scores: rating.scores,
                comment: rating.comment.clone(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen = HashSet::new();
    if let Some(twice) = inputs.iter().position(|r| !seen.insert(r.staff_id)) {
        return Err(Refusal::invalid(
            &format!("ratings[{twice}]"),
            "rated twice in the round (by id and by email)",
        ));
    }
    let fields = RoundFields {
        period_start: record.period_start,
        period_end: record.period_end,
        respondent_contact_id: contact,
        respondent_name: record.respondent_name.clone(),
        comment: record.comment.clone(),
    };
    let previous = stored.map(|round| round.ratings.as_slice()).unwrap_or_default();
    let ratings = rules::rate(previous, &inputs, &refs.departments)
        .map_err(|missing| Refusal::not_found("ratings", format!("no staff member has id {missing}")))?;
    if let Some(stored) = stored {
        let paths = rules::changed_fields(stored, &fields, &ratings);
        if paths.is_empty() {
            return Ok(Sorted::Unchanged);
        }
        claim_slot(account_id, stored.id, &fields, refs, taken)?;
        let mut round = stored.clone();
        round.fields = fields;
        round.ratings = ratings;
        return Ok(Sorted::Changed(Box::new(round), paths));
    }
    claim_slot(account_id, Uuid::nil(), &fields, refs, taken)?;
    Ok(Sorted::New(account_id, fields, ratings))
}

/// The record's account, live, and the field that named it.
fn account_of(record: &RoundRecord, refs: &References) -> Result<(&'static str, Uuid), Refusal> {
    let (field, found) = match &record.account {
        AccountKey::Id(id) => (
            "account_id",
            refs.accounts_by_id.get(id).map(|deleted| (*id, *deleted)),
        ),
        AccountKey::ExternalId(key) => ("account_external_id", refs.accounts_by_key.get(key).copied()),
    };
    match found {
        None => Err(Refusal::not_found(field, "no such account")),
        Some((_, true)) => Err(Refusal::rule("ACCOUNT_DELETED", field, "the account is deleted")),
        Some((id, false)) => Ok((field, id)),
    }
}

/// The record's respondent contact, a contact of `account_id`.
fn contact_of(record: &RoundRecord, account_id: Uuid, refs: &References) -> Result<Option<Uuid>, Refusal> {
    let not_of_account = |field: &str| {
        Refusal::rule(
            "CONTACT_NOT_OF_ACCOUNT",
            field,
            "the respondent is not a contact of the round's account",
        )
    };
    match &record.respondent {
        None => Ok(None),
        // An unknown contact id answers as another account's does (as CreateFeedbackRound answers it).
        Some(ContactKey::Id(id)) => match refs.contacts_by_id.get(id) {
            Some(account) if *account == account_id => Ok(Some(*id)),
            _ => Err(not_of_account("respondent_contact_id")),
        },
        Some(ContactKey::ExternalId(key)) => match refs.contacts_by_key.get(key) {
            None => Err(Refusal::not_found(
                "respondent_contact_external_id",
                format!("no contact has external id {key:?}"),
            )),
            Some((id, account)) if *account == account_id => Ok(Some(*id)),
            Some(_) => Err(not_of_account("respondent_contact_external_id")),
        },
    }
}

/// DUPLICATE_FEEDBACK_ROUND unless round `round_id` may hold the respondent's period: no other stored
/// round holds it, and no record before this one took it. A round moving out of a slot in the same call
/// does not free it for another: the call stays free of conflicts in any order of writes.
fn claim_slot(
    account_id: Uuid,
    round_id: Uuid,
    fields: &RoundFields,
    refs: &References,
    taken: &mut HashSet<Slot>,
) -> Result<(), Refusal> {
    let Some(contact) = fields.respondent_contact_id else {
        return Ok(());
    };
    let slot = (account_id, contact, fields.period_start, fields.period_end);
    let holder = refs
        .slots
        .get(&slot)
        .copied()
        .filter(|holder| *holder != round_id);
    let other = holder.or_else(|| taken.contains(&slot).then_some(Uuid::nil()));
    if let Some(broken) = rules::duplicate_round(account_id, fields, other) {
        let description = match holder {
            Some(_) => broken.description,
            None => "an earlier record of this call holds the same respondent and period".to_owned(),
        };
        return Err(Refusal::rule(broken.rule, "", &description));
    }
    taken.insert(slot);
    Ok(())
}

async fn references(conn: &impl ConnectionTrait, records: &[(u64, RoundRecord)]) -> Result<References> {
    let mut account_ids = Vec::new();
    let mut account_keys = Vec::new();
    let mut contact_ids = HashSet::new();
    let mut contact_keys = Vec::new();
    let mut staff_ids = Vec::new();
    let mut emails = Vec::new();
    for (_, record) in records {
        match &record.account {
            AccountKey::Id(id) => account_ids.push(*id),
            AccountKey::ExternalId(key) => account_keys.push(key.as_str()),
        }
        match &record.respondent {
            Some(ContactKey::Id(id)) => {
                contact_ids.insert(*id);
            }
            Some(ContactKey::ExternalId(key)) => contact_keys.push(key.as_str()),
            None => {}
        }
        for rating in &record.ratings {
            match &rating.staff {
                StaffKey::Id(id) => staff_ids.push(*id),
                StaffKey::Email(email) => emails.push(email.as_str()),
            }
        }
    }
    let staff_by_email: HashMap<String, Uuid> = staff_by_email(conn, &emails)
        .await?
        .into_iter()
        .map(|(email, (id, _active))| (email, id))
        .collect();
    staff_ids.extend(staff_by_email.values().copied());
    let mut contacts_by_id = HashMap::with_capacity(contact_ids.len());
    for id in contact_ids {
        if let Some(account) = account_of_contact(conn, id).await? {
            contacts_by_id.insert(id, account);
        }
    }
    let keys: Vec<&str> = records.iter().map(|(_, r)| r.external_id.as_str()).collect();
    let rows = find_by_keys::<row_entity::Entity>(conn, row_entity::Column::ExternalId, &keys).await?;
    let stored: HashMap<String, FeedbackRound> = with_ratings(conn, rows)
        .await?
        .into_iter()
        .filter_map(|round| Some((round.external_id.clone()?, round)))
        .collect();
    staff_ids.extend(stored.values().flat_map(|r| r.ratings.iter().map(|g| g.staff_id)));
    let contacts_by_key = contacts_by_external_id(conn, &contact_keys).await?;
    let respondents: Vec<Uuid> = contacts_by_id
        .keys()
        .copied()
        .chain(contacts_by_key.values().map(|(id, _)| *id))
        .collect();
    Ok(References {
        accounts_by_id: deletion_states(conn, &account_ids).await?,
        accounts_by_key: deletion_states_by_external_id(conn, &account_keys).await?,
        contacts_by_id,
        contacts_by_key,
        departments: departments_of(conn, staff_ids).await?,
        staff_by_email,
        stored,
        slots: slots_of(conn, &respondents).await?,
    })
}

/// Which round holds each (account, contact, period) of the respondents `contacts`.
async fn slots_of(conn: &impl ConnectionTrait, contacts: &[Uuid]) -> Result<HashMap<Slot, Uuid>> {
    use row_entity::Column as C;
    let mut slots = HashMap::new();
    for chunk in contacts.chunks(500) {
        let rows: Vec<(Uuid, Uuid, Option<Uuid>, NaiveDate, NaiveDate)> = row_entity::Entity::find()
            .select_only()
            .columns([
                C::Id,
                C::AccountId,
                C::RespondentContactId,
                C::PeriodStart,
                C::PeriodEnd,
            ])
            .filter(C::RespondentContactId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        for (id, account, contact, start, end) in rows {
            if let Some(contact) = contact {
                slots.insert((account, contact, start, end), id);
            }
        }
    }
    Ok(slots)
}
