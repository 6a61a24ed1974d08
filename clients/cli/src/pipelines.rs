//! `kamctl pipelines ...`: the ordered stages opportunities move through, through
//! kam.v1.OpportunityService.

use clap::{Args, Subcommand};
use kam_proto::v1::{
    CreatePipelineRequest, ForecastCategory, GetPipelineRequest, ListPipelinesRequest, ListPipelinesResponse,
    Pipeline, PipelineStage, UpdatePipelineRequest,
};

use crate::Global;
use crate::client::{self, OpportunityClient, PageArgs};
use crate::enums;
use crate::error::Error;
use crate::mask::MaskBuilder;
use crate::output::{self, Render, Table, key_values};
use crate::retry;

/// How a stage is written on the command line, shown in the help of `--stage`.
const STAGE_SYNTAX: &str = "KEY:DISPLAY NAME:PROBABILITY:CATEGORY[:STALL_DAYS]";

const CREATE_EXAMPLE: &str = "\
Example:
  kamctl pipelines create --name \"Spare parts\" \\
    --stage \"LEAD:New lead:10:pipeline:14\" \\
    --stage \"QUOTED:Quote sent:50:best-case:30\" \\
    --stage \"ORDER_PENDING:Order pending:90:commit\" \\
    --won WON:Ordered --lost LOST:Lost \\
    --qualification-stage QUOTED";

#[derive(Debug, Subcommand)]
pub enum PipelinesCommand {
    /// List the pipelines: one page, or every page with --all.
    List(ListArgs),
    /// Show one pipeline with its stages.
    Get(IdArgs),
    /// Create a pipeline: its open stages in order, then the won and the lost stage.
    #[command(after_help = CREATE_EXAMPLE)]
    Create(CreateArgs),
    /// Rename a pipeline, replace its stages or change its qualification stage.
    ///
    /// `--stage` replaces every open stage; the won and lost stages stay unless `--won` or `--lost`
    /// replaces them. Stages are matched by key, so a stage that keeps its key keeps its
    /// opportunities; a stage that goes must hold none (STAGE_IN_USE).
    Update(UpdateArgs),
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The pipeline id.
    id: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    paging: PageArgs,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Display name, 1 to 200 characters.
    #[arg(long)]
    name: String,

    #[command(flatten)]
    stages: StageArgs,

    /// The first stage whose opportunities need budget, authority and need confirmed (MAN); every
    /// later stage and the won stage need them too [default: none].
    #[arg(long, value_name = "KEY", value_parser = parse_stage_key)]
    qualification_stage: Option<String>,

    /// A UUID making the call idempotent: a retry with the same id returns the first result.
    #[arg(long, value_name = "UUID")]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The pipeline id.
    id: String,

    /// Display name, 1 to 200 characters.
    #[arg(long)]
    name: Option<String>,

    #[command(flatten)]
    stages: StageArgs,

    /// The first stage that needs MAN qualification; "" means no stage does.
    #[arg(long, value_name = "KEY", value_parser = parse_optional_stage_key)]
    qualification_stage: Option<String>,

    /// Update only if the pipeline is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

/// The stages of a pipeline as flags. Create requires them all; on update each is optional.
#[derive(Debug, Args)]
struct StageArgs {
    /// An open stage, in funnel order; repeat for each. KEY is UPPER_SNAKE_CASE (`proposal` is taken
    /// for PROPOSAL); PROBABILITY (0-100) is the default win probability of its opportunities;
    /// CATEGORY is pipeline, best-case, commit or omitted (their forecast category); after STALL_DAYS
    /// in the stage an opportunity counts as stalled [default: 0, never]. The display name may contain
    /// colons. E.g. `--stage "PROPOSAL:Proposal sent:60:best-case:30"`.
    #[arg(long = "stage", value_name = STAGE_SYNTAX, value_parser = parse_stage_spec)]
    stages: Vec<PipelineStage>,

    /// The won stage, after the open stages: KEY or KEY:DISPLAY NAME (probability 100, category
    /// closed), e.g. `WON:Order received`. Required on create.
    #[arg(long, value_name = "KEY[:NAME]", value_parser = parse_won)]
    won: Option<PipelineStage>,

