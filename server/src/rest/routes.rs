//! The HTTP bindings of the API, read from the descriptor set: every method's `google.api.http`
//! annotation becomes a [`Route`] (HTTP method, path template, body and response-body fields). Nothing
//! here names a service: a new RPC with an annotation is served with no further code.

use http::Method;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor, Value,
};

/// The full name of the method option that carries a binding.
const HTTP_OPTION: &str = "google.api.http";

/// One way to reach an RPC over HTTP.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    pub template: Template,
    pub body: BodyBinding,
    /// The response field sent as the body (its elements, one per event, for a stream); else the whole response.
    pub response_body: Option<FieldDescriptor>,
    pub rpc: MethodDescriptor,
}

impl Route {
    /// The gRPC path the route calls, `/kam.v1.AccountService/GetAccount`.
    pub fn grpc_path(&self) -> String {
        format!("/{}/{}", self.rpc.parent_service().full_name(), self.rpc.name())
    }
}

/// What the HTTP body carries.
#[derive(Debug, Clone)]
pub enum BodyBinding {
    /// No body: every field not in the path is a query parameter.
    None,
    /// The whole request (less the path's fields).
    Whole,
    /// One field of the request; the others are query parameters. For a client stream, a repeated
    /// field's elements come one per line and the server batches them into messages.
    Field(FieldDescriptor),
}

/// A path template: `/v1/accounts/{id}:undelete` is literal `v1`, literal `accounts`, the field `id`
/// and the verb `undelete`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub segments: Vec<Segment>,
    pub verb: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Literal(String),
    /// A request field, by its path from the request (`account.id`): exactly one path segment.
    Field(FieldPath),
}

/// A chain of singular fields from the request message to a string or number field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPath(pub Vec<FieldDescriptor>);

impl FieldPath {
    /// `account.id`, as the template and the query name it.
    pub fn dotted(&self) -> String {
        self.0.iter().map(|f| f.name()).collect::<Vec<_>>().join(".")
    }

    /// The name OpenAPI gives the path parameter: the last field's (`account.id` → `id`), so that the
    /// operations on one resource share one path (`/v1/accounts/{id}` for GET, PATCH and DELETE), as
    /// OpenAPI requires of paths that differ only in their parameters' names.
    pub fn parameter_name(&self) -> &str {
        self.leaf().name()
    }

    /// The last field: the one the value is written to.
    pub fn leaf(&self) -> &FieldDescriptor {
        self.0.last().expect("a field path is never empty")
    }

    /// Resolves `a.b.c` (proto names) from `message`; only singular message fields may lead to the leaf.
    pub fn resolve(message: &MessageDescriptor, dotted: &str) -> Option<FieldPath> {
        let mut fields = Vec::new();
        let mut current = message.clone();
        let mut names = dotted.split('.').peekable();
        while let Some(name) = names.next() {
            let field = current
                .get_field_by_name(name)
                .or_else(|| current.get_field_by_json_name(name))?;
            if names.peek().is_some() {
                let Kind::Message(inner) = field.kind() else {
                    return None;
                };
                if field.is_list() || field.is_map() {
                    return None;
                }
                current = inner;
            }
            fields.push(field);
        }
        Some(FieldPath(fields))
    }
}

impl Template {
    /// Parses `/v1/accounts/{account.id}` against the request message `request`.
    pub fn parse(path: &str, request: &MessageDescriptor) -> Result<Template, String> {
        let rest = path
            .strip_prefix('/')
            .ok_or_else(|| format!("path {path:?} must start with '/'"))?;
        let (rest, verb) = split_verb(rest);
        let mut segments = Vec::new();
        for part in rest.split('/') {
            if part.is_empty() {
                return Err(format!("path {path:?} has an empty segment"));
            }
            let segment = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => {
                    if name.contains('=') {
                        return Err(format!("path {path:?}: only single-segment variables are served"));
                    }
                    let field = FieldPath::resolve(request, name)
                        .ok_or_else(|| format!("path {path:?}: {name} is not a field of the request"))?;
                    if field.leaf().is_list() || matches!(field.leaf().kind(), Kind::Message(_)) {
                        return Err(format!("path {path:?}: {name} must be a singular scalar field"));
                    }
                    Segment::Field(field)
                }
                None if part.contains(['{', '}', '*']) => {
                    return Err(format!("path {path:?}: unsupported segment {part:?}"));
                }
                None => Segment::Literal(part.to_owned()),
            };
            segments.push(segment);
        }
        Ok(Template {
            segments,
            verb: verb.map(str::to_owned),
        })
    }

    /// The path's field values when `path` matches, in template order; `None` when it does not.
    pub fn matches<'p>(&self, path: &'p str) -> Option<Vec<(&FieldPath, &'p str)>> {
        let rest = path.strip_prefix('/')?;
        let (rest, verb) = split_verb(rest);
        if verb != self.verb.as_deref() {
            return None;
        }
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut values = Vec::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Literal(_) => return None,
                Segment::Field(_) if part.is_empty() => return None,
                Segment::Field(field) => values.push((field, part)),
            }
        }
        Some(values)
    }

    /// Literal segments count for more than variables when two templates match one path.
    fn specificity(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }

    /// The fields the path binds.
    pub fn fields(&self) -> impl Iterator<Item = &FieldPath> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Field(field) => Some(field),
            Segment::Literal(_) => None,
        })
    }

    /// The template as OpenAPI writes paths: `/v1/accounts/{id}:undelete` (see [`FieldPath::parameter_name`]).
    pub fn openapi_path(&self) -> String {
        let mut path = String::new();
        for segment in &self.segments {
            path.push('/');
            match segment {
                Segment::Literal(literal) => path.push_str(literal),
                Segment::Field(field) => {
                    path.push('{');
                    path.push_str(field.parameter_name());
                    path.push('}');
                }
            }
        }
        if let Some(verb) = &self.verb {
            path.push(':');
            path.push_str(verb);
        }
        path
    }
}

