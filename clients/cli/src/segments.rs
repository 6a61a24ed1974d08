//! `kamctl industries ...` and `kamctl regions ...`: the two trees of segments accounts are organised
//! by, through kam.v1.SegmentService; and the segment filter (`--industry CODE`, `--region CODE`) and
//! grouping (`--group-by industry|region`, `--rollup N`) flags the reports share.

use std::collections::{BTreeMap, HashSet};

use clap::{Args, Subcommand};
use kam_proto::pbjson_types::Timestamp;
use kam_proto::v1::segment_service_client::SegmentServiceClient;
use kam_proto::v1::{
    CreateIndustryRequest, CreateRegionRequest, DeleteIndustryRequest, DeleteRegionRequest,
    GetIndustryRequest, GetRegionRequest, Industry, ListIndustriesRequest, ListIndustriesResponse,
    ListRegionsRequest, ListRegionsResponse, Region, RegionLevel, SegmentFilter, SegmentGrouping, SegmentKey,
    UpdateIndustryRequest, UpdateRegionRequest, segment_grouping,
};
use serde::{Serialize, Serializer};

use crate::Global;
use crate::client::{self, PageArgs};
use crate::enums;
use crate::error::Error;
use crate::mask::MaskBuilder;
use crate::output::{self, Render, Table, key_values};

#[derive(Debug, Subcommand)]
pub enum IndustriesCommand {
    /// List industries as a tree (each below its parent, indented): one page, or every page with --all.
    List(ListArgs),
    /// Show one industry.
    Get(CodeArgs),
    /// Create an industry.
    Create(CreateArgs),
    /// Change the fields given as flags; `--FIELD ""` clears a field (`--parent ""` makes it top-level).
    Update(UpdateArgs),
    /// Delete an industry; refused while an industry lies below it or a live account names it.
    Delete(DeleteArgs),
}

#[derive(Debug, Subcommand)]
pub enum RegionsCommand {
    /// List regions as a tree (each below its parent, indented): one page, or every page with --all.
    List(RegionListArgs),
    /// Show one region.
    Get(CodeArgs),
    /// Create a region.
    Create(RegionCreateArgs),
    /// Change the fields given as flags; `--FIELD ""` clears a field (`--parent ""` makes it top-level).
    Update(RegionUpdateArgs),
    /// Delete a region; refused while a region lies below it or a live account names it.
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
pub struct CodeArgs {
    /// The segment's code.
    code: String,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The segment's code.
    code: String,

    /// Delete only if the segment is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the segments directly below this one (with --descendants: at any depth below it).
    #[arg(long, value_name = "CODE")]
    parent: Option<String>,

    /// With --parent: every segment below it, not only the direct children.
    #[arg(long, requires = "parent")]
    descendants: bool,

    /// Case-insensitive substring of the code, a name or an alias.
    #[arg(long)]
    query: Option<String>,

    /// Only the segments this staff member manages.
    #[arg(long, value_name = "STAFF_ID")]
    manager: Option<String>,

    #[command(flatten)]
    paging: PageArgs,
}

#[derive(Debug, Args)]
pub struct RegionListArgs {
    #[command(flatten)]
    list: ListArgs,

    /// Only the regions of this level.
    #[arg(long, value_parser = enums::parser::<RegionLevel>())]
    level: Option<i32>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The code, 1 to 32 of A-Z, a-z, 0-9, '.', '_', '-'; never changed afterwards.
    code: String,

    /// English name, 1 to 200 characters.
    #[arg(long)]
    name: String,

    /// Chinese name.
    #[arg(long)]
    name_zh: Option<String>,

    /// The code of the broader segment [default: top-level].
    #[arg(long, value_name = "CODE")]
    parent: Option<String>,

    /// Another spelling the accounts' free text uses for it; repeatable.
    #[arg(long = "alias", value_name = "NAME")]
    aliases: Vec<String>,

