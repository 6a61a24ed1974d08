//! `kamctl contacts ...`: the people at an account (the key-person dossier), through
//! kam.v1.AccountService.

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use kam_proto::v1::{
    Attitude, BuyingRole, Contact, CreateContactRequest, Date, DeleteContactRequest, DeleteContactResponse,
    GetContactRequest, KeyDate, KeyDateKind, ListContactsRequest, ListContactsResponse, Man,
    UpdateContactRequest,
};
use serde::{Serialize, Serializer};

use crate::Global;
use crate::client::{self, AccountClient, PageArgs};
use crate::enums;
use crate::error::Error;
use crate::mask::MaskBuilder;
use crate::output::{self, Render, Table, key_values};
use crate::retry;

#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Create a contact at an account.
    Create(CreateArgs),
    /// Show one contact.
    Get(IdArgs),
    /// List contacts: one page, or every page with --all.
    List(ListArgs),
    /// Change the fields given as flags; `--FIELD ""` clears a field.
    Update(UpdateArgs),
    /// Delete a contact for good (it is personal data); those who reported to it lose that link.
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The contact id.
    id: String,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The contact id.
    id: String,

    /// Delete only if the contact is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The account the person works at.
    #[arg(long, value_name = "ID")]
    account: String,

    /// Full name, 1 to 200 characters.
    #[arg(long)]
    name: String,

    #[command(flatten)]
    fields: ContactFields,

    /// A UUID making the call idempotent: a retry with the same id returns the first result.
    #[arg(long, value_name = "UUID")]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The contact id.
    id: String,

    /// Full name, 1 to 200 characters.
    #[arg(long)]
    name: Option<String>,

    #[command(flatten)]
    fields: ContactFields,

    /// Update only if the contact is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

/// The writable fields other than the name, which create requires and update does not. The account
/// is not among them: a contact never moves to another account.
///
/// Yes/no fields take an optional value: `--has-money` alone means true, and `--has-money false`
/// lets update turn it off.
#[derive(Debug, Args)]
struct ContactFields {
    /// Job title.
    #[arg(long)]
    title: Option<String>,

    /// Department at the customer.
    #[arg(long)]
    department: Option<String>,

    /// The role the person plays in buying decisions.
    #[arg(long, value_name = "ROLE", value_parser = enums::parser::<BuyingRole>())]
    buying_role: Option<i32>,

    /// The person's attitude towards us.
    #[arg(long, value_parser = enums::parser::<Attitude>())]
    attitude: Option<i32>,

    /// Relationship strength from 1 (weak) to 5 (strong); 0 means not assessed.
    #[arg(long = "strength", value_name = "0-5", value_parser = clap::value_parser!(i32).range(0..=5))]
    relationship_strength: Option<i32>,

    /// The contact at the same account this person reports to.
    #[arg(long = "reports-to", value_name = "CONTACT_ID")]
    reports_to_contact_id: Option<String>,

    /// Email address.
    #[arg(long)]
    email: Option<String>,

    /// Phone number, in any format.
    #[arg(long)]
    phone: Option<String>,

    /// Free-text notes about the person, up to 10000 characters.
    #[arg(long)]
    notes: Option<String>,

    /// MAN qualification: the person holds the Money.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    has_money: Option<bool>,

    /// MAN qualification: the person has the Authority to decide.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    has_authority: Option<bool>,

    /// MAN qualification: the person has the Need.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    has_need: Option<bool>,

    /// Birthday: YYYY-MM-DD, or MM-DD when the year is unknown; "" removes it. The person's other key
    /// dates are kept.
    #[arg(long, value_name = "DATE", value_parser = parse_birthday)]
    birthday: Option<Birthday>,

    /// The ERP's key of the contact, unique among contacts.
    #[arg(long)]
    external_id: Option<String>,

    /// Whether the person is still in their role at the customer [default on create: true].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    active: Option<bool>,
}

/// The `--birthday` value: a date, or `None` to remove the birthday.
#[derive(Debug, Clone, PartialEq)]
struct Birthday(Option<Date>);

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the contacts of this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    /// Case-insensitive substring of the full name.
    #[arg(long)]
    query: Option<String>,

    /// Only the contacts with this buying role.
    #[arg(long, value_name = "ROLE", value_parser = enums::parser::<BuyingRole>())]
    buying_role: Option<i32>,

    /// Include contacts no longer active.
    #[arg(long)]
    show_inactive: bool,

    /// full_name or create_time, each optionally followed by " desc" [default: creation order].
    #[arg(long, value_name = "ORDER")]
    order_by: Option<String>,

    #[command(flatten)]
    paging: PageArgs,
}

