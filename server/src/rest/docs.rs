//! The API reference page at `/docs`: the OpenAPI document rendered as one static HTML page, so the
//! reference needs no viewer, no script and nothing from another site. Its only resource is the
//! stylesheet at [`STYLESHEET_PATH`], which the page's content security policy allows and nothing else.
//!
//! Descriptions are the protos' comments, written in a small part of Markdown: paragraphs, `- ` lists
//! and `code` spans, which is all the page renders; every other character is text, HTML-escaped.

use std::{collections::BTreeMap, fmt::Write as _};

use serde_json::Value;

/// Where the page's stylesheet is served.
pub const STYLESHEET_PATH: &str = "/docs/style.css";

/// The page loads nothing but its own stylesheet.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The HTTP methods in the order a path's operations are listed.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

const SCHEMAS: &str = "#/components/schemas/";
const RESPONSES: &str = "#/components/responses/";

/// The page for `document`.
pub fn page(document: &Value) -> String {
    let title = text_at(document, &["info", "title"]).unwrap_or("API");
    let version = text_at(document, &["info", "version"]).unwrap_or_default();
    let mut html = String::new();
    html.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        html,
        "<title>{} {} reference</title>",
        escape(title),
        escape(version)
    );
    let _ = writeln!(html, "<link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\">");
    html.push_str("</head>\n<body>\n");
    let tags = tags(document);
    nav(&mut html, title, &tags);
    html.push_str("<main>\n");
    overview(&mut html, document, title, version);
    let operations = operations(document);
    for tag in &tags {
        tag_section(&mut html, tag, &operations);
    }
    errors_section(&mut html, document);
    schemas_section(&mut html, document);
    html.push_str("</main>\n</body>\n</html>\n");
    html
}

/// A tag: a service, with its description.
struct Tag<'d> {
    name: &'d str,
    description: Option<&'d str>,
}

fn tags(document: &Value) -> Vec<Tag<'_>> {
    document["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tag| {
            Some(Tag {
                name: tag["name"].as_str()?,
                description: tag["description"].as_str(),
            })
        })
        .collect()
}

/// One operation and where it is.
struct Operation<'d> {
    path: &'d str,
    method: &'static str,
    operation: &'d Value,
}

/// Every operation, by path and then in [`METHODS`] order.
fn operations(document: &Value) -> Vec<Operation<'_>> {
    let Some(paths) = document["paths"].as_object() else {
        return Vec::new();
    };
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                operations.push(Operation {
                    path,
                    method,
                    operation,
                });
            }
        }
    }
    operations
}

fn nav(html: &mut String, title: &str, tags: &[Tag<'_>]) {
    let _ = writeln!(
        html,
        "<nav class=\"toc\">\n<p class=\"toc-title\"><a href=\"#overview\">{}</a></p>\n<ul>",
        escape(title)
    );
    for tag in tags {
        let _ = writeln!(
            html,
            "<li><a href=\"#{}\">{}</a></li>",
            escape(&tag_anchor(tag.name)),
            escape(tag.name)
        );
    }
    html.push_str(
        "<li><a href=\"#errors\">Errors</a></li>\n<li><a href=\"#schemas\">Schemas</a></li>\n</ul>\n</nav>\n",
    );
}

fn overview(html: &mut String, document: &Value, title: &str, version: &str) {
    let _ = writeln!(
        html,
        "<header id=\"overview\">\n<h1>{} <span class=\"version\">{}</span></h1>",
        escape(title),
        escape(version)
    );
    if let Some(description) = text_at(document, &["info", "description"]) {
        html.push_str(&prose(description));
    }
    html.push_str(
        "<p>This page is generated from the OpenAPI document at <a href=\"/openapi.json\"><code>/openapi.json</code></a>.</p>\n</header>\n",
    );
}

fn tag_section(html: &mut String, tag: &Tag<'_>, operations: &[Operation<'_>]) {
    let _ = writeln!(
        html,
        "<section class=\"tag\" id=\"{}\">\n<h2>{}</h2>",
        escape(&tag_anchor(tag.name)),
        escape(tag.name)
    );
    if let Some(description) = tag.description {
        html.push_str(&prose(description));
    }
    let tagged = operations.iter().filter(|o| {
        o.operation["tags"]
            .as_array()
            .is_some_and(|tags| tags.iter().any(|t| t.as_str() == Some(tag.name)))
    });
    for operation in tagged {
        operation_article(html, operation);
    }
    html.push_str("</section>\n");
}