    /// A staff member responsible for it; repeatable.
    #[arg(long = "manager", value_name = "STAFF_ID")]
    managers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RegionCreateArgs {
    #[command(flatten)]
    create: CreateArgs,

    /// How far down the tree the region lies.
    #[arg(long, value_parser = enums::parser::<RegionLevel>())]
    level: Option<i32>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The segment's code.
    code: String,

    /// English name.
    #[arg(long)]
    name: Option<String>,

    /// Chinese name; `--name-zh ""` clears it.
    #[arg(long)]
    name_zh: Option<String>,

    /// Move it (with everything below it) under this segment; `--parent ""` makes it top-level.
    #[arg(long, value_name = "CODE")]
    parent: Option<String>,

    /// The aliases, repeatable; the ones given replace them all, `--alias ""` removes them all.
    #[arg(long = "alias", value_name = "NAME")]
    aliases: Vec<String>,

    /// The managers, repeatable; the ones given replace them all, `--manager ""` removes them all.
    #[arg(long = "manager", value_name = "STAFF_ID")]
    managers: Vec<String>,

    /// Update only if the segment is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct RegionUpdateArgs {
    #[command(flatten)]
    update: UpdateArgs,

    /// How far down the tree the region lies; `--level ""` clears it.
    #[arg(long, value_parser = enums::parser::<RegionLevel>())]
    level: Option<i32>,
}

/// The segment filter of lists and reports: `--industry CODE`, `--region CODE`.
#[derive(Debug, Args, Clone, Default)]
pub struct SegmentArgs {
    /// Only accounts classified under this industry (a code) or one below it.
    #[arg(long = "industry", value_name = "CODE")]
    pub industry: Option<String>,

    /// Only accounts classified under this region (a code) or one below it.
    #[arg(long = "region", value_name = "CODE")]
    pub region: Option<String>,
}

impl SegmentArgs {
    /// The filter, or none when neither flag was given (or both were empty).
    pub fn into_filter(self) -> Option<SegmentFilter> {
        let filter = SegmentFilter {
            industry_code: self.industry.unwrap_or_default(),
            region_code: self.region.unwrap_or_default(),
        };
        (!filter.industry_code.is_empty() || !filter.region_code.is_empty()).then_some(filter)
    }
}

/// How a report groups its accounts: `--group-by industry|region [--rollup N]`.
#[derive(Debug, Args, Clone, Default)]
pub struct GroupingArgs {
    /// Break the report down by the accounts' industry or region.
    #[arg(long, value_name = "KIND", value_parser = enums::parser::<segment_grouping::Kind>())]
    pub group_by: Option<i32>,

    /// With --group-by: roll the segments up to this depth (1: the top level) [default: each
    /// account's own segment].
    #[arg(long, value_name = "DEPTH", requires = "group_by",
          value_parser = clap::value_parser!(i32).range(1..=8))]
    pub rollup: Option<i32>,
}

impl GroupingArgs {
    pub fn into_grouping(self) -> Option<SegmentGrouping> {
        let kind = self.group_by.unwrap_or_default();
        (kind != 0).then(|| SegmentGrouping {
            kind,
            rollup_depth: self.rollup.unwrap_or_default(),
        })
    }
}

/// A segment as a report row names it: `CODE Name`, `(unclassified) free text`, or `(unclassified)`.
pub fn key_label(key: Option<&SegmentKey>) -> String {
    let Some(key) = key else {
        return "(unclassified)".to_owned();
    };
    match (key.code.is_empty(), key.name.is_empty()) {
        (false, false) => format!("{} {}", key.code, key.name),
        (false, true) => key.code.clone(),
        (true, false) => format!("(unclassified) {}", key.name),
        (true, true) => "(unclassified)".to_owned(),
    }
}

/// The answer of a delete: `{}` in JSON, a line saying what was deleted for people.
pub struct Deleted<T> {
    pub what: String,
    pub response: T,
}

impl<T: Serialize> Serialize for Deleted<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.response.serialize(serializer)
    }
}

impl<T: Serialize> Render for Deleted<T> {
    fn human(&self) -> String {
        format!("deleted {}\n", self.what)
    }
}

type SegmentClient = SegmentServiceClient<client::Connection>;

async fn connect(global: &Global) -> Result<SegmentClient, Error> {
    Ok(SegmentServiceClient::new(client::connect(global).await?))
}

