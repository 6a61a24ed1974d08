//! Proto enums on the command line: kebab-case names in (`--buying-role decision-maker`), proto names
//! out (`DECISION_MAKER`).
//!
//! Names are looked up in the generated code (`from_str_name`, `as_str_name`), so a value added to the
//! proto is accepted and shown by kamctl without any change here. The values of the newer enums carry
//! their enum's name as a prefix (`ROLE_ADMIN`, since proto3 values share the package scope); kamctl
//! takes and shows them without it (`admin` in, `ADMIN` out), and takes the full name too.

use std::ffi::OsStr;
use std::marker::PhantomData;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::error::ErrorKind;
use kam_proto::v1::{
    Attitude, BuyingRole, CredentialKind, DayOfWeek, ForecastCategory, KeyDateKind, Lifecycle, Outcome,
    Priority, RadStatus, RegionLevel, RelationshipStage, Role, SlaPolicyMatch, SlaTargetKind, StaffLevel,
    TeamRole, Tier, TierReason, account_health, account_plan, competitor_assessment, escalation_step,
    feedback_round, feedback_trend, get_feedback_report_request, health_signal, plan_action,
    segment_grouping, service_request, sla_target, swot_item, whitespace_cell,
};

/// What kamctl needs of a prost-generated enum. The generated methods are inherent, so this trait
/// restates them to make them usable from generic code.
pub trait ProtoEnum: TryFrom<i32> + Into<i32> + Copy + Send + Sync + 'static {
    /// The prefix every value name of the enum starts with (`ROLE_`), or "" for the older enums.
    const PREFIX: &'static str;

    fn as_str_name(&self) -> &'static str;
    fn from_str_name(name: &str) -> Option<Self>;

    /// The value's proto name without [`Self::PREFIX`]: `ADMIN` for `ROLE_ADMIN`.
    fn short_name(&self) -> &'static str {
        let name = self.as_str_name();
        name.strip_prefix(Self::PREFIX).unwrap_or(name)
    }
}

macro_rules! impl_proto_enum {
    ($($ty:ty $(: $prefix:literal)?),* $(,)?) => {$(
        impl ProtoEnum for $ty {
            const PREFIX: &'static str = impl_proto_enum!(@prefix $($prefix)?);

            fn as_str_name(&self) -> &'static str {
                <$ty>::as_str_name(self)
            }
            fn from_str_name(name: &str) -> Option<Self> {
                <$ty>::from_str_name(name)
            }
        }
    )*};
    (@prefix $prefix:literal) => { $prefix };
    (@prefix) => { "" };
}

impl_proto_enum!(
    account_health::Level,
    account_plan::Status,
    Attitude,
    BuyingRole,
    competitor_assessment::ThreatLevel,
    CredentialKind: "CREDENTIAL_KIND_",
    DayOfWeek,
    escalation_step::Trigger,
    feedback_round::Source,
    feedback_trend::Direction,
    ForecastCategory,
    get_feedback_report_request::Bucket,
    get_feedback_report_request::GroupBy,
    health_signal::Kind,
    plan_action::Status,
    Priority,
    service_request::Category,
    service_request::Status,
    sla_target::State,
    SlaPolicyMatch,
    SlaTargetKind,
    KeyDateKind,
    Lifecycle,
    Outcome,
    RadStatus,
    RegionLevel,
    RelationshipStage,
    Role: "ROLE_",
    segment_grouping::Kind,
    StaffLevel,
    swot_item::Kind,
    TeamRole,
    Tier,
    TierReason: "TIER_REASON_",
    whitespace_cell::Status,
);

/// The proto name of `value` without the enum's prefix, or the bare number for a value this build does
/// not know (a newer server may send one).
pub fn name<E: ProtoEnum>(value: i32) -> String {
    E::try_from(value).map_or_else(|_| value.to_string(), |e| e.short_name().to_owned())
}