fn operation_article(html: &mut String, operation: &Operation<'_>) {
    let op = operation.operation;
    let id = op["operationId"].as_str().unwrap_or_default();
    let _ = writeln!(
        html,
        "<article class=\"operation\" id=\"{}\">\n<h3><span class=\"method method-{}\">{}</span> <code class=\"path\">{}</code> <code class=\"operation-id\">{}</code></h3>",
        escape(&format!("op-{id}")),
        operation.method,
        operation.method.to_ascii_uppercase(),
        escape(operation.path),
        escape(id)
    );
    let summary = op["summary"].as_str().filter(|summary| *summary != id);
    if let Some(summary) = summary {
        let _ = writeln!(html, "<p class=\"summary\">{}</p>", inline(summary));
    }
    if let Some(description) = op["description"].as_str() {
        html.push_str(&prose(after_summary(description, summary.unwrap_or_default())));
    }
    parameters_table(html, &op["parameters"]);
    request_body(html, &op["requestBody"]);
    responses(html, &op["responses"]);
    html.push_str("</article>\n");
}

fn parameters_table(html: &mut String, parameters: &Value) {
    let Some(parameters) = parameters.as_array().filter(|p| !p.is_empty()) else {
        return;
    };
    html.push_str("<h4>Parameters</h4>\n<table class=\"parameters\">\n<thead><tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr></thead>\n<tbody>\n");
    for parameter in parameters {
        let required = match parameter["required"].as_bool() {
            Some(true) => " <span class=\"required\">required</span>",
            _ => "",
        };
        let _ = writeln!(
            html,
            "<tr><td><code>{}</code>{required}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(parameter["name"].as_str().unwrap_or_default()),
            escape(parameter["in"].as_str().unwrap_or_default()),
            type_label(&parameter["schema"]),
            parameter["description"].as_str().map(prose).unwrap_or_default()
        );
    }
    html.push_str("</tbody>\n</table>\n");
}

fn request_body(html: &mut String, body: &Value) {
    let Some(content) = body["content"].as_object() else {
        return;
    };
    html.push_str("<h4>Request body</h4>\n");
    for (media_type, media) in content {
        let required = match body["required"].as_bool() {
            Some(true) => " <span class=\"required\">required</span>",
            _ => " <span class=\"optional\">optional</span>",
        };
        let _ = writeln!(
            html,
            "<p class=\"body\"><code class=\"media-type\">{}</code> {}{required}</p>",
            escape(media_type),
            type_label(&media["schema"])
        );
    }
    if let Some(description) = body["description"].as_str() {
        html.push_str(&prose(description));
    }
}

/// The successful answer in full; the error answers as links to the shared ones.
fn responses(html: &mut String, responses: &Value) {
    let Some(responses) = responses.as_object() else {
        return;
    };
    html.push_str("<h4>Responses</h4>\n");
    let mut errors = Vec::new();
    for (status, response) in responses {
        match response["$ref"].as_str().and_then(|r| r.strip_prefix(RESPONSES)) {
            Some(name) => errors.push(format!(
                "<a href=\"#{}\">{}</a>",
                escape(&format!("response-{name}")),
                escape(status)
            )),
            None => success(html, status, response),
        }
    }
    if !errors.is_empty() {
        let _ = writeln!(html, "<p class=\"errors\">Errors: {}</p>", errors.join(" "));
    }
}

fn success(html: &mut String, status: &str, response: &Value) {
    let _ = writeln!(
        html,
        "<div class=\"response\">\n<p><span class=\"status\">{}</span>",
        escape(status)
    );
    for (media_type, media) in response["content"].as_object().into_iter().flatten() {
        // A stream's schema is that of its text; what each event carries is `x-event-data`.
        let what = match media.get("x-event-data") {
            Some(data) => format!("events, each {}", type_label(data)),
            None => type_label(&media["schema"]),
        };
        let _ = write!(
            html,
            " <code class=\"media-type\">{}</code> {what}",
            escape(media_type)
        );
    }
    let headers = header_names(response);
    if !headers.is_empty() {
        let _ = write!(html, " with {headers}");
    }
    html.push_str("</p>\n");
    if let Some(description) = response["description"].as_str() {
        html.push_str(&prose(description));
    }
    html.push_str("</div>\n");
}