pub async fn run_industries(command: IndustriesCommand, global: &Global) -> Result<(), Error> {
    match command {
        IndustriesCommand::List(args) => {
            let mut client = connect(global).await?;
            let filter = ListIndustriesRequest {
                parent_code: args.parent.unwrap_or_default(),
                descendants: args.descendants,
                query: args.query.unwrap_or_default(),
                manager_staff_id: args.manager.unwrap_or_default(),
                ..Default::default()
            };
            let fetch = async |page_size, page_token| {
                let request = ListIndustriesRequest {
                    page_size,
                    page_token,
                    ..filter.clone()
                };
                Ok(client.list_industries(request).await?.into_inner())
            };
            let industries = args.paging.fetch(fetch).await?;
            Ok(output::print(&industries, global.json)?)
        }
        IndustriesCommand::Get(CodeArgs { code }) => {
            let request = GetIndustryRequest { code };
            let industry = connect(global).await?.get_industry(request).await?.into_inner();
            Ok(output::print(&industry, global.json)?)
        }
        IndustriesCommand::Create(args) => {
            let fields = args.into_fields();
            let industry = Industry {
                code: fields.code,
                parent_code: fields.parent_code,
                name: fields.name,
                name_zh: fields.name_zh,
                aliases: fields.aliases,
                manager_staff_ids: fields.manager_staff_ids,
                ..Default::default()
            };
            let request = CreateIndustryRequest {
                industry: Some(industry),
            };
            let industry = connect(global)
                .await?
                .create_industry(request)
                .await?
                .into_inner();
            Ok(output::print(&industry, global.json)?)
        }
        IndustriesCommand::Update(args) => {
            let request = industry_update(args)?;
            let industry = connect(global)
                .await?
                .update_industry(request)
                .await?
                .into_inner();
            Ok(output::print(&industry, global.json)?)
        }
        IndustriesCommand::Delete(DeleteArgs { code, etag }) => {
            let request = DeleteIndustryRequest {
                code: code.clone(),
                etag: etag.unwrap_or_default(),
            };
            let response = connect(global)
                .await?
                .delete_industry(request)
                .await?
                .into_inner();
            let deleted = Deleted {
                what: format!("industry {code}"),
                response,
            };
            Ok(output::print(&deleted, global.json)?)
        }
    }
}

pub async fn run_regions(command: RegionsCommand, global: &Global) -> Result<(), Error> {
    match command {
        RegionsCommand::List(RegionListArgs { list: args, level }) => {
            let mut client = connect(global).await?;
            let filter = ListRegionsRequest {
                parent_code: args.parent.unwrap_or_default(),
                descendants: args.descendants,
                query: args.query.unwrap_or_default(),
                manager_staff_id: args.manager.unwrap_or_default(),
                level: level.unwrap_or_default(),
                ..Default::default()
            };
            let fetch = async |page_size, page_token| {
                let request = ListRegionsRequest {
                    page_size,
                    page_token,
                    ..filter.clone()
                };
                Ok(client.list_regions(request).await?.into_inner())
            };
            let regions = args.paging.fetch(fetch).await?;
            Ok(output::print(&regions, global.json)?)
        }
        RegionsCommand::Get(CodeArgs { code }) => {
            let request = GetRegionRequest { code };
            let region = connect(global).await?.get_region(request).await?.into_inner();
            Ok(output::print(&region, global.json)?)
        }
        RegionsCommand::Create(RegionCreateArgs { create, level }) => {
            let fields = create.into_fields();
            let region = Region {
                code: fields.code,
                parent_code: fields.parent_code,
                name: fields.name,
                name_zh: fields.name_zh,
                aliases: fields.aliases,
                manager_staff_ids: fields.manager_staff_ids,
                level: level.unwrap_or_default(),
                ..Default::default()
            };
            let request = CreateRegionRequest { region: Some(region) };
            let region = connect(global).await?.create_region(request).await?.into_inner();
            Ok(output::print(&region, global.json)?)
        }
        RegionsCommand::Update(args) => {
            let request = region_update(args)?;
            let region = connect(global).await?.update_region(request).await?.into_inner();
            Ok(output::print(&region, global.json)?)
        }
        RegionsCommand::Delete(DeleteArgs { code, etag }) => {
            let request = DeleteRegionRequest {
                code: code.clone(),
                etag: etag.unwrap_or_default(),
            };
            let response = connect(global).await?.delete_region(request).await?.into_inner();
            let deleted = Deleted {
                what: format!("region {code}"),
                response,
            };
            Ok(output::print(&deleted, global.json)?)
        }
    }
}