/// Parses a command-line name of an `E` value: `decision-maker`, or the proto name `DECISION_MAKER`, in
/// any case; for a prefixed enum also with the prefix (`admin`, `ADMIN` and `role-admin` alike).
///
/// The empty string is the UNSPECIFIED value 0, in line with `--region ""`: on update it clears the
/// field, on create and list it is the same as leaving the flag out. Naming UNSPECIFIED explicitly is
/// refused, since it is never a value anyone means to set.
pub fn parse<E: ProtoEnum>(arg: &str) -> Option<i32> {
    if arg.is_empty() {
        return Some(0);
    }
    let proto_name = arg.to_ascii_uppercase().replace('-', "_");
    E::from_str_name(&format!("{}{proto_name}", E::PREFIX))
        .or_else(|| E::from_str_name(&proto_name))
        .map(Into::into)
        .filter(|&value| value != 0)
}

/// The command-line names of the values of `E`, UNSPECIFIED excluded.
///
/// The values of every KAM enum run densely from 1, so counting up to the first unknown number
/// finds them all.
pub fn cli_names<E: ProtoEnum>() -> impl Iterator<Item = String> {
    (1..)
        .map_while(|value| E::try_from(value).ok())
        .map(|e| e.short_name().to_ascii_lowercase().replace('_', "-"))
}

/// A clap value parser producing the `i32` of an `E` value, whose `--help` lists the possible values:
/// `#[arg(long, value_parser = enums::parser::<Lifecycle>())]`.
pub fn parser<E: ProtoEnum>() -> EnumParser<E> {
    EnumParser(PhantomData)
}

#[derive(Debug)]
pub struct EnumParser<E>(PhantomData<fn() -> E>);

// Derived `Clone` would needlessly require `E: Clone` of the marker.
impl<E> Clone for EnumParser<E> {
    fn clone(&self) -> Self {
        EnumParser(PhantomData)
    }
}