/// The shared error answers and the error body.
/// The shared error answers, by status, and the error body.
fn errors_section(html: &mut String, document: &Value) {
    html.push_str("<section id=\"errors\">\n<h2>Errors</h2>\n");
    let _ = writeln!(
        html,
        "<p>Every error answers with the {} body.</p>",
        type_label(&serde_json::json!({"$ref": format!("{SCHEMAS}Error")}))
    );
    html.push_str("<table class=\"responses\">\n<thead><tr><th>Status</th><th>Response</th><th>Description</th></tr></thead>\n<tbody>\n");
    let statuses = response_statuses(document);
    let mut responses: Vec<(&str, &String, &Value)> = document["components"]["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, response)| {
            (
                statuses.get(name.as_str()).copied().unwrap_or("default"),
                name,
                response,
            )
        })
        .collect();
    // Statuses in order, `default` last.
    responses.sort_by_key(|(status, _, _)| (*status == "default", *status));
    for (status, name, response) in responses {
        let headers = header_names(response);
        let headers = match headers.is_empty() {
            true => String::new(),
            false => format!("<p>With {headers}.</p>\n"),
        };
        let _ = writeln!(
            html,
            "<tr id=\"{}\"><td>{}</td><td><code>{}</code></td><td>{}{headers}</td></tr>",
            escape(&format!("response-{name}")),
            escape(status),
            escape(name),
            response["description"].as_str().map(prose).unwrap_or_default(),
        );
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
}

/// The status each shared response answers with, as the operations refer to it.
fn response_statuses(document: &Value) -> BTreeMap<&str, &str> {
    let mut statuses = BTreeMap::new();
    for operation in operations(document) {
        for (status, response) in operation.operation["responses"].as_object().into_iter().flatten() {
            if let Some(name) = response["$ref"].as_str().and_then(|r| r.strip_prefix(RESPONSES)) {
                statuses.entry(name).or_insert(status.as_str());
            }
        }
    }
    statuses
}

/// `<code>ETag</code>, …`: the headers a response sets.
fn header_names(response: &Value) -> String {
    let names: Vec<String> = response["headers"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, _)| format!("<code>{}</code>", escape(name)))
        .collect();
    names.join(", ")
}

fn schemas_section(html: &mut String, document: &Value) {
    html.push_str("<section id=\"schemas\">\n<h2>Schemas</h2>\n");
    for (name, schema) in document["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let _ = writeln!(
            html,
            "<article class=\"schema\" id=\"{}\">\n<h3><code>{}</code></h3>",
            escape(&format!("schema-{name}")),
            escape(name)
        );
        if let Some(description) = schema["description"].as_str() {
            html.push_str(&prose(description));
        }
        match schema["enum"].as_array() {
            Some(values) => enum_values(html, values),
            None => properties_table(html, schema),
        }
        html.push_str("</article>\n");
    }
    html.push_str("</section>\n");
}

fn enum_values(html: &mut String, values: &[Value]) {
    let values: Vec<String> = values
        .iter()
        .filter_map(Value::as_str)
        .map(|value| format!("<code>{}</code>", escape(value)))
        .collect();
    let _ = writeln!(html, "<p class=\"enum\">Values: {}</p>", values.join(", "));
}

fn properties_table(html: &mut String, schema: &Value) {
    let mut rows = String::new();
    property_rows(&mut rows, schema, "");
    if rows.is_empty() {
        let _ = writeln!(html, "<p class=\"type\">{}</p>", type_label(schema));
        return;
    }
    html.push_str("<table class=\"properties\">\n<thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead>\n<tbody>\n");
    html.push_str(&rows);
    html.push_str("</tbody>\n</table>\n");
}

/// A row per property; an inline object's properties follow under dotted names.
fn property_rows(rows: &mut String, schema: &Value, prefix: &str) {
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        let name = format!("{prefix}{name}");
        let _ = writeln!(
            rows,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}{}</td></tr>",
            escape(&name),
            type_label(property),
            property["description"].as_str().map(prose).unwrap_or_default(),
            inline_alternatives(property)
        );
        if property.get("properties").is_some() && property.get("$ref").is_none() {
            property_rows(rows, property, &format!("{name}."));
        }
    }
}