/// The writable fields industries and regions share.
#[derive(Debug, Default, PartialEq)]
struct Fields {
    code: String,
    parent_code: String,
    name: String,
    name_zh: String,
    aliases: Vec<String>,
    manager_staff_ids: Vec<String>,
}

impl CreateArgs {
    fn into_fields(self) -> Fields {
        Fields {
            code: self.code,
            parent_code: self.parent.unwrap_or_default(),
            name: self.name,
            name_zh: self.name_zh.unwrap_or_default(),
            aliases: self.aliases,
            manager_staff_ids: self.managers,
        }
    }
}

/// A repeatable flag of an update: `None` when not given, else the values given without the empty
/// ones (so `--alias ""` alone is the empty list, clearing the field).
fn list_flag(values: Vec<String>) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| values.into_iter().filter(|value| !value.is_empty()).collect())
}

impl UpdateArgs {
    /// Writes the given flags into `fields` and names them in the mask.
    fn apply(self, fields: &mut Fields, mask: &mut MaskBuilder) -> Option<String> {
        fields.code = self.code;
        mask.set("parent_code", &mut fields.parent_code, self.parent);
        mask.set("name", &mut fields.name, self.name);
        mask.set("name_zh", &mut fields.name_zh, self.name_zh);
        mask.set("aliases", &mut fields.aliases, list_flag(self.aliases));
        mask.set(
            "manager_staff_ids",
            &mut fields.manager_staff_ids,
            list_flag(self.managers),
        );
        self.etag
    }
}

fn nothing_to_update() -> Error {
    Error::Usage("nothing to update: give at least one field, e.g. --name, --parent or --alias".to_owned())
}

fn industry_update(args: UpdateArgs) -> Result<UpdateIndustryRequest, Error> {
    let mut fields = Fields::default();
    let mut mask = MaskBuilder::default();
    let etag = args.apply(&mut fields, &mut mask).unwrap_or_default();
    if mask.is_empty() {
        return Err(nothing_to_update());
    }
    Ok(UpdateIndustryRequest {
        industry: Some(Industry {
            code: fields.code,
            parent_code: fields.parent_code,
            name: fields.name,
            name_zh: fields.name_zh,
            aliases: fields.aliases,
            manager_staff_ids: fields.manager_staff_ids,
            etag,
            ..Default::default()
        }),
        update_mask: Some(mask.build()),
    })
}

fn region_update(args: RegionUpdateArgs) -> Result<UpdateRegionRequest, Error> {
    let mut fields = Fields::default();
    let mut mask = MaskBuilder::default();
    let etag = args.update.apply(&mut fields, &mut mask).unwrap_or_default();
    let mut level = 0;
    mask.set("level", &mut level, args.level);
    if mask.is_empty() {
        return Err(nothing_to_update());
    }
    Ok(UpdateRegionRequest {
        region: Some(Region {
            code: fields.code,
            parent_code: fields.parent_code,
            name: fields.name,
            name_zh: fields.name_zh,
            aliases: fields.aliases,
            manager_staff_ids: fields.manager_staff_ids,
            level,
            etag,
            ..Default::default()
        }),
        update_mask: Some(mask.build()),
    })
}

client::impl_page!(ListIndustriesResponse, industries);
client::impl_page!(ListRegionsResponse, regions);

/// What the tables and details show of an industry or a region.
struct View<'a> {
    code: &'a str,
    parent_code: &'a str,
    name: &'a str,
    name_zh: &'a str,
    aliases: &'a [String],
    managers: &'a [String],
    ancestors: &'a [String],
    depth: i32,
    /// Regions only.
    level: Option<i32>,
    create_time: Option<&'a Timestamp>,
    update_time: Option<&'a Timestamp>,
    etag: &'a str,
}

