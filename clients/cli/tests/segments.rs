//! `kamctl industries`, `kamctl regions` and the segment flags of `kamctl accounts` and `kamctl funnel`
//! end to end, and the README's examples of them (with `group`, `revenue report` and `competitors`) run
//! as written: the real kamctl binary against a real server (`kam_tests::TestServer`) on SQLite, and on
//! PostgreSQL when `KAM_TEST_POSTGRES_URL` is set.

mod common;

use kam_tests::backend_tests;
use serde_json::Value as Json;

use common::{exits, fails, json, ok, text};

/// The `field` of each item of the list `key` of a `--json` answer.
fn column(value: &Json, key: &str, field: &str) -> Vec<String> {
    value[key]
        .as_array()
        .map(|items| items.iter().map(|item| text(&item[field]).to_owned()).collect())
        .unwrap_or_default()
}

/// The arguments of a README example line: what follows `cargo run -p kamctl --`, split as a shell
/// would (double quotes group, `""` is an empty argument), with the placeholders filled in.
fn readme_args(line: &str, fill: &[(&str, &str)]) -> Vec<String> {
    let command = line.split(" # ").next().unwrap_or(line).trim();
    let mut args = Vec::new();
    let (mut current, mut quoted, mut started) = (String::new(), false, false);
    for c in command.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            ' ' if !quoted => {
                if started {
                    args.push(std::mem::take(&mut current));
                }
                started = false;
            }
            c => {
                current.push(c);
                started = true;
            }
        }
    }
    if started {
        args.push(current);
    }
    args.into_iter()
        .map(|arg| fill.iter().fold(arg, |arg, (from, to)| arg.replace(from, to)))
        .collect()
}

/// The README's examples of a section, each command joined from its continuation lines.
fn readme_commands(section: &str) -> Vec<String> {
    let readme = include_str!("../README.md");
    let start = readme
        .find(section)
        .unwrap_or_else(|| panic!("no section {section}"));
    let block = &readme[start..];
    let block = &block[block.find("```sh\n").unwrap() + 6..];
    let block = &block[..block.find("```").unwrap()];
    block
        .replace("\\\n", " ")
        .lines()
        .filter_map(|line| line.strip_prefix("cargo run -p kamctl -- ").map(str::to_owned))
        .collect()
}