pub async fn run(command: ContactsCommand, global: &Global) -> Result<(), Error> {
    let contact = match command {
        ContactsCommand::List(args) => return list(args, global).await,
        ContactsCommand::Delete(args) => return delete(args, global).await,
        ContactsCommand::Create(args) => {
            let request = args.into_request();
            client::accounts(global)
                .await?
                .create_contact(retry::idempotent(request))
                .await?
                .into_inner()
        }
        ContactsCommand::Get(IdArgs { id }) => {
            let request = GetContactRequest { id };
            client::accounts(global)
                .await?
                .get_contact(request)
                .await?
                .into_inner()
        }
        ContactsCommand::Update(args) => update(args, global).await?,
    };
    Ok(output::print(&contact, global.json)?)
}

async fn list(args: ListArgs, global: &Global) -> Result<(), Error> {
    let mut client = client::accounts(global).await?;
    let PageArgs {
        page_size,
        page_token,
        all,
    } = args.paging;
    let filter = ListContactsRequest {
        page_size: page_size.unwrap_or_default(),
        page_token: String::new(),
        account_id: args.account.unwrap_or_default(),
        query: args.query.unwrap_or_default(),
        buying_role: args.buying_role.unwrap_or_default(),
        show_inactive: args.show_inactive,
        order_by: args.order_by.unwrap_or_default(),
        segments: None,
    };
    let fetch = async |page_token| {
        let request = ListContactsRequest {
            page_token,
            ..filter.clone()
        };
        Ok(client.list_contacts(request).await?.into_inner())
    };
    let contacts = client::fetch_pages(page_token.unwrap_or_default(), all, fetch).await?;
    Ok(output::print(&contacts, global.json)?)
}

async fn update(args: UpdateArgs, global: &Global) -> Result<Contact, Error> {
    let birthday = args.fields.birthday.clone();
    // Built before connecting, so that an update that changes nothing fails at once.
    let mut request = args.into_request()?;
    let mut client = client::accounts(global).await?;
    if let (Some(Birthday(birthday)), Some(contact)) = (birthday, request.contact.as_mut()) {
        keep_stored_key_dates(&mut client, contact, birthday).await?;
    }
    Ok(client.update_contact(request).await?.into_inner())
}

/// Puts `birthday` among the contact's stored key dates.
///
/// `key_dates` is replaced as a whole on update, and kamctl can only set the birthday, so sending just
/// the birthday would erase the anniversaries and other dates someone else recorded. Unless the user
/// gave an etag, the stored one guards the update: should the key dates change between this read and
/// the write, the server answers ABORTED instead of the change being lost.
async fn keep_stored_key_dates(
    client: &mut AccountClient,
    contact: &mut Contact,
    birthday: Option<Date>,
) -> Result<(), Error> {
    let request = GetContactRequest {
        id: contact.id.clone(),
    };
    let stored = client.get_contact(request).await?.into_inner();
    contact.key_dates = with_birthday(stored.key_dates, birthday);
    if contact.etag.is_empty() {
        contact.etag = stored.etag;
    }
    Ok(())
}

async fn delete(args: DeleteArgs, global: &Global) -> Result<(), Error> {
    let request = DeleteContactRequest {
        id: args.id.clone(),
        etag: args.etag.unwrap_or_default(),
    };
    let response = client::accounts(global)
        .await?
        .delete_contact(request)
        .await?
        .into_inner();
    Ok(output::print(
        &Deleted {
            id: args.id,
            response,
        },
        global.json,
    )?)
}

/// The result of a delete: the (empty) response as JSON, a confirmation naming the contact for people.
struct Deleted {
    id: String,
    response: DeleteContactResponse,
}

impl Serialize for Deleted {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.response.serialize(serializer)
    }
}

impl Render for Deleted {
    fn human(&self) -> String {
        format!("deleted contact {}\n", self.id)
    }
}

impl CreateArgs {
    fn into_request(self) -> CreateContactRequest {
        let mut contact = Contact {
            account_id: self.account,
            full_name: self.name,
            ..Default::default()
        };
        self.fields.apply(&mut contact, &mut MaskBuilder::default());
        CreateContactRequest {
            contact: Some(contact),
            request_id: retry::new_request_id(self.request_id),
        }
    }
}