impl<'a> From<&'a Industry> for View<'a> {
    fn from(industry: &'a Industry) -> Self {
        View {
            code: &industry.code,
            parent_code: &industry.parent_code,
            name: &industry.name,
            name_zh: &industry.name_zh,
            aliases: &industry.aliases,
            managers: &industry.manager_staff_ids,
            ancestors: &industry.ancestor_codes,
            depth: industry.depth,
            level: None,
            create_time: industry.create_time.as_ref(),
            update_time: industry.update_time.as_ref(),
            etag: &industry.etag,
        }
    }
}

impl<'a> From<&'a Region> for View<'a> {
    fn from(region: &'a Region) -> Self {
        View {
            code: &region.code,
            parent_code: &region.parent_code,
            name: &region.name,
            name_zh: &region.name_zh,
            aliases: &region.aliases,
            managers: &region.manager_staff_ids,
            ancestors: &region.ancestor_codes,
            depth: region.depth,
            level: Some(region.level),
            create_time: region.create_time.as_ref(),
            update_time: region.update_time.as_ref(),
            etag: &region.etag,
        }
    }
}

fn details(view: &View) -> String {
    let mut pairs = vec![
        ("code", view.code.to_owned()),
        ("name", view.name.to_owned()),
        ("name_zh", view.name_zh.to_owned()),
        ("parent_code", view.parent_code.to_owned()),
        ("path", path(view)),
        ("depth", view.depth.to_string()),
    ];
    if let Some(level) = view.level {
        pairs.push(("level", level_name(level)));
    }
    pairs.extend([
        ("aliases", view.aliases.join("\n")),
        ("managers", view.managers.join("\n")),
        ("create_time", output::timestamp(view.create_time)),
        ("update_time", output::timestamp(view.update_time)),
        ("etag", view.etag.to_owned()),
    ]);
    key_values(&pairs)
}

/// `C > C13 > C1311`: the codes from the top down to the segment.
fn path(view: &View) -> String {
    let mut codes: Vec<&str> = view.ancestors.iter().map(String::as_str).collect();
    codes.push(view.code);
    codes.join(" > ")
}

/// A region's level, "" when unset.
fn level_name(level: i32) -> String {
    if level == 0 {
        String::new()
    } else {
        enums::name::<RegionLevel>(level)
    }
}

/// The segments in tree order: each after its parent, indented two spaces a level, siblings by code.
/// A segment whose parent is not in the list (another page, or a filter left it out) starts a tree of
/// its own. Returns the index of each segment in `views` and its indentation.
fn tree_order(views: &[View]) -> Vec<(usize, usize)> {
    let codes: HashSet<&str> = views.iter().map(|view| view.code).collect();
    let mut children: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut roots = Vec::new();
    for (index, view) in views.iter().enumerate() {
        if !view.parent_code.is_empty() && codes.contains(view.parent_code) && view.parent_code != view.code {
            children.entry(view.parent_code).or_default().push(index);
        } else {
            roots.push(index);
        }
    }
    for list in children.values_mut() {
        list.sort_by_key(|&index| views[index].code);
    }
    roots.sort_by_key(|&index| views[index].code);
    let mut order = Vec::with_capacity(views.len());
    let mut seen = vec![false; views.len()];
    let mut stack: Vec<(usize, usize)> = roots.into_iter().rev().map(|index| (index, 0)).collect();
    while let Some((index, indent)) = stack.pop() {
        if std::mem::replace(&mut seen[index], true) {
            continue;
        }
        order.push((index, indent));
        if let Some(list) = children.get(views[index].code) {
            stack.extend(list.iter().rev().map(|&child| (child, indent + 1)));
        }
    }
    // A cycle (which the server forbids) would leave some unvisited: shown at the end, not lost.
    order.extend(
        (0..views.len())
            .filter(|&index| !seen[index])
            .map(|index| (index, 0)),
    );
    order
}