backend_tests! {
    async fn industries_are_a_tree_edited_from_the_command_line(server: &TestServer) {
        // The national classification's sections are there from the start.
        let manufacturing = ok(server, &["industries", "get", "C"]).await;
        assert!(manufacturing.contains("code:        C\n"), "{manufacturing}");
        assert!(manufacturing.contains("depth:       1\n"), "{manufacturing}");

        let manager = server.create_staff(kam_tests::pb::StaffLevel::Manager).await;
        let pumps = json(
            server,
            &[
                "industries", "create", "C34", "--name", "Pumps and compressors", "--name-zh", "泵及压缩机",
                "--parent", "C", "--alias", "pumps", "--alias", "compressors", "--manager", &manager.id,
            ],
        )
        .await;
        assert_eq!(text(&pumps["parentCode"]), "C");
        assert_eq!(pumps["ancestorCodes"], serde_json::json!(["C"]));
        assert_eq!(pumps["depth"], 2);
        ok(server, &["industries", "create", "C341", "--name", "Centrifugal pumps", "--parent", "C34"]).await;

        // The tree: each below its parent, indented.
        let tree = ok(server, &["industries", "list", "--parent", "C", "--descendants"]).await;
        let lines: Vec<&str> = tree.lines().collect();
        assert!(lines[0].starts_with("CODE"), "{tree}");
        assert!(lines[1].starts_with("C34     Pumps and compressors  泵及压缩机"), "{tree}");
        assert!(lines[1].contains("pumps, compressors") && lines[1].contains(&manager.id), "{tree}");
        assert!(lines[2] == "  C341  Centrifugal pumps", "{tree}");
        assert_eq!(lines.len(), 3, "{tree}");
        let found = json(server, &["industries", "list", "--query", "centrifugal"]).await;
        assert_eq!(column(&found, "industries", "code"), ["C341"]);

        // An update writes only what it is given; `--parent ""` makes it top-level.
        let moved = json(server, &["industries", "update", "C341", "--parent", "", "--alias", "CF pumps"]).await;
        assert_eq!(moved["parentCode"], Json::Null, "top-level now");
        assert_eq!(moved["depth"], 1);
        assert_eq!(moved["aliases"], serde_json::json!(["CF pumps"]));
        assert_eq!(text(&moved["name"]), "Centrifugal pumps", "kept");
        let cleared = json(server, &["industries", "update", "C34", "--alias", "", "--name-zh", ""]).await;
        assert_eq!(cleared["aliases"], Json::Null);
        assert_eq!(cleared["nameZh"], Json::Null);
        assert_eq!(cleared["managerStaffIds"], serde_json::json!([manager.id]), "kept");

        // The server's rules, as it states them; what makes no request is refused before sending.
        let refused = fails(server, &["industries", "create", "X1", "--name", "Orphan", "--parent", "NOPE"]).await;
        assert!(refused.contains("FAILED_PRECONDITION") && refused.contains("SEGMENT_PARENT_NOT_FOUND"), "{refused}");
        let usage = exits(server, 2, &["industries", "update", "C34"]).await;
        assert!(usage.contains("nothing to update"), "{usage}");

        let deleted = ok(server, &["industries", "delete", "C341"]).await;
        assert_eq!(deleted, "deleted industry C341\n");
        let gone = fails(server, &["industries", "get", "C341"]).await;
        assert!(gone.contains("NOT_FOUND"), "{gone}");
    }

    async fn regions_have_levels_and_accounts_are_filtered_by_segment(server: &TestServer) {
        let east = json(server, &["regions", "create", "CN-EAST", "--name", "East China", "--level", "sales-region"]).await;
        assert_eq!(text(&east["level"]), "SALES_REGION");
        ok(server, &["regions", "create", "CN-SH", "--name", "Shanghai", "--parent", "CN-EAST", "--level", "province", "--alias", "SH"]).await;
        ok(server, &["regions", "create", "CN-JS", "--name", "Jiangsu", "--parent", "CN-EAST", "--level", "province"]).await;
        let city = json(server, &["regions", "update", "CN-SH", "--level", "city"]).await;
        assert_eq!(text(&city["level"]), "CITY");
        assert_eq!(city["aliases"], serde_json::json!(["SH"]), "kept");

        let tree = ok(server, &["regions", "list"]).await;
        assert!(tree.contains("\nCN-EAST  East China           SALES_REGION\n"), "{tree}");
        assert!(tree.contains("\n  CN-JS  Jiangsu              PROVINCE\n"), "{tree}");
        assert!(tree.contains("\n  CN-SH  Shanghai             CITY          SH\n"), "{tree}");
        let provinces = json(server, &["regions", "list", "--level", "province"]).await;
        assert_eq!(column(&provinces, "regions", "code"), ["CN-JS"]);

        // Accounts: the codes set directly, or by free text that names a segment.
        let pumps = json(
            server,
            &["accounts", "create", "--name", "Shanghai Pumps", "--industry-code", "C", "--region-code", "CN-SH"],
        )
        .await;
        assert_eq!((text(&pumps["industryCode"]), text(&pumps["regionCode"])), ("C", "CN-SH"));
        let by_text = json(server, &["accounts", "create", "--name", "Wuxi Valves", "--region", "jiangsu"]).await;
        assert_eq!(text(&by_text["regionCode"]), "CN-JS");
        json(server, &["accounts", "create", "--name", "Elsewhere Ltd"]).await;

        let east_accounts = json(server, &["accounts", "list", "--region-code", "CN-EAST"]).await;
        let mut names = column(&east_accounts, "accounts", "displayName");
        names.sort();
        assert_eq!(names, ["Shanghai Pumps", "Wuxi Valves"], "the region and every one below it");
        let both = json(server, &["accounts", "list", "--region-code", "CN-EAST", "--industry-code", "C"]).await;
        assert_eq!(column(&both, "accounts", "displayName"), ["Shanghai Pumps"]);
        let shown = ok(server, &["accounts", "get", text(&pumps["id"])]).await;
        assert!(shown.contains("industry_code:      C\n") && shown.contains("region_code:        CN-SH\n"), "{shown}");
        let moved = json(server, &["accounts", "update", text(&pumps["id"]), "--region-code", "CN-JS"]).await;
        assert_eq!(text(&moved["regionCode"]), "CN-JS");

        // A region with regions below it, or accounts in it, stays.
        let refused = fails(server, &["regions", "delete", "CN-EAST"]).await;
        assert!(refused.contains("FAILED_PRECONDITION") && refused.contains("SEGMENT_HAS_CHILDREN"), "{refused}");
        let refused = fails(server, &["regions", "delete", "CN-JS"]).await;
        assert!(refused.contains("SEGMENT_IN_USE"), "{refused}");
        assert_eq!(ok(server, &["--json", "regions", "delete", "CN-SH"]).await.trim(), "{}");
    }

    async fn the_funnel_by_industry(server: &TestServer) {
        let owner = server.create_staff(kam_tests::pb::StaffLevel::Manager).await;
        let account = json(server, &["accounts", "create", "--name", "Funnel Pumps", "--industry-code", "C"]).await;
        let other = json(server, &["accounts", "create", "--name", "Funnel Farms", "--industry-code", "A"]).await;
        for (account, amount) in [(&account, "1000.50 EUR"), (&other, "20 EUR")] {
            ok(
                server,
                &[
                    "opps", "create", "--account", text(&account["id"]), "--name", "Deal", "--owner", &owner.id,
                    "--amount", amount, "--close-date", "2030-12-31",
                ],
            )
            .await;
        }
        let funnel = ok(server, &["funnel", "--group-by", "industry"]).await;
        assert!(funnel.contains("\n== A "), "{funnel}");
        assert!(funnel.contains("\n== C "), "{funnel}");
        let section = &funnel[funnel.find("\n== C ").unwrap()..];
        assert!(section.contains("1000.50 EUR"), "{funnel}");
        let only_c = json(server, &["opps", "list", "--industry", "C"]).await;
        assert_eq!(column(&only_c, "opportunities", "accountId"), [text(&account["id"])]);
        let usage = exits(server, 2, &["funnel", "--rollup", "1"]).await;
        assert!(usage.contains("--group-by"), "{usage}");
    }

    async fn the_readme_examples_of_segments_groups_and_competitors_work(server: &TestServer) {
        let staff = server.create_staff(kam_tests::pb::StaffLevel::Manager).await;
        let account = server.create_account("Readme Pumps").await.id;
        let mut fill = vec![("<STAFF>", staff.id.clone()), ("<ACCOUNT>", account.clone()), ("<ID>", account.clone())];
        let commands: Vec<String> = readme_commands("### Industries, regions and groups")
            .into_iter()
            .chain(readme_commands("### Opportunities and the funnel").into_iter().skip_while(|line| !line.starts_with("funnel --group-by")))
            .collect();
        assert!(commands.len() > 15, "{commands:?}");
        for line in &commands {
            let pairs: Vec<(&str, &str)> = fill.iter().map(|(from, to)| (*from, to.as_str())).collect();
            let args = readme_args(line, &pairs);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let printed = ok(server, &args).await;
            if line.starts_with("competitors create") {
                let id = printed.lines().next().and_then(|line| line.strip_prefix("id:")).unwrap().trim();
                fill.push(("<COMPETITOR>", id.to_owned()));
            }
        }
    }
}