/// What an unnamed schema allows that its type does not say: an inline enum's values, or the named
/// schemas its items match (the error details).
fn inline_alternatives(schema: &Value) -> String {
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values
            .iter()
            .filter_map(Value::as_str)
            .map(|v| format!("<code>{}</code>", escape(v)))
            .collect();
        return format!("<p class=\"enum\">One of {}.</p>\n", values.join(", "));
    }
    let items = if schema["type"] == "array" {
        &schema["items"]
    } else {
        schema
    };
    let named: Vec<String> = items["anyOf"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|alternative| alternative.get("$ref").is_some())
        .map(type_label)
        .collect();
    match named.is_empty() {
        true => String::new(),
        false => format!("<p>Each one of {}, or another type.</p>\n", named.join(", ")),
    }
}

/// A schema's type in a few words, a named schema as a link to it.
fn type_label(schema: &Value) -> String {
    if let Some(target) = schema["$ref"].as_str() {
        let name = target.rsplit('/').next().unwrap_or(target);
        return format!(
            "<a class=\"type-ref\" href=\"#{}\"><code>{}</code></a>",
            escape(&format!("schema-{name}")),
            escape(name)
        );
    }
    let kind = schema["type"].as_str();
    match kind {
        Some("array") => format!("array of {}", type_label(&schema["items"])),
        Some("object") if schema["additionalProperties"].is_object() => {
            format!("map of string to {}", type_label(&schema["additionalProperties"]))
        }
        Some(kind) => {
            let detail = schema["format"].as_str().or(schema["contentEncoding"].as_str());
            match detail {
                Some(detail) => format!(
                    "{} <span class=\"format\">({})</span>",
                    escape(kind),
                    escape(detail)
                ),
                None => escape(kind),
            }
        }
        None => String::from("any"),
    }
}

/// The description less the summary it starts with (OpenAPI's summary is usually its first sentence),
/// so the page does not say it twice. Whitespace may differ: the summary is on one line.
fn after_summary<'d>(description: &'d str, summary: &str) -> &'d str {
    let mut rest = description;
    for word in summary.split_whitespace() {
        match rest.trim_start().strip_prefix(word) {
            Some(after) if after.is_empty() || after.starts_with(char::is_whitespace) => rest = after,
            _ => return description,
        }
    }
    rest.trim_start()
}

fn text_at<'d>(document: &'d Value, path: &[&str]) -> Option<&'d str> {
    path.iter()
        .try_fold(document, |node, key| node.get(key))?
        .as_str()
}

fn tag_anchor(name: &str) -> String {
    format!("tag-{name}")
}

/// A block of text in the protos' Markdown: paragraphs (blank-line separated) and `- ` lists whose
/// items may continue on indented lines.
fn prose(text: &str) -> String {
    let mut blocks: Vec<Block> = Vec::new();
    for line in text.lines() {
        let current = blocks.last_mut();
        match (line.strip_prefix("- "), current) {
            _ if line.trim().is_empty() => blocks.push(Block::Break),
            (Some(item), Some(Block::List(items))) => items.push(item.to_owned()),
            (Some(item), _) => blocks.push(Block::List(vec![item.to_owned()])),
            (None, Some(Block::List(items))) if line.starts_with(' ') => {
                if let Some(last) = items.last_mut() {
                    last.push(' ');
                    last.push_str(line.trim());
                }
            }
            (None, Some(Block::Paragraph(lines))) => lines.push(line.to_owned()),
            (None, _) => blocks.push(Block::Paragraph(vec![line.to_owned()])),
        }
    }
    let mut html = String::new();
    for block in blocks {
        match block {
            Block::Break => {}
            Block::Paragraph(lines) => {
                let _ = writeln!(html, "<p>{}</p>", inline(&lines.join("\n")));
            }
            Block::List(items) => {
                html.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(html, "<li>{}</li>", inline(&item));
                }
                html.push_str("</ul>\n");
            }
        }
    }
    html
}

enum Block {
    Paragraph(Vec<String>),
    List(Vec<String>),
    /// A blank line: ends the block before it.
    Break,
}

