//! The app's files and how each is answered: its type, how long browsers may keep it, its validator,
//! and its gzip twin when the build made one.

use std::{collections::HashMap, fmt::Write as _, io, path::Path};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use sha2::{Digest, Sha256};

use super::headers::{accepts_gzip, insert_security_headers, is_current};

/// `(path, bytes)` of every file under `clients/web/dist` when the binary was built (see build.rs).
static EMBEDDED: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// The page that draws every address of the app; its scripts then show the page the address names.
const INDEX: &str = "/index.html";

/// Vite names every built file under `/assets/` after a hash of its content: a browser may keep them.
const HASHED: &str = "/assets/";

/// The web app's files, by the path they are served at (`/index.html`, `/assets/index-3f2a.js`).
#[derive(Debug, Default)]
pub struct WebApp {
    files: HashMap<String, Asset>,
}

#[derive(Debug)]
struct Asset {
    plain: Bytes,
    /// The same content gzipped, from the build's `<name>.gz`.
    gzip: Option<Bytes>,
    content_type: &'static str,
    etag: HeaderValue,
}

impl WebApp {
    /// The build embedded in this binary.
    pub fn embedded() -> Self {
        Self::from_files(
            EMBEDDED
                .iter()
                .map(|(path, bytes)| ((*path).to_owned(), Bytes::from_static(bytes))),
        )
    }

    /// The files under `root` as they are now (a build of the app made after this binary was).
    pub fn from_dir(root: &Path) -> io::Result<Self> {
        let mut files = Vec::new();
        read_tree(root, "", &mut files)?;
        if !files.iter().any(|(path, _)| path == INDEX) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{} has no index.html: build the app first (npm run build)",
                    root.display()
                ),
            ));
        }
        Ok(Self::from_files(files))
    }

    fn from_files(files: impl IntoIterator<Item = (String, Bytes)>) -> Self {
        let (twins, plain): (Vec<_>, Vec<_>) = files.into_iter().partition(|(path, _)| path.ends_with(".gz"));
        let mut twins: HashMap<String, Bytes> = twins
            .into_iter()
            .map(|(path, bytes)| (path.trim_end_matches(".gz").to_owned(), bytes))
            .collect();
        let files = plain
            .into_iter()
            .map(|(path, bytes)| {
                let asset = Asset {
                    gzip: twins.remove(&path),
                    content_type: content_type(&path),
                    etag: etag_of(&bytes),
                    plain: bytes,
                };
                (path, asset)
            })
            .collect();
        Self { files }
    }

    /// How many files the app has (0 when this binary was built without it).
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The answer to a GET or HEAD of `path`: the file, the app's page for any address of the app,
    /// 304 when the browser's copy is current, 404 for anything else.
    pub fn answer(&self, method: &Method, path: &str, request: &HeaderMap) -> Response<Bytes> {
        let Some((path, asset)) = self.resolve(path) else {
            return not_found(self.is_empty());
        };
        let mut response = Response::new(Bytes::new());
        let headers = response.headers_mut();
        insert_security_headers(headers);
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        headers.insert(header::ETAG, asset.etag.clone());
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if path.starts_with(HASHED) {
                "public, max-age=31536000, immutable"
            } else {
                // The page names the current hashed files: it is checked on every visit.
                "no-cache"
            }),
        );
        if asset.gzip.is_some() {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        if is_current(request, &asset.etag) {
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            return response;
        }
        let body = match &asset.gzip {
            Some(gzip) if accepts_gzip(request) => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                gzip
            }
            _ => &asset.plain,
        };
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        if method != Method::HEAD {
            *response.body_mut() = body.clone();
        }
        response
    }

    /// The file at `path`; for an address of the app (no file extension, outside `/assets/`), its page.
    fn resolve<'a>(&'a self, path: &'a str) -> Option<(&'a str, &'a Asset)> {
        if let Some(asset) = self.files.get(path) {
            return Some((path, asset));
        }
        let last = path.rsplit('/').next().unwrap_or_default();
        if path.starts_with(HASHED) || last.contains('.') {
            return None;
        }
        self.files.get(INDEX).map(|asset| (INDEX, asset))
    }
}