/// `accounts/x:undelete` → (`accounts/x`, `undelete`): the verb follows the last ':' of the last segment.
fn split_verb(path: &str) -> (&str, Option<&str>) {
    let last_segment_start = path.rfind('/').map_or(0, |i| i + 1);
    match path[last_segment_start..].rfind(':') {
        Some(colon) => {
            let at = last_segment_start + colon;
            (&path[..at], Some(&path[at + 1..]))
        }
        None => (path, None),
    }
}

/// Every route of every service in the pool's `kam.` packages.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<Route>,
}

/// What a request's method and path found.
pub enum Found<'t> {
    Route(&'t Route, Vec<(&'t FieldPath, String)>),
    /// The path exists with other methods (405, with these in `Allow`).
    WrongMethod(Vec<Method>),
    NotFound,
}

impl RouteTable {
    /// Reads the bindings of every method of every `kam.` service; a method without one, or a binding
    /// that does not fit its request, is an error (a build-time mistake, caught by the tests).
    pub fn from_pool(pool: &DescriptorPool) -> Result<RouteTable, String> {
        let option = pool
            .get_extension_by_name(HTTP_OPTION)
            .ok_or_else(|| format!("the descriptor set lacks {HTTP_OPTION}"))?;
        let mut routes = Vec::new();
        for service in pool.services().filter(|s| s.package_name().starts_with("kam.")) {
            for rpc in service.methods() {
                let options = rpc.options();
                if !options.has_extension(&option) {
                    return Err(format!("{} has no {HTTP_OPTION} binding", rpc.full_name()));
                }
                let Value::Message(rule) = options.get_extension(&option).into_owned() else {
                    return Err(format!("{}: {HTTP_OPTION} is not a message", rpc.full_name()));
                };
                routes.push(route(&rpc, &rule)?);
                if let Some(Value::List(more)) = rule
                    .get_field_by_name("additional_bindings")
                    .map(|v| v.into_owned())
                {
                    for binding in more {
                        let Value::Message(binding) = binding else {
                            continue;
                        };
                        routes.push(route(&rpc, &binding)?);
                    }
                }
            }
        }
        let table = RouteTable { routes };
        table.check_unambiguous()?;
        Ok(table)
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The route for `method` and `path` (percent-decoded field values), the most literal first.
    pub fn find(&self, method: &Method, path: &str) -> Found<'_> {
        let mut best: Option<(&Route, Vec<(&FieldPath, &str)>)> = None;
        let mut allowed = Vec::new();
        for route in &self.routes {
            let Some(values) = route.template.matches(path) else {
                continue;
            };
            if route.method != *method {
                if !allowed.contains(&route.method) {
                    allowed.push(route.method.clone());
                }
                continue;
            }
            let better = best
                .as_ref()
                .is_none_or(|(b, _)| route.template.specificity() > b.template.specificity());
            if better {
                best = Some((route, values));
            }
        }
        match best {
            Some((route, values)) => {
                let decoded = values
                    .into_iter()
                    .map(|(field, raw)| (field, percent_decode(raw)))
                    .collect();
                Found::Route(route, decoded)
            }
            None if !allowed.is_empty() => Found::WrongMethod(allowed),
            None => Found::NotFound,
        }
    }