/// One line's worth of text: escaped, `code` spans as `<code>`. An unpaired backtick stays a backtick.
fn inline(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let mut html = String::new();
    for (i, part) in parts.iter().enumerate() {
        let in_code = i % 2 == 1;
        let closed = i + 1 < parts.len() || !in_code;
        match (in_code, closed) {
            (true, true) => {
                let _ = write!(html, "<code>{}</code>", escape(part));
            }
            (true, false) => {
                html.push('`');
                html.push_str(&escape(part));
            }
            (false, _) => html.push_str(&escape(part)),
        }
    }
    html
}

/// Text as HTML text or attribute value.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The page's only resource: system fonts, one readable column beside the list of services, method
/// badges in colour, a dark variant.
pub const STYLESHEET: &str = r#"/* The KAM API reference (/docs): system fonts, one readable column beside the services' list. */
:root {
  --text: #1f2328;
  --muted: #59636e;
  --background: #ffffff;
  --panel: #f6f8fa;
  --border: #d1d9e0;
  --link: #0959aa;
  --code: #eff2f5;
  --get: #1a7f37;
  --post: #0969da;
  --put: #9a6700;
  --patch: #8250df;
  --delete: #cf222e;
}

@media (prefers-color-scheme: dark) {
  :root {
    --text: #e6edf3;
    --muted: #9198a1;
    --background: #0d1117;
    --panel: #151b23;
    --border: #3d444d;
    --link: #4493f8;
    --code: #262c36;
    --get: #3fb950;
    --post: #4493f8;
    --put: #d29922;
    --patch: #ab7df8;
    --delete: #f85149;
  }
}

* { box-sizing: border-box; }

html { scroll-padding-top: 1rem; }

body {
  margin: 0;
  display: grid;
  grid-template-columns: 16rem minmax(0, 1fr);
  color: var(--text);
  background: var(--background);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 16px;
  line-height: 1.55;
}

code, .path {
  font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 0.875em;
}

p code, li code, td code {
  padding: 0.1em 0.3em;
  border-radius: 4px;
  background: var(--code);
  overflow-wrap: break-word;
}

a { color: var(--link); text-decoration: none; }
a:hover, a:focus { text-decoration: underline; }

.toc {
  position: sticky;
  top: 0;
  height: 100vh;
  overflow-y: auto;
  padding: 1.5rem 1rem;
  border-right: 1px solid var(--border);
  background: var(--panel);
}

.toc-title { margin: 0 0 1rem; font-weight: 600; font-size: 1.1rem; }
.toc ul { list-style: none; margin: 0; padding: 0; }
.toc li { margin: 0.2rem 0; }
.toc a { color: var(--text); }

main {
  max-width: 64rem;
  padding: 2rem 2.5rem 4rem;
}

h1 { margin-top: 0; font-size: 2rem; }
h2 { margin-top: 3rem; padding-bottom: 0.3rem; border-bottom: 1px solid var(--border); font-size: 1.6rem; }
h3 { font-size: 1.15rem; overflow-wrap: anywhere; }
h4 { margin: 1.2rem 0 0.4rem; font-size: 0.95rem; color: var(--muted); text-transform: uppercase; letter-spacing: 0.03em; }

.version {
  padding: 0.1em 0.5em;
  border: 1px solid var(--border);
  border-radius: 999px;
  font-size: 0.9rem;
  font-weight: normal;
  color: var(--muted);
  vertical-align: middle;
}

.operation, .schema {
  margin: 1.5rem 0;
  padding: 0.2rem 1.25rem 1rem;
  border: 1px solid var(--border);
  border-radius: 8px;
}

.operation h3 { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.6rem; }
.operation-id { margin-left: auto; color: var(--muted); font-weight: normal; }
.summary { font-weight: 600; }

.method {
  display: inline-block;
  min-width: 4.2rem;
  padding: 0.15em 0.5em;
  border-radius: 4px;
  color: #ffffff;
  font-size: 0.8rem;
  font-weight: 700;
  text-align: center;
  letter-spacing: 0.04em;
}

.method-get { background: var(--get); }
.method-post { background: var(--post); }
.method-put { background: var(--put); }
.method-patch { background: var(--patch); }
.method-delete { background: var(--delete); }