    /// The lost stage, last: KEY or KEY:DISPLAY NAME (probability 0, category omitted), e.g.
    /// `LOST:Lost`. Required on create.
    #[arg(long, value_name = "KEY[:NAME]", value_parser = parse_lost)]
    lost: Option<PipelineStage>,
}

impl StageArgs {
    fn is_empty(&self) -> bool {
        self.stages.is_empty() && self.won.is_none() && self.lost.is_none()
    }

    /// Whether the flags name every stage, so no stored stage is needed to complete them.
    fn is_complete(&self) -> bool {
        !self.stages.is_empty() && self.won.is_some() && self.lost.is_some()
    }

    /// The full stage list: the open stages given, else `stored`'s, then the won stage given, else
    /// `stored`'s, then the lost stage likewise.
    fn merge(self, stored: &[PipelineStage]) -> Vec<PipelineStage> {
        let open: Vec<PipelineStage> = if self.stages.is_empty() {
            stored
                .iter()
                .filter(|stage| !stage.closed_won && !stage.closed_lost)
                .cloned()
                .collect()
        } else {
            self.stages
        };
        let won = self
            .won
            .or_else(|| stored.iter().find(|stage| stage.closed_won).cloned());
        let lost = self
            .lost
            .or_else(|| stored.iter().find(|stage| stage.closed_lost).cloned());
        open.into_iter().chain(won).chain(lost).collect()
    }
}

pub async fn run(command: PipelinesCommand, global: &Global) -> Result<(), Error> {
    let pipeline = match command {
        PipelinesCommand::List(args) => return list(args, global).await,
        PipelinesCommand::Get(IdArgs { id }) => {
            let request = GetPipelineRequest { id };
            client::opportunities(global).await?.get_pipeline(request).await?
        }
        PipelinesCommand::Create(args) => {
            // Built before connecting, so that missing won or lost stages fail at once.
            let request = args.into_request()?;
            client::opportunities(global)
                .await?
                .create_pipeline(retry::idempotent(request))
                .await?
        }
        PipelinesCommand::Update(args) => {
            let partial_stages = !args.stages.is_empty() && !args.stages.is_complete();
            // Built before connecting, so that an update that changes nothing fails at once.
            let mut request = args.into_request()?;
            let mut client = client::opportunities(global).await?;
            if partial_stages {
                complete_stages(&mut client, &mut request).await?;
            }
            client.update_pipeline(request).await?
        }
    };
    Ok(output::print(&pipeline.into_inner(), global.json)?)
}

async fn list(args: ListArgs, global: &Global) -> Result<(), Error> {
    let mut client = client::opportunities(global).await?;
    let PageArgs {
        page_size,
        page_token,
        all,
    } = args.paging;
    let fetch = async |page_token| {
        let request = ListPipelinesRequest {
            page_size: page_size.unwrap_or_default(),
            page_token,
        };
        Ok(client.list_pipelines(request).await?.into_inner())
    };
    let pipelines = client::fetch_pages(page_token.unwrap_or_default(), all, fetch).await?;
    Ok(output::print(&pipelines, global.json)?)
}

/// Completes the stages of an update that replaces only some of them (the open ones, or only the won
/// or lost stage) from the stored pipeline: `stages` is replaced as a whole. Unless the user gave an
/// etag, the stored one then guards the update, so a change made between the read and the write is
/// refused (ABORTED) instead of being undone.
async fn complete_stages(
    client: &mut OpportunityClient,
    request: &mut UpdatePipelineRequest,
) -> Result<(), Error> {
    let Some(pipeline) = request.pipeline.as_mut() else {
        return Ok(());
    };
    let get = GetPipelineRequest {
        id: pipeline.id.clone(),
    };
    let stored = client.get_pipeline(get).await?.into_inner();
    let given = StageArgs::from_partial(std::mem::take(&mut pipeline.stages));
    pipeline.stages = given.merge(&stored.stages);
    if pipeline.etag.is_empty() {
        pipeline.etag = stored.etag;
    }
    Ok(())
}

impl StageArgs {
    /// Splits a stage list built by [`UpdateArgs::into_request`] back into the flags it came from.
    fn from_partial(stages: Vec<PipelineStage>) -> StageArgs {
        let mut args = StageArgs {
            stages: Vec::new(),
            won: None,
            lost: None,
        };
        for stage in stages {
            if stage.closed_won {
                args.won = Some(stage);
            } else if stage.closed_lost {
                args.lost = Some(stage);
            } else {
                args.stages.push(stage);
            }
        }
        args
    }
}

impl CreateArgs {
    fn into_request(self) -> Result<CreatePipelineRequest, Error> {
        if self.stages.stages.is_empty() {
            return Err(Error::Usage(format!(
                "a pipeline needs at least one open stage: --stage {STAGE_SYNTAX}"
            )));
        }
        if self.stages.won.is_none() || self.stages.lost.is_none() {
            return Err(Error::Usage(
                "a pipeline needs a won and a lost stage: --won KEY:NAME --lost KEY:NAME".to_owned(),
            ));
        }
        let pipeline = Pipeline {
            display_name: self.name,
            stages: self.stages.merge(&[]),
            qualification_stage_key: self.qualification_stage.unwrap_or_default(),
            ..Default::default()
        };
        Ok(CreatePipelineRequest {
            pipeline: Some(pipeline),
            request_id: retry::new_request_id(self.request_id),
        })
    }
}

impl UpdateArgs {
    /// The request writing exactly the fields given as flags, with an update mask naming them. The
    /// stages are only those given; `complete_stages` completes them from the stored pipeline.
    fn into_request(self) -> Result<UpdatePipelineRequest, Error> {
        let mut pipeline = Pipeline {
            id: self.id,
            etag: self.etag.unwrap_or_default(),
            ..Default::default()
        };
        let mut mask = MaskBuilder::default();
        mask.set("display_name", &mut pipeline.display_name, self.name);
        let stages = (!self.stages.is_empty()).then(|| self.stages.merge(&[]));
        mask.set("stages", &mut pipeline.stages, stages);
        mask.set(
            "qualification_stage_key",
            &mut pipeline.qualification_stage_key,
            self.qualification_stage,
        );
        if mask.is_empty() {
            return Err(Error::Usage(
                "nothing to update: give at least one of --name, --stage, --won, --lost, \
                 --qualification-stage"
                    .to_owned(),
            ));
        }
        Ok(UpdatePipelineRequest {
            pipeline: Some(pipeline),
            update_mask: Some(mask.build()),
        })
    }
}

/// Normalises a stage key: stage keys are UPPER_SNAKE_CASE, and `proposal` or `best-offer` is taken
/// for them as the enum flags take kebab-case names.
pub fn stage_key(key: &str) -> String {
    key.trim().to_ascii_uppercase().replace('-', "_")
}

/// Parses a flag naming a stage key, which must not be empty.
pub fn parse_stage_key(key: &str) -> Result<String, String> {
    match stage_key(key) {
        key if key.is_empty() => Err("a stage key must not be empty".to_owned()),
        key => Ok(key),
    }
}

/// Parses a flag naming a stage key, where "" clears the field.
fn parse_optional_stage_key(key: &str) -> Result<String, String> {
    Ok(stage_key(key))
}

/// Parses `--stage KEY:DISPLAY NAME:PROBABILITY:CATEGORY[:STALL_DAYS]`.
///
/// The key is everything before the first colon, the numbers and the category are read from the end,
/// and the display name is what lies between, colons included: `SITE_VISIT:Visit: on site:30:pipeline`
/// is the stage "Visit: on site".
pub fn parse_stage_spec(spec: &str) -> Result<PipelineStage, String> {
    let invalid = |why: String| format!("`{spec}` is not a stage ({why}); expected {STAGE_SYNTAX}");
    let parts: Vec<&str> = spec.split(':').collect();
    if parts.len() < 4 {
        return Err(invalid("too few parts".to_owned()));
    }
    // The stall days are there when the last part is a number and the one before it a category.
    let has_stall_days = parts.len() >= 5
        && parts[parts.len() - 1].trim().parse::<i32>().is_ok()
        && enums::parse::<ForecastCategory>(parts[parts.len() - 2].trim()).is_some();
    let (rest, stall_days) = if has_stall_days {
        (&parts[..parts.len() - 1], parts.last().copied())
    } else {
        (&parts[..], None)
    };
    let [key, name @ .., probability, category] = rest else {
        return Err(invalid("too few parts".to_owned()));
    };
    let key = parse_stage_key(key).map_err(invalid)?;
    let display_name = name.join(":").trim().to_owned();
    if display_name.is_empty() {
        return Err(invalid("the display name is empty".to_owned()));
    }
    let probability = match probability.trim().parse::<i32>() {
        Ok(probability) if (0..=100).contains(&probability) => probability,
        _ => {
            return Err(invalid(format!(
                "the probability `{probability}` is not 0 to 100"
            )));
        }
    };
    let forecast_category = match enums::parse::<ForecastCategory>(category.trim()) {
        Some(category) if category != 0 => category,
        _ => {
            let names: Vec<String> = enums::cli_names::<ForecastCategory>().collect();
            return Err(invalid(format!(
                "the category `{category}` is not one of {}",
                names.join(", ")
            )));
        }
    };
    let stall_after_days = match stall_days.map(|days| days.trim().parse::<i32>()) {
        None => 0,
        Some(Ok(days)) if days >= 0 => days,
        Some(_) => {
            return Err(invalid(
                "the stall days must be a whole number, 0 or more".to_owned(),
            ));
        }
    };
    Ok(PipelineStage {
        key,
        display_name,
        probability,
        forecast_category,
        stall_after_days,
        closed_won: false,
        closed_lost: false,
    })
}

/// Parses `--won KEY[:NAME]`.
fn parse_won(spec: &str) -> Result<PipelineStage, String> {
    let (key, display_name) = parse_closed_spec(spec, "--won")?;
    Ok(PipelineStage {
        key,
        display_name,
        probability: 100,
        forecast_category: ForecastCategory::Closed as i32,
        stall_after_days: 0,
        closed_won: true,
        closed_lost: false,
    })
}

/// Parses `--lost KEY[:NAME]`.
fn parse_lost(spec: &str) -> Result<PipelineStage, String> {
    let (key, display_name) = parse_closed_spec(spec, "--lost")?;
    Ok(PipelineStage {
        key,
        display_name,
        probability: 0,
        forecast_category: ForecastCategory::Omitted as i32,
        stall_after_days: 0,
        closed_won: false,
        closed_lost: true,
    })
}

/// The key and display name of `KEY[:NAME]`. Without a name, the key in sentence case is the name:
/// `CLOSED_WON` is shown as "Closed won".
fn parse_closed_spec(spec: &str, flag: &str) -> Result<(String, String), String> {
    let (key, name) = spec.split_once(':').unwrap_or((spec, ""));
    let key = parse_stage_key(key).map_err(|err| format!("{flag} `{spec}`: {err}"))?;
    let name = match name.trim() {
        "" => sentence_case(&key),
        name => name.to_owned(),
    };
    Ok((key, name))
}

/// `CLOSED_WON` → `Closed won`.
fn sentence_case(key: &str) -> String {
    let words = key.to_lowercase().replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What kind of stage: open, won or lost.
fn stage_kind(stage: &PipelineStage) -> &'static str {
    if stage.closed_won {
        "won"
    } else if stage.closed_lost {
        "lost"
    } else {
        "open"
    }
}

/// Per stage, whether its opportunities need MAN qualification: the qualification stage, every later
/// open stage, and the won stage.
fn needs_man(pipeline: &Pipeline) -> Vec<bool> {
    let mut reached = false;
    pipeline
        .stages
        .iter()
        .map(|stage| {
            reached |=
                !pipeline.qualification_stage_key.is_empty() && stage.key == pipeline.qualification_stage_key;
            !stage.closed_lost && reached
        })
        .collect()
}

client::impl_page!(ListPipelinesResponse, pipelines);

impl Render for Pipeline {
    fn human(&self) -> String {
        let mut text = key_values(&[
            ("id", self.id.clone()),
            ("display_name", self.display_name.clone()),
            ("is_default", self.is_default.to_string()),
            ("qualification_stage_key", self.qualification_stage_key.clone()),
            ("create_time", output::timestamp(self.create_time.as_ref())),
            ("update_time", output::timestamp(self.update_time.as_ref())),
            ("etag", self.etag.clone()),
        ]);
        text.push('\n');
        let mut table = Table::new(&["KEY", "NAME", "KIND", "PROB", "FORECAST", "STALL DAYS", "MAN"]);
        table.align_right(&[3, 5]);
        for (stage, man) in self.stages.iter().zip(needs_man(self)) {
            table.push(vec![
                stage.key.clone(),
                stage.display_name.clone(),
                stage_kind(stage).to_owned(),
                stage.probability.to_string(),
                enums::name::<ForecastCategory>(stage.forecast_category),
                match stage.stall_after_days {
                    0 => "-".to_owned(),
                    days => days.to_string(),
                },
                if man { "required" } else { "" }.to_owned(),
            ]);
        }
        text.push_str(&table.render());
        text
    }
}

impl Render for ListPipelinesResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["ID", "NAME", "DEFAULT", "STAGES"]);
        for pipeline in &self.pipelines {
            let keys: Vec<&str> = pipeline.stages.iter().map(|stage| stage.key.as_str()).collect();
            table.push(vec![
                pipeline.id.clone(),
                pipeline.display_name.clone(),
                if pipeline.is_default { "yes" } else { "" }.to_owned(),
                keys.join(" → "),
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

    fn try_parse(args: &[&str]) -> Result<PipelinesCommand, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "pipelines"], args].concat())?;
        match cli.command {
            Command::Pipelines(command) => Ok(command),
            other => panic!("not a pipelines command: {other:?}"),
        }
    }

    fn open(
        key: &str,
        name: &str,
        probability: i32,
        category: ForecastCategory,
        stall: i32,
    ) -> PipelineStage {
        PipelineStage {
            key: key.into(),
            display_name: name.into(),
            probability,
            forecast_category: category as i32,
            stall_after_days: stall,
            closed_won: false,
            closed_lost: false,
        }
    }

    #[test]
    fn stage_specs_parse_with_and_without_stall_days() {
        assert_eq!(
            parse_stage_spec("PROPOSAL:Proposal sent:60:best-case:30"),
            Ok(open(
                "PROPOSAL",
                "Proposal sent",
                60,
                ForecastCategory::BestCase,
                30
            ))
        );
        assert_eq!(
            parse_stage_spec("lead:New lead:10:PIPELINE"),
            Ok(open("LEAD", "New lead", 10, ForecastCategory::Pipeline, 0))
        );
        assert_eq!(
            parse_stage_spec("order-pending:Order pending:90:commit:0"),
            Ok(open(
                "ORDER_PENDING",
                "Order pending",
                90,
                ForecastCategory::Commit,
                0
            ))
        );
    }

    #[test]
    fn display_names_may_contain_colons() {
        assert_eq!(
            parse_stage_spec("SITE_VISIT:Visit: on site:30:pipeline:7"),
            Ok(open(
                "SITE_VISIT",
                "Visit: on site",
                30,
                ForecastCategory::Pipeline,
                7
            ))
        );
        // A name ending in a number is still a name when no category follows it.
        assert_eq!(
            parse_stage_spec("R2:Round:2:40:omitted"),
            Ok(open("R2", "Round:2", 40, ForecastCategory::Omitted, 0))
        );
    }

    #[test]
    fn malformed_stage_specs_are_refused() {
        for spec in [
            "",
            "LEAD",
            "LEAD:Lead:10",
            ":Lead:10:pipeline",
            "LEAD::10:pipeline",
            "LEAD:Lead:101:pipeline",
            "LEAD:Lead:-1:pipeline",
            "LEAD:Lead:ten:pipeline",
            "LEAD:Lead:10:hopeful",
            "LEAD:Lead:10:pipeline:-3",
            "LEAD:Lead:10:pipeline:soon",
        ] {
            assert!(parse_stage_spec(spec).is_err(), "{spec:?} was accepted");
        }
    }

    #[test]
    fn won_and_lost_stages_take_an_optional_name() {
        let won = parse_won("won:Order received").unwrap();
        assert_eq!(
            (won.key.as_str(), won.display_name.as_str()),
            ("WON", "Order received")
        );
        assert_eq!(won.probability, 100);
        assert_eq!(won.forecast_category, ForecastCategory::Closed as i32);
        assert!(won.closed_won && !won.closed_lost);

        let lost = parse_lost("CLOSED_LOST").unwrap();
        assert_eq!(
            (lost.key.as_str(), lost.display_name.as_str()),
            ("CLOSED_LOST", "Closed lost")
        );
        assert_eq!(lost.probability, 0);
        assert_eq!(lost.forecast_category, ForecastCategory::Omitted as i32);
        assert!(lost.closed_lost && !lost.closed_won);

        assert!(parse_won(":Won").is_err());
    }

    #[test]
    fn create_puts_the_open_stages_first_then_won_then_lost() {
        let PipelinesCommand::Create(args) = try_parse(&[
            "create",
            "--name",
            "Spare parts",
            "--lost",
            "LOST:Lost",
            "--stage",
            "LEAD:Lead:10:pipeline",
            "--won",
            "WON:Won",
            "--stage",
            "QUOTED:Quoted:50:best-case:30",
            "--qualification-stage",
            "quoted",
            "--request-id",
            "r1",
        ])
        .unwrap() else {
            panic!("not a create");
        };
        let request = args.into_request().unwrap();
        assert_eq!(request.request_id, "r1");
        let pipeline = request.pipeline.unwrap();
        assert_eq!(pipeline.display_name, "Spare parts");
        assert_eq!(pipeline.qualification_stage_key, "QUOTED");
        let keys: Vec<&str> = pipeline.stages.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["LEAD", "QUOTED", "WON", "LOST"]);
    }

    #[test]
    fn create_without_won_or_lost_or_open_stages_is_a_usage_error() {
        for args in [
            &["create", "--name", "P", "--stage", "A:A:1:pipeline", "--won", "W"][..],
            &[
                "create",
                "--name",
                "P",
                "--stage",
                "A:A:1:pipeline",
                "--lost",
                "L",
            ],
            &["create", "--name", "P", "--won", "W", "--lost", "L"],
        ] {
            let PipelinesCommand::Create(args) = try_parse(args).unwrap() else {
                panic!("not a create");
            };
            assert!(matches!(args.into_request(), Err(Error::Usage(_))));
        }
    }

    #[test]
    fn a_bad_stage_spec_is_a_clap_usage_error() {
        let err = try_parse(&["create", "--name", "P", "--stage", "A:A:200:pipeline"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("not 0 to 100"), "{err}");
    }

    fn update_request(args: &[&str]) -> Result<UpdatePipelineRequest, Error> {
        match try_parse(&[&["update", "p-1"], args].concat()).unwrap() {
            PipelinesCommand::Update(args) => args.into_request(),
            other => panic!("not an update: {other:?}"),
        }
    }

    #[test]
    fn update_mask_names_exactly_the_flags_given() {
        let request = update_request(&["--name", "Parts", "--etag", "e1"]).unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["display_name"]);
        let pipeline = request.pipeline.unwrap();
        assert_eq!((pipeline.id.as_str(), pipeline.etag.as_str()), ("p-1", "e1"));

        let request = update_request(&["--stage", "A:A:10:pipeline", "--qualification-stage", ""]).unwrap();
        assert_eq!(
            request.update_mask.unwrap().paths,
            ["stages", "qualification_stage_key"]
        );
        assert_eq!(request.pipeline.unwrap().qualification_stage_key, "");

        assert!(matches!(update_request(&["--etag", "e1"]), Err(Error::Usage(_))));
    }

    #[test]
    fn partial_stage_updates_keep_the_stored_stages_they_do_not_replace() {
        let stored = vec![
            open("LEAD", "Lead", 10, ForecastCategory::Pipeline, 0),
            open("DEAL", "Deal", 80, ForecastCategory::Commit, 0),
            parse_won("WON:Won").unwrap(),
            parse_lost("LOST:Lost").unwrap(),
        ];
        let keys = |stages: &[PipelineStage]| stages.iter().map(|s| s.key.clone()).collect::<Vec<_>>();

        // New open stages: the stored won and lost stages stay.
        let request = update_request(&["--stage", "NEW:New:5:pipeline"]).unwrap();
        let given = StageArgs::from_partial(request.pipeline.unwrap().stages);
        assert_eq!(keys(&given.merge(&stored)), ["NEW", "WON", "LOST"]);

        // A new won stage only: the stored open and lost stages stay, in order.
        let request = update_request(&["--won", "ORDERED:Ordered"]).unwrap();
        let given = StageArgs::from_partial(request.pipeline.unwrap().stages);
        assert_eq!(keys(&given.merge(&stored)), ["LEAD", "DEAL", "ORDERED", "LOST"]);
    }

    #[test]
    fn man_is_required_from_the_qualification_stage_to_won() {
        let pipeline = Pipeline {
            stages: vec![
                open("LEAD", "Lead", 10, ForecastCategory::Pipeline, 0),
                open("QUALIFIED", "Qualified", 40, ForecastCategory::Pipeline, 0),
                open("PROPOSAL", "Proposal", 60, ForecastCategory::BestCase, 0),
                parse_won("WON:Won").unwrap(),
                parse_lost("LOST:Lost").unwrap(),
            ],
            qualification_stage_key: "QUALIFIED".into(),
            ..Default::default()
        };
        assert_eq!(needs_man(&pipeline), [false, true, true, true, false]);
        let none = Pipeline {
            qualification_stage_key: String::new(),
            ..pipeline
        };
        assert_eq!(needs_man(&none), [false; 5]);
    }

    #[test]
    fn pipeline_shows_its_stages_as_a_table() {
        let pipeline = Pipeline {
            id: "p1".into(),
            display_name: "Default".into(),
            is_default: true,
            qualification_stage_key: "QUALIFIED".into(),
            stages: vec![
                open("LEAD", "Lead", 10, ForecastCategory::Pipeline, 14),
                open("QUALIFIED", "Qualified", 40, ForecastCategory::Pipeline, 0),
                parse_won("WON:Won").unwrap(),
                parse_lost("LOST:Lost").unwrap(),
            ],
            etag: "e1".into(),
            ..Default::default()
        };
        assert_eq!(
            pipeline.human(),
            "id:                      p1\n\
             display_name:            Default\n\
             is_default:              true\n\
             qualification_stage_key: QUALIFIED\n\
             create_time:\n\
             update_time:\n\
             etag:                    e1\n\
             \n\
             KEY        NAME       KIND  PROB  FORECAST  STALL DAYS  MAN\n\
             LEAD       Lead       open    10  PIPELINE          14\n\
             QUALIFIED  Qualified  open    40  PIPELINE           -  required\n\
             WON        Won        won    100  CLOSED             -  required\n\
             LOST       Lost       lost     0  OMITTED            -\n"
        );
    }

    #[test]
    fn list_table_shows_the_stage_keys_in_order() {
        let response = ListPipelinesResponse {
            pipelines: vec![Pipeline {
                id: "p1".into(),
                display_name: "Default".into(),
                is_default: true,
                stages: vec![
                    open("LEAD", "Lead", 10, ForecastCategory::Pipeline, 0),
                    parse_won("WON").unwrap(),
                    parse_lost("LOST").unwrap(),
                ],
                ..Default::default()
            }],
            next_page_token: String::new(),
        };
        assert_eq!(
            response.human(),
            "ID  NAME     DEFAULT  STAGES\n\
             p1  Default  yes      LEAD → WON → LOST\n"
        );
    }
}
