//! The connection to the server: address, credentials, and the integration client.
//!
//! The address and key handling follow kamctl (`clients/cli/src/client.rs`), copied rather than shared
//! because kamctl is a binary-only crate and these few functions do not justify a library crate. Two
//! differences, on purpose: the connector never falls back to the server's `./kam-admin.key` (an
//! unattended job should run with an INTEGRATION key of its own), and it connects lazily, so that a
//! server that is not up yet is an UNAVAILABLE call like any other, retried with backoff.

use std::path::Path;
use std::time::Duration;

use kam_proto::v1::integration_service_client::IntegrationServiceClient;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};

use crate::error::Error;

/// The environment variable holding the API key itself. There is deliberately no flag for it: command
/// lines are visible to every user of the machine (`ps`), environments are not.
pub const API_KEY_ENV: &str = "KAM_API_KEY";

/// The largest response the connector accepts: an event batch of 1000 events with their payloads can
/// pass tonic's 4 MiB default; the server caps what it sends with its own `max_message_bytes`.
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// How long establishing a TCP connection may take before the call fails (and is retried).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Pings on an idle HTTP/2 connection, so that a follow stream notices a server that vanished
/// without closing the connection (the call then fails UNAVAILABLE and reconnects).
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// A channel whose every call carries the credentials.
pub type Connection = InterceptedService<Channel, Credentials>;

/// The client of `kam.v1.IntegrationService`, the only service the connector calls.
pub type IntegrationClient = IntegrationServiceClient<Connection>;

/// Parses `--addr`. A bare `host:port` gets `http://`, since that is what people type.
pub fn parse_addr(addr: &str) -> Result<Endpoint, String> {
    let addr = if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    };
    Endpoint::from_shared(addr).map_err(|err| err.to_string())
}

/// A lazily connecting client for `addr` with the key from `KAM_API_KEY` or `key_file`.
///
/// The key is read now, so that a missing or bad key is reported before any work starts.
pub fn connect(addr: &Endpoint, key_file: Option<&Path>) -> Result<IntegrationClient, Error> {
    let env_key = std::env::var(API_KEY_ENV).ok();
    let key = load_key(env_key.as_deref(), key_file)?;
    let channel = addr
        .clone()
        .connect_timeout(CONNECT_TIMEOUT)
        .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
        .keep_alive_timeout(KEEPALIVE_TIMEOUT)
        .keep_alive_while_idle(true)
        .connect_lazy();
    let service = InterceptedService::new(channel, Credentials(key));
    Ok(IntegrationServiceClient::new(service).max_decoding_message_size(MAX_RESPONSE_BYTES))
}

/// The key from `KAM_API_KEY` (trimmed; blank counts as unset), else from `--api-key-file`, as the
/// `authorization` header. Without either, nothing the connector does can work: a usage error.
pub fn load_key(env_key: Option<&str>, key_file: Option<&Path>) -> Result<MetadataValue<Ascii>, Error> {
    if let Some(key) = env_key.map(str::trim).filter(|key| !key.is_empty()) {
        return authorization(key, API_KEY_ENV);
    }
    let Some(path) = key_file else {
        return Err(Error::Usage(format!(
            "no API key: set {API_KEY_ENV} to the key, or --api-key-file (KAM_API_KEY_FILE) to a file \
             holding it"
        )));
    };
    let key = std::fs::read_to_string(path)
        .map_err(|err| Error::Usage(format!("cannot read the API key file {}: {err}", path.display())))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(Error::Usage(format!(
            "the API key file {} is empty",
            path.display()
        )));
    }
    authorization(key, &format!("the API key file {}", path.display()))
}

/// `Bearer <key>`, marked sensitive so that it never shows in debug output. A key that is not one word
/// of visible ASCII is refused; the message says where it came from, never the key.
fn authorization(key: &str, origin: &str) -> Result<MetadataValue<Ascii>, Error> {
    let invalid = || {
        Error::Usage(format!(
            "the API key in {origin} is not valid: it must be one word of visible ASCII characters"
        ))
    };
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid());
    }
    let mut value = MetadataValue::try_from(format!("Bearer {key}")).map_err(|_| invalid())?;
    value.set_sensitive(true);
    Ok(value)
}

/// Adds `authorization: Bearer <key>` to every call.
#[derive(Clone)]
pub struct Credentials(MetadataValue<Ascii>);

impl Interceptor for Credentials {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_host_and_port_get_a_scheme() {
        assert_eq!(
            parse_addr("localhost:50051").unwrap().uri().to_string(),
            "http://localhost:50051/"
        );
        assert_eq!(
            parse_addr("http://10.0.0.1:1").unwrap().uri().to_string(),
            "http://10.0.0.1:1/"
        );
    }

    #[test]
    fn the_environment_key_wins_and_becomes_a_sensitive_bearer_header() {
        let value = load_key(Some(" kam_0123abcd_s3cret\n"), Some(Path::new("/nonexistent"))).unwrap();
        assert_eq!(value.to_str().unwrap(), "Bearer kam_0123abcd_s3cret");
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("s3cret"));
    }

    #[test]
    fn a_key_file_is_read_and_trimmed_and_its_problems_are_usage_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, "kam_0123abcd_s3cret\n").unwrap();
        let value = load_key(Some("  "), Some(&file)).unwrap();
        assert_eq!(value.to_str().unwrap(), "Bearer kam_0123abcd_s3cret");

        std::fs::write(&file, " \n").unwrap();
        let err = load_key(None, Some(&file)).unwrap_err().to_string();
        assert!(err.contains("is empty"), "{err}");

        let err = load_key(None, Some(&dir.path().join("missing")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read the API key file"), "{err}");

        std::fs::write(&file, "two words").unwrap();
        let err = load_key(None, Some(&file)).unwrap_err().to_string();
        assert!(err.contains("not valid") && !err.contains("two words"), "{err}");
    }

    #[test]
    fn no_key_at_all_is_a_usage_error_naming_both_ways() {
        let err = load_key(None, None).unwrap_err().to_string();
        assert!(
            err.contains("KAM_API_KEY") && err.contains("--api-key-file"),
            "{err}"
        );
    }
}