fn not_found(without_app: bool) -> Response<Bytes> {
    let text: &'static str = if without_app {
        "This kam-server was built without the web app (clients/web/dist).\n"
    } else {
        "Not found.\n"
    };
    let mut response = Response::new(Bytes::from_static(text.as_bytes()));
    *response.status_mut() = StatusCode::NOT_FOUND;
    insert_security_headers(response.headers_mut());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A strong validator: the first 16 bytes of the content's SHA-256, quoted.
fn etag_of(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    let mut tag = String::from("\"");
    for byte in &digest[..16] {
        write!(tag, "{byte:02x}").expect("write to a String");
    }
    tag.push('"');
    HeaderValue::from_str(&tag).expect("hex is a valid header value")
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Every file under `dir` as `(/relative/path, bytes)`.
fn read_tree(dir: &Path, prefix: &str, files: &mut Vec<(String, Bytes)>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue; // not a name a URL of the app can have
        };
        let path = format!("{prefix}/{name}");
        if entry.file_type()?.is_dir() {
            read_tree(&entry.path(), &path, files)?;
        } else {
            files.push((path, Bytes::from(std::fs::read(entry.path())?)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> WebApp {
        WebApp::from_files([
            ("/index.html".to_owned(), Bytes::from_static(b"<html>app</html>")),
            (
                "/assets/index-abc.js".to_owned(),
                Bytes::from_static(b"console.log(1)"),
            ),
            ("/assets/index-abc.js.gz".to_owned(), Bytes::from_static(b"GZ")),
            ("/favicon.svg".to_owned(), Bytes::from_static(b"<svg/>")),
        ])
    }

    fn get(app: &WebApp, path: &str, headers: &[(&'static str, &'static str)]) -> Response<Bytes> {
        let mut request = HeaderMap::new();
        for (name, value) in headers {
            request.insert(*name, HeaderValue::from_static(value));
        }
        app.answer(&Method::GET, path, &request)
    }

    #[test]
    fn every_address_of_the_app_gets_its_page() {
        let app = app();
        for path in ["/", "/accounts/0192", "/service", "/tiers"] {
            let response = get(&app, path, &[]);
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.body().as_ref(), b"<html>app</html>", "{path}");
            assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache", "{path}");
        }
    }

    #[test]
    fn missing_files_are_not_found_rather_than_the_page() {
        let app = app();
        for path in ["/assets/index-old.js", "/robots.txt", "/index.html.gz"] {
            assert_eq!(get(&app, path, &[]).status(), StatusCode::NOT_FOUND, "{path}");
        }
    }

    #[test]
    fn hashed_files_are_kept_and_sent_gzipped_to_who_takes_it() {
        let app = app();
        let plain = get(&app, "/assets/index-abc.js", &[]);
        assert_eq!(plain.body().as_ref(), b"console.log(1)");
        assert!(
            plain.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert_eq!(
            plain.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert_eq!(plain.headers()[header::VARY], "accept-encoding");

        let gzipped = get(&app, "/assets/index-abc.js", &[("accept-encoding", "gzip, br")]);
        assert_eq!(gzipped.body().as_ref(), b"GZ");
        assert_eq!(gzipped.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(gzipped.headers()[header::CONTENT_LENGTH], "2");
    }

    #[test]
    fn a_current_copy_gets_not_modified_and_head_gets_no_body() {
        let app = app();
        let first = get(&app, "/favicon.svg", &[]);
        let etag = first.headers()[header::ETAG].clone();
        let mut request = HeaderMap::new();
        request.insert(header::IF_NONE_MATCH, etag);
        let again = app.answer(&Method::GET, "/favicon.svg", &request);
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(again.body().is_empty());

        let head = app.answer(&Method::HEAD, "/favicon.svg", &HeaderMap::new());
        assert_eq!(head.status(), StatusCode::OK);
        assert!(head.body().is_empty());
        assert_eq!(head.headers()[header::CONTENT_LENGTH], "6");
    }

    #[test]
    fn a_binary_without_the_app_says_so() {
        let response = get(&WebApp::default(), "/", &[]);
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(
            std::str::from_utf8(response.body())
                .unwrap()
                .contains("without the web app")
        );
    }
}