    /// Two routes with one method and one shape (literals in the same places) would make a path's
    /// meaning depend on their order.
    fn check_unambiguous(&self) -> Result<(), String> {
        for (i, a) in self.routes.iter().enumerate() {
            for b in &self.routes[i + 1..] {
                if a.method == b.method && same_shape(&a.template, &b.template) {
                    return Err(format!(
                        "{} and {} both bind {} {}",
                        a.rpc.full_name(),
                        b.rpc.full_name(),
                        a.method,
                        a.template.openapi_path()
                    ));
                }
            }
        }
        Ok(())
    }
}

fn same_shape(a: &Template, b: &Template) -> bool {
    a.verb == b.verb
        && a.segments.len() == b.segments.len()
        && a.segments.iter().zip(&b.segments).all(|pair| match pair {
            (Segment::Literal(x), Segment::Literal(y)) => x == y,
            (Segment::Field(_), Segment::Field(_)) => true,
            _ => false,
        })
}

fn route(rpc: &MethodDescriptor, rule: &DynamicMessage) -> Result<Route, String> {
    let text = |name: &str| -> String {
        rule.get_field_by_name(name)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let pattern = ["get", "put", "post", "delete", "patch"]
        .into_iter()
        .find(|name| rule.has_field_by_name(name))
        .ok_or_else(|| format!("{}: the binding names no HTTP method", rpc.full_name()))?;
    let method = Method::from_bytes(pattern.to_uppercase().as_bytes()).expect("a standard method");
    let request = rpc.input();
    let template =
        Template::parse(&text(pattern), &request).map_err(|e| format!("{}: {e}", rpc.full_name()))?;

    let body = match text("body").as_str() {
        "" => BodyBinding::None,
        "*" => BodyBinding::Whole,
        name => BodyBinding::Field(
            request
                .get_field_by_name(name)
                .ok_or_else(|| format!("{}: body {name} is not a field of the request", rpc.full_name()))?,
        ),
    };
    if matches!(method, Method::GET | Method::DELETE) && !matches!(body, BodyBinding::None) {
        return Err(format!("{}: {method} takes no body", rpc.full_name()));
    }
    if rpc.is_client_streaming() && matches!(body, BodyBinding::None) {
        return Err(format!("{}: a client stream needs a body", rpc.full_name()));
    }
    let response_body = match text("response_body").as_str() {
        "" => None,
        name => Some(rpc.output().get_field_by_name(name).ok_or_else(|| {
            format!(
                "{}: response_body {name} is not a field of the response",
                rpc.full_name()
            )
        })?),
    };
    Ok(Route {
        method,
        template,
        body,
        response_body,
        rpc: rpc.clone(),
    })
}

/// `%20` → ` `; a malformed escape stays as written (the field's validation then names it).
pub fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rpc_has_one_unambiguous_binding() {
        let table = RouteTable::from_pool(crate::rest::pool()).unwrap_or_else(|e| panic!("{e}"));
        let bound: std::collections::BTreeSet<String> = table
            .routes()
            .iter()
            .map(|r| r.rpc.full_name().to_owned())
            .collect();
        let declared = crate::rest::pool()
            .services()
            .filter(|s| s.package_name() == "kam.v1")
            .map(|s| s.methods().count())
            .sum::<usize>();
        assert_eq!(bound.len(), declared);
    }

    #[test]
    fn paths_that_differ_only_in_parameter_names_are_one_openapi_path() {
        let table = RouteTable::from_pool(crate::rest::pool()).unwrap_or_else(|e| panic!("{e}"));
        let mut by_shape = std::collections::HashMap::new();
        for route in table.routes() {
            let path = route.template.openapi_path();
            let names: Vec<&str> = route.template.fields().map(FieldPath::parameter_name).collect();
            let unique: std::collections::HashSet<_> = names.iter().collect();
            assert_eq!(unique.len(), names.len(), "{path} names a parameter twice");
            let shape = names.iter().fold(path.clone(), |shape, name| {
                shape.replace(&format!("{{{name}}}"), "{}")
            });
            if let Some(other) = by_shape.insert(shape, path.clone()) {
                assert_eq!(other, path, "one resource, two OpenAPI paths");
            }
        }
    }

    #[test]
    fn the_verb_is_after_the_last_colon_of_the_last_segment() {
        assert_eq!(
            split_verb("v1/accounts/x:undelete"),
            ("v1/accounts/x", Some("undelete"))
        );
        assert_eq!(split_verb("v1/accounts:import"), ("v1/accounts", Some("import")));
        assert_eq!(split_verb("v1/a:b/c"), ("v1/a:b/c", None));
        assert_eq!(split_verb("v1/accounts"), ("v1/accounts", None));
    }

    #[test]
    fn percent_escapes_decode_and_broken_ones_stay() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("%E4%B8%AD"), "中");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%4"), "%4");
    }
}