impl UpdateArgs {
    /// The request writing exactly the fields given as flags, with an update mask naming them. A
    /// birthday is the only key date in it; `update` merges in the stored ones.
    fn into_request(self) -> Result<UpdateContactRequest, Error> {
        let mut contact = Contact {
            id: self.id,
            etag: self.etag.unwrap_or_default(),
            ..Default::default()
        };
        let mut mask = MaskBuilder::default();
        mask.set("full_name", &mut contact.full_name, self.name);
        self.fields.apply(&mut contact, &mut mask);
        if mask.is_empty() {
            return Err(Error::Usage(
                "nothing to update: give at least one field, e.g. --title or --active false".to_owned(),
            ));
        }
        Ok(UpdateContactRequest {
            contact: Some(contact),
            update_mask: Some(mask.build()),
        })
    }
}

impl ContactFields {
    /// Writes the fields given into `contact` and names them in `mask` (paths as in
    /// UpdateContactRequest). The MAN flags are named one by one (`man.has_money`), so setting one
    /// leaves the other two as stored.
    fn apply(self, contact: &mut Contact, mask: &mut MaskBuilder) {
        mask.set("external_id", &mut contact.external_id, self.external_id);
        mask.set("title", &mut contact.title, self.title);
        mask.set("department", &mut contact.department, self.department);
        mask.set("buying_role", &mut contact.buying_role, self.buying_role);
        mask.set("attitude", &mut contact.attitude, self.attitude);
        mask.set(
            "relationship_strength",
            &mut contact.relationship_strength,
            self.relationship_strength,
        );
        mask.set(
            "reports_to_contact_id",
            &mut contact.reports_to_contact_id,
            self.reports_to_contact_id,
        );
        mask.set("email", &mut contact.email, self.email);
        mask.set("phone", &mut contact.phone, self.phone);
        mask.set("notes", &mut contact.notes, self.notes);
        mask.set("active", &mut contact.active, self.active.map(Some));
        if self.has_money.is_some() || self.has_authority.is_some() || self.has_need.is_some() {
            let man = contact.man.get_or_insert_with(Man::default);
            mask.set("man.has_money", &mut man.has_money, self.has_money);
            mask.set("man.has_authority", &mut man.has_authority, self.has_authority);
            mask.set("man.has_need", &mut man.has_need, self.has_need);
        }
        if let Some(Birthday(birthday)) = self.birthday {
            contact.key_dates = with_birthday(std::mem::take(&mut contact.key_dates), birthday);
            mask.add("key_dates");
        }
    }
}

/// `key_dates` with its birthday replaced by `birthday` (or removed, for `None`). The other dates
/// stay, and so does the order: a new birthday takes the place of the old one, or goes last.
fn with_birthday(mut key_dates: Vec<KeyDate>, birthday: Option<Date>) -> Vec<KeyDate> {
    let is_birthday = |key_date: &KeyDate| key_date.kind == KeyDateKind::Birthday as i32;
    // Found before removing: the dates ahead of the first birthday do not move.
    let position = key_dates.iter().position(is_birthday);
    key_dates.retain(|key_date| !is_birthday(key_date));
    if let Some(date) = birthday {
        let birthday = KeyDate {
            kind: KeyDateKind::Birthday as i32,
            label: String::new(),
            date: Some(date),
            one_time: false,
        };
        key_dates.insert(position.unwrap_or(key_dates.len()), birthday);
    }
    key_dates
}

/// Parses `--birthday`: a date, or "" to remove the birthday.
fn parse_birthday(text: &str) -> Result<Birthday, String> {
    if text.is_empty() {
        return Ok(Birthday(None));
    }
    parse_date(text).map(|date| Birthday(Some(date)))
}

/// Parses `YYYY-MM-DD`, or `MM-DD` for a date whose year is unknown (proto `year` 0), refusing days
/// that do not exist. Without a year, 29 February is allowed: some years have it.
fn parse_date(text: &str) -> Result<Date, String> {
    let invalid =
        || format!("`{text}` is not a date; expected YYYY-MM-DD, or MM-DD when the year is unknown");
    let parts = text
        .split('-')
        .map(digits)
        .collect::<Option<Vec<u32>>>()
        .ok_or_else(invalid)?;
    let (year, month, day) = match parts[..] {
        [year, month, day] if (1..=9999).contains(&year) => (year, month, day),
        [month, day] => (0, month, day),
        _ => return Err(invalid()),
    };
    // 2000 is a leap year, so it accepts every month and day that exist in some year.
    let check_year = if year == 0 { 2000 } else { year };
    NaiveDate::from_ymd_opt(check_year as i32, month, day).ok_or_else(invalid)?;
    Ok(Date {
        year: year as i32,
        month: month as i32,
        day: day as i32,
    })
}