impl<E: ProtoEnum> TypedValueParser for EnumParser<E> {
    type Value = i32;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<i32, clap::Error> {
        if let Some(parsed) = value.to_str().and_then(parse::<E>) {
            return Ok(parsed);
        }
        // Let clap's own parser word the error, with the argument name and the possible values. It
        // cannot accept what `parse` refused, as `parse` takes a superset of the listed names.
        let listed = PossibleValuesParser::new(cli_names::<E>().map(PossibleValue::new));
        Err(match listed.parse_ref(cmd, arg, value) {
            Err(err) => err,
            Ok(_) => clap::Error::new(ErrorKind::InvalidValue).with_cmd(cmd),
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(cli_names::<E>().map(PossibleValue::new)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_and_proto_names_parse() {
        assert_eq!(
            parse::<BuyingRole>("decision-maker"),
            Some(BuyingRole::DecisionMaker as i32)
        );
        assert_eq!(
            parse::<BuyingRole>("DECISION_MAKER"),
            Some(BuyingRole::DecisionMaker as i32)
        );
        assert_eq!(
            parse::<RelationshipStage>("strategic-partner"),
            Some(RelationshipStage::StrategicPartner as i32)
        );
        assert_eq!(parse::<Lifecycle>("churned"), Some(Lifecycle::Churned as i32));
    }

    #[test]
    fn team_enums_parse_from_kebab_names() {
        assert_eq!(
            parse::<TeamRole>("account-manager"),
            Some(TeamRole::AccountManager as i32)
        );
        assert_eq!(
            parse::<TeamRole>("executive-sponsor"),
            Some(TeamRole::ExecutiveSponsor as i32)
        );
        assert_eq!(
            parse::<TeamRole>("rnd-partner"),
            Some(TeamRole::RndPartner as i32)
        );
        assert_eq!(
            parse::<StaffLevel>("executive"),
            Some(StaffLevel::Executive as i32)
        );
        assert_eq!(parse::<StaffLevel>("staff"), Some(StaffLevel::Staff as i32));
        assert_eq!(parse::<StaffLevel>("staff-level-unspecified"), None);
        assert_eq!(parse::<TeamRole>("janitor"), None);
        assert_eq!(
            cli_names::<StaffLevel>().collect::<Vec<_>>(),
            ["executive", "manager", "staff"]
        );
        assert_eq!(
            cli_names::<TeamRole>().collect::<Vec<_>>(),
            [
                "executive-sponsor",
                "account-manager",
                "sales-specialist",
                "solution-engineer",
                "service-lead",
                "marketing-partner",
                "logistics-coordinator",
                "rnd-partner",
            ]
        );
        assert_eq!(name::<TeamRole>(TeamRole::ServiceLead as i32), "SERVICE_LEAD");
    }

    #[test]
    fn empty_is_unspecified_but_unspecified_by_name_and_unknown_names_are_refused() {
        assert_eq!(parse::<Lifecycle>(""), Some(0));
        assert_eq!(parse::<Lifecycle>("lifecycle-unspecified"), None);
        assert_eq!(parse::<Lifecycle>("zombie"), None);
        // A value of another enum is not a value of this one.
        assert_eq!(parse::<Lifecycle>("strategic"), None);
    }

    #[test]
    fn cli_names_list_every_value_but_unspecified() {
        assert_eq!(
            cli_names::<Lifecycle>().collect::<Vec<_>>(),
            ["prospect", "active", "dormant", "churned"]
        );
        assert_eq!(
            cli_names::<BuyingRole>().collect::<Vec<_>>(),
            ["decision-maker", "influencer", "user", "gatekeeper", "champion"]
        );
    }

    #[test]
    fn funnel_enums_parse_from_kebab_names() {
        assert_eq!(
            parse::<ForecastCategory>("best-case"),
            Some(ForecastCategory::BestCase as i32)
        );
        assert_eq!(
            parse::<ForecastCategory>("COMMIT"),
            Some(ForecastCategory::Commit as i32)
        );
        assert_eq!(parse::<ForecastCategory>(""), Some(0));
        assert_eq!(
            cli_names::<ForecastCategory>().collect::<Vec<_>>(),
            ["pipeline", "best-case", "commit", "omitted", "closed"]
        );
        assert_eq!(name::<Outcome>(Outcome::Lost as i32), "LOST");
    }

    #[test]
    fn names_are_proto_names_or_the_number() {
        assert_eq!(name::<Tier>(Tier::Strategic as i32), "STRATEGIC");
        assert_eq!(name::<Tier>(0), "TIER_UNSPECIFIED");
        assert_eq!(name::<Tier>(99), "99");
    }

    #[test]
    fn prefixed_enums_are_named_without_their_prefix() {
        assert_eq!(parse::<Role>("admin"), Some(Role::Admin as i32));
        assert_eq!(parse::<Role>("Service-Agent"), Some(Role::ServiceAgent as i32));
        assert_eq!(parse::<Role>("SERVICE_AGENT"), Some(Role::ServiceAgent as i32));
        assert_eq!(parse::<Role>("ROLE_INTEGRATION"), Some(Role::Integration as i32));
        assert_eq!(parse::<Role>("unspecified"), None);
        assert_eq!(parse::<Role>("role-unspecified"), None);
        // A staff level is not a role, though EXECUTIVE and MANAGER are names of both.
        assert_eq!(parse::<Role>("staff"), None);
        assert_eq!(
            cli_names::<Role>().collect::<Vec<_>>(),
            [
                "admin",
                "executive",
                "manager",
                "member",
                "service-agent",
                "integration",
                "regional-manager"
            ]
        );
        assert_eq!(name::<Role>(Role::ServiceAgent as i32), "SERVICE_AGENT");
        assert_eq!(name::<CredentialKind>(CredentialKind::ApiKey as i32), "API_KEY");
        assert_eq!(name::<Role>(0), "UNSPECIFIED");
        assert_eq!(
            name::<TierReason>(TierReason::RevenueShareStrategic as i32),
            "REVENUE_SHARE_STRATEGIC"
        );
    }

    #[test]
    fn clap_rejects_unknown_names_listing_the_possible_ones() {
        let cmd = clap::Command::new("t").arg(
            clap::Arg::new("lifecycle")
                .long("lifecycle")
                .value_parser(parser::<Lifecycle>()),
        );
        let matches = cmd
            .clone()
            .try_get_matches_from(["t", "--lifecycle", "active"])
            .unwrap();
        assert_eq!(
            matches.get_one::<i32>("lifecycle"),
            Some(&(Lifecycle::Active as i32))
        );
        let err = cmd
            .try_get_matches_from(["t", "--lifecycle", "zombie"])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
        assert!(
            err.to_string().contains("prospect, active, dormant, churned"),
            "{err}"
        );
    }
}
