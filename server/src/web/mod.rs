//! The web app (`clients/web`) on the server's one port. Browsers ask for pages and files with GET and
//! HEAD; gRPC and gRPC-Web are always POST, so the two never meet: [`WebAppLayer`] answers the first
//! and passes everything else on to the services. The app's files come from the build embedded in the
//! binary (`build.rs`), or from a directory (`web_root`) when one is configured.

mod assets;
mod headers;
mod layer;

pub use assets::WebApp;
pub use layer::WebAppLayer;