/// A run of one to four ASCII digits. (`str::parse` alone would also take a leading `+`.)
fn digits(text: &str) -> Option<u32> {
    let all_digits = !text.is_empty() && text.len() <= 4 && text.bytes().all(|b| b.is_ascii_digit());
    all_digits.then(|| text.parse().ok()).flatten()
}

/// `YYYY-MM-DD`, or `MM-DD` for a date without a year, as `--birthday` takes it.
fn format_date(date: &Date) -> String {
    if date.year == 0 {
        format!("{:02}-{:02}", date.month, date.day)
    } else {
        format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
    }
}

/// One line per key date: kind, label (for OTHER) and date.
fn format_key_dates(key_dates: &[KeyDate]) -> String {
    let lines: Vec<String> = key_dates
        .iter()
        .map(|key_date| {
            let mut line = enums::name::<KeyDateKind>(key_date.kind);
            if !key_date.label.is_empty() {
                line.push_str(&format!(" ({})", key_date.label));
            }
            line.push(' ');
            line.push_str(&key_date.date.as_ref().map(format_date).unwrap_or_default());
            line
        })
        .collect();
    lines.join("\n")
}

fn format_active(active: Option<bool>) -> String {
    active.map(|active| active.to_string()).unwrap_or_default()
}

client::impl_page!(ListContactsResponse, contacts);

impl Render for Contact {
    fn human(&self) -> String {
        let man = self.man.unwrap_or_default();
        key_values(&[
            ("id", self.id.clone()),
            ("account_id", self.account_id.clone()),
            ("external_id", self.external_id.clone()),
            ("full_name", self.full_name.clone()),
            ("title", self.title.clone()),
            ("department", self.department.clone()),
            ("buying_role", enums::name::<BuyingRole>(self.buying_role)),
            ("attitude", enums::name::<Attitude>(self.attitude)),
            ("relationship_strength", self.relationship_strength.to_string()),
            ("reports_to_contact_id", self.reports_to_contact_id.clone()),
            ("man.has_money", man.has_money.to_string()),
            ("man.has_authority", man.has_authority.to_string()),
            ("man.has_need", man.has_need.to_string()),
            ("key_dates", format_key_dates(&self.key_dates)),
            ("email", self.email.clone()),
            ("phone", self.phone.clone()),
            ("notes", self.notes.clone()),
            ("active", format_active(self.active)),
            ("create_time", output::timestamp(self.create_time.as_ref())),
            ("update_time", output::timestamp(self.update_time.as_ref())),
            ("etag", self.etag.clone()),
        ])
    }
}