fn list_table(views: &[View], next_page_token: &str) -> String {
    let regions = views.iter().any(|view| view.level.is_some());
    let mut headers = vec!["CODE", "NAME", "NAME ZH"];
    if regions {
        headers.push("LEVEL");
    }
    headers.extend(["ALIASES", "MANAGERS"]);
    let mut table = Table::new(&headers);
    for (index, indent) in tree_order(views) {
        let view = &views[index];
        let mut row = vec![
            format!("{}{}", "  ".repeat(indent), view.code),
            view.name.to_owned(),
            view.name_zh.to_owned(),
        ];
        if regions {
            row.push(level_name(view.level.unwrap_or_default()));
        }
        row.push(view.aliases.join(", "));
        row.push(view.managers.join(", "));
        table.push(row);
    }
    let mut text = table.render();
    output::next_page(&mut text, next_page_token);
    text
}

impl Render for Industry {
    fn human(&self) -> String {
        details(&View::from(self))
    }
}

impl Render for Region {
    fn human(&self) -> String {
        details(&View::from(self))
    }
}

impl Render for ListIndustriesResponse {
    fn human(&self) -> String {
        let views: Vec<View> = self.industries.iter().map(View::from).collect();
        list_table(&views, &self.next_page_token)
    }
}

impl Render for ListRegionsResponse {
    fn human(&self) -> String {
        let views: Vec<View> = self.regions.iter().map(View::from).collect();
        list_table(&views, &self.next_page_token)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::{Cli, Command};

    fn industry(code: &str, parent: &str) -> Industry {
        Industry {
            code: code.into(),
            parent_code: parent.into(),
            name: format!("{code} name"),
            ..Default::default()
        }
    }

    #[test]
    fn list_is_a_tree_in_code_order() {
        let response = ListIndustriesResponse {
            industries: vec![
                industry("B", ""),
                industry("C", ""),
                industry("C13", "C"),
                industry("C131", "C13"),
                industry("C14", "C"),
                industry("X1", "X"),
            ],
            next_page_token: "t2".into(),
        };
        let expected = [
            "CODE      NAME       NAME ZH  ALIASES  MANAGERS",
            "B         B name",
            "C         C name",
            "  C13     C13 name",
            "    C131  C131 name",
            "  C14     C14 name",
            "X1        X1 name",
            "next page: t2",
        ];
        assert_eq!(response.human(), expected.join("\n") + "\n");
    }

    #[test]
    fn update_names_only_the_given_fields() {
        let cli = Cli::try_parse_from([
            "kamctl", "regions", "update", "SH", "--parent", "", "--alias", "", "--level", "city",
        ])
        .unwrap();
        let Command::Regions(RegionsCommand::Update(args)) = cli.command else {
            panic!("not a regions update");
        };
        let request = region_update(args).unwrap();
        assert_eq!(
            request.update_mask.unwrap().paths,
            ["parent_code", "aliases", "level"]
        );
        let region = request.region.unwrap();
        assert_eq!(region.code, "SH");
        assert_eq!(region.parent_code, "");
        assert!(region.aliases.is_empty());
        assert_eq!(region.level, RegionLevel::City as i32);
    }

    #[test]
    fn an_update_without_fields_is_a_usage_error() {
        let cli = Cli::try_parse_from(["kamctl", "industries", "update", "C"]).unwrap();
        let Command::Industries(IndustriesCommand::Update(args)) = cli.command else {
            panic!("not an industries update");
        };
        assert!(matches!(industry_update(args), Err(Error::Usage(_))));
    }

    #[test]
    fn filters_and_groupings_are_sent_only_when_given() {
        assert_eq!(SegmentArgs::default().into_filter(), None);
        let filter = SegmentArgs {
            industry: Some("C".into()),
            region: None,
        }
        .into_filter()
        .unwrap();
        assert_eq!(
            (filter.industry_code.as_str(), filter.region_code.as_str()),
            ("C", "")
        );
        assert_eq!(GroupingArgs::default().into_grouping(), None);
        let grouping = GroupingArgs {
            group_by: enums::parse::<segment_grouping::Kind>("region"),
            rollup: Some(1),
        }
        .into_grouping()
        .unwrap();
        assert_eq!(
            (grouping.kind, grouping.rollup_depth),
            (segment_grouping::Kind::Region as i32, 1)
        );
        assert_eq!(
            key_label(Some(&SegmentKey {
                code: String::new(),
                name: "Steel".into()
            })),
            "(unclassified) Steel"
        );
    }
}