@media (prefers-color-scheme: dark) {
  .method { color: #0d1117; }
}

table {
  width: 100%;
  margin: 0.5rem 0 1rem;
  border-collapse: collapse;
  font-size: 0.925rem;
}

th, td {
  padding: 0.45rem 0.6rem;
  border: 1px solid var(--border);
  text-align: left;
  vertical-align: top;
}

th { background: var(--panel); font-weight: 600; }
td p { margin: 0 0 0.4rem; }
td p:last-child { margin-bottom: 0; }
td ul { margin: 0.2rem 0; padding-left: 1.2rem; }
td:first-child { white-space: nowrap; }

.required, .optional {
  margin-left: 0.3rem;
  font-size: 0.75rem;
  text-transform: uppercase;
  letter-spacing: 0.03em;
}

.required { color: var(--delete); }
.optional, .format { color: var(--muted); }

.response {
  margin: 0.5rem 0;
  padding: 0.1rem 0.9rem;
  border-left: 3px solid var(--get);
  background: var(--panel);
}

.status { font-weight: 700; }
.errors a { margin-right: 0.35rem; }
.media-type { color: var(--muted); }

@media (max-width: 50rem) {
  body { display: block; }
  .toc { position: static; height: auto; border-right: none; border-bottom: 1px solid var(--border); }
  .toc ul { display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; }
  main { padding: 1.25rem; }
  td:first-child { white-space: normal; }
}
"#;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn text_is_escaped_everywhere() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(inline("use `<b>` & `x"), "use <code>&lt;b&gt;</code> &amp; `x");
        let document = json!({
            "info": {"title": "<script>", "version": "v1", "description": "a < b"},
            "tags": [{"name": "S\"", "description": "<i>"}],
            "paths": {"/v1/x": {"get": {"operationId": "Get<X>", "tags": ["S\""], "summary": "<b>",
                "responses": {"200": {"description": "<ok>"}}}}},
            "components": {"schemas": {"a.<B>": {"type": "object", "properties": {"<prop>": {"type": "string", "description": "<d>"}}}}},
        });
        let page = page(&document);
        for raw in [
            "<script>", "<i>", "<b>", "<ok>", "<prop>", "<d>", "Get<X>", "a.<B>", "a < b",
        ] {
            assert!(!page.contains(raw), "{raw} unescaped in\n{page}");
        }
        assert!(page.contains("Get&lt;X&gt;") && page.contains("a &lt; b"));
    }

    #[test]
    fn prose_has_paragraphs_lists_and_code() {
        let html =
            prose("Conventions (see above):\n- List: `page_size`\n  continues.\n- Update: mask.\n\nLast.");
        assert_eq!(
            html,
            "<p>Conventions (see above):</p>\n<ul>\n<li>List: <code>page_size</code> continues.</li>\n<li>Update: mask.</li>\n</ul>\n<p>Last.</p>\n"
        );
    }

    #[test]
    fn the_description_does_not_repeat_the_summary() {
        assert_eq!(
            after_summary(
                "Soft delete: sets it.\nThe account\nstays.",
                "Soft delete: sets it."
            ),
            "The account\nstays."
        );
        assert_eq!(after_summary("Newest first.", "Newest first."), "");
        assert_eq!(after_summary("Other text.", "Summary."), "Other text.");
        assert_eq!(after_summary("Anything.", ""), "Anything.");
    }

    #[test]
    fn types_read_as_words_and_link_to_their_schemas() {
        assert_eq!(
            type_label(&json!({"type": "array", "items": {"$ref": "#/components/schemas/kam.v1.Account"}})),
            "array of <a class=\"type-ref\" href=\"#schema-kam.v1.Account\"><code>kam.v1.Account</code></a>"
        );
        assert_eq!(
            type_label(&json!({"type": "string", "format": "int64"})),
            "string <span class=\"format\">(int64)</span>"
        );
        assert_eq!(type_label(&json!({})), "any");
    }

    #[test]
    fn the_page_has_no_script_inline_style_or_foreign_resource() {
        let routes =
            crate::rest::routes::RouteTable::from_pool(crate::rest::pool()).unwrap_or_else(|e| panic!("{e}"));
        let page = page(&crate::rest::openapi::document(&routes));
        for forbidden in ["<script", "<style", " style=", "<img", "<iframe", "src=", "url("] {
            assert!(!page.contains(forbidden), "{forbidden}");
        }
        for href in page
            .split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
        {
            assert!(
                href.starts_with('#') || (href.starts_with('/') && !href.starts_with("//")),
                "{href}"
            );
        }
    }
}