impl Render for ListContactsResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["ID", "ACCOUNT", "NAME", "TITLE", "ROLE", "ACTIVE"]);
        for contact in &self.contacts {
            table.push(vec![
                contact.id.clone(),
                contact.account_id.clone(),
                contact.full_name.clone(),
                contact.title.clone(),
                enums::name::<BuyingRole>(contact.buying_role),
                format_active(contact.active),
            ]);
        }
        let mut text = table.render();
        if !self.next_page_token.is_empty() {
            text.push_str(&format!("next page: {}\n", self.next_page_token));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::{Cli, Command};

    fn parse(args: &[&str]) -> ContactsCommand {
        let cli = Cli::try_parse_from([&["kamctl", "contacts"], args].concat()).unwrap();
        match cli.command {
            Command::Contacts(command) => command,
            other => panic!("not a contacts command: {other:?}"),
        }
    }

    fn update_request(args: &[&str]) -> Result<UpdateContactRequest, Error> {
        match parse(&[&["update", "c-1"], args].concat()) {
            ContactsCommand::Update(args) => args.into_request(),
            other => panic!("not an update: {other:?}"),
        }
    }

    fn date(year: i32, month: i32, day: i32) -> Date {
        Date { year, month, day }
    }

    #[test]
    fn dates_with_and_without_year_parse() {
        assert_eq!(parse_date("1980-05-17"), Ok(date(1980, 5, 17)));
        assert_eq!(parse_date("05-17"), Ok(date(0, 5, 17)));
        assert_eq!(parse_date("02-29"), Ok(date(0, 2, 29)));
        assert_eq!(parse_date("2024-02-29"), Ok(date(2024, 2, 29)));
    }

    #[test]
    fn impossible_or_malformed_dates_are_refused() {
        for text in [
            "2023-02-29",
            "04-31",
            "13-01",
            "0000-05-17",
            "1980-5",
            "17.05.1980",
            "+5-17",
            "",
            "1980-05-17-1",
        ] {
            assert!(parse_date(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn dates_print_as_they_are_typed() {
        assert_eq!(format_date(&date(1980, 5, 7)), "1980-05-07");
        assert_eq!(format_date(&date(0, 12, 24)), "12-24");
    }

    #[test]
    fn update_mask_names_exactly_the_flags_given() {
        let request = update_request(&[
            "--title",
            "",
            "--buying-role",
            "champion",
            "--active",
            "false",
            "--has-need",
        ])
        .unwrap();
        assert_eq!(
            request.update_mask.unwrap().paths,
            ["title", "buying_role", "active", "man.has_need"]
        );
        let contact = request.contact.unwrap();
        assert_eq!(contact.id, "c-1");
        assert_eq!(contact.buying_role, BuyingRole::Champion as i32);
        assert_eq!(contact.active, Some(false));
        assert!(contact.man.unwrap().has_need);
    }

    #[test]
    fn birthday_sets_the_key_dates_and_an_empty_one_removes_it() {
        let request = update_request(&["--birthday", "05-17"]).unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["key_dates"]);
        assert_eq!(request.contact.unwrap().key_dates[0].date, Some(date(0, 5, 17)));

        let request = update_request(&["--birthday", ""]).unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["key_dates"]);
        assert!(request.contact.unwrap().key_dates.is_empty());
    }

    #[test]
    fn an_update_without_fields_is_a_usage_error() {
        assert!(matches!(update_request(&[]), Err(Error::Usage(_))));
    }

    #[test]
    fn with_birthday_keeps_the_other_key_dates_in_place() {
        let key_date = |kind: KeyDateKind, date: Date| KeyDate {
            kind: kind as i32,
            label: String::new(),
            date: Some(date),
            one_time: false,
        };
        let anniversary = key_date(KeyDateKind::WorkAnniversary, date(2015, 3, 1));
        let old_birthday = key_date(KeyDateKind::Birthday, date(0, 1, 1));
        let new_birthday = key_date(KeyDateKind::Birthday, date(1980, 5, 17));

        let replaced = with_birthday(vec![old_birthday, anniversary.clone()], Some(date(1980, 5, 17)));
        assert_eq!(replaced, [new_birthday.clone(), anniversary.clone()]);

        let removed = with_birthday(replaced, None);
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0], anniversary);

        let added = with_birthday(removed, Some(date(1980, 5, 17)));
        assert_eq!(added, [anniversary, new_birthday]);
    }

    #[test]
    fn create_fills_the_contact_from_the_flags() {
        let ContactsCommand::Create(args) = parse(&[
            "create",
            "--account",
            "a-1",
            "--name",
            "Ada",
            "--has-money",
            "--strength",
            "4",
            "--birthday",
            "1980-05-17",
        ]) else {
            panic!("not a create");
        };
        let contact = args.into_request().contact.unwrap();
        assert_eq!(
            (contact.account_id.as_str(), contact.full_name.as_str()),
            ("a-1", "Ada")
        );
        assert_eq!(
            contact.man,
            Some(Man {
                has_money: true,
                has_authority: false,
                has_need: false
            })
        );
        assert_eq!(contact.relationship_strength, 4);
        assert_eq!(contact.key_dates.len(), 1);
        assert_eq!(contact.active, None, "left to the server's default");
    }

    #[test]
    fn strength_outside_0_to_5_is_a_usage_error() {
        let err =
            Cli::try_parse_from(["kamctl", "contacts", "update", "c-1", "--strength", "6"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn list_table_shows_one_row_per_contact() {
        let response = ListContactsResponse {
            contacts: vec![Contact {
                id: "c1".into(),
                account_id: "a1".into(),
                full_name: "Ada Lovelace".into(),
                title: "CTO".into(),
                buying_role: BuyingRole::DecisionMaker as i32,
                active: Some(true),
                ..Default::default()
            }],
            next_page_token: String::new(),
        };
        assert_eq!(
            response.human(),
            "ID  ACCOUNT  NAME          TITLE  ROLE            ACTIVE\n\
             c1  a1       Ada Lovelace  CTO    DECISION_MAKER  true\n"
        );
    }
}
