//! TLS for every call the app makes. reqwest's rustls checks certificates with
//! the platform's verifier: the system's trust store, where a company that
//! inspects its traffic installs its own root, so the app works behind such a
//! proxy as the browser does (a list of roots built into the app would refuse it).
//! The crypto underneath is ring, chosen here once per process.

use std::sync::Once;

use crate::error::{AppError, AppResult};

/// Makes ring the crypto provider of this process's rustls. Called before any
/// HTTP client is built (reqwest panics without one); a provider the process
/// already chose is kept.
fn use_ring() {
    static CHOSEN: Once = Once::new();
    CHOSEN.call_once(|| {
        // An error only says a provider was installed first: that one serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Builds an HTTP client: the app's user agent and connect timeout, then what
/// `configure` adds. The platform's verifier refuses to be built when the system
/// has no trust store to read (Linux without ca-certificates); then the client is
/// built trusting no certificate at all, so the app still opens, shows its library
/// and keeps every paid job, and each call says the connection is not trusted
/// (`certificate_refused`) until the store is there and the app starts again.
/// Never an app that will not open.
pub fn build_client(
    config: &super::ClientConfig,
    configure: impl Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
) -> AppResult<reqwest::Client> {
    use_ring();
    let builder = || {
        configure(
            reqwest::Client::builder()
                .user_agent(concat!("KlingStudio/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(config.connect_timeout),
        )
    };
    builder().build().or_else(|error| {
        log::warn!(
            "the system's certificates could not be used ({error}): every call will be refused"
        );
        builder()
            .tls_certs_only(Vec::<reqwest::Certificate>::new())
            .build()
            .map_err(|e| AppError::internal(e.to_string()))
    })
}

/// Whether a failed call failed because this computer does not trust the
/// certificate it was shown: on a work network, a proxy whose root is not
/// installed; elsewhere, someone in the middle. Said apart from "no internet",
/// because checking the connection will not help.
pub fn certificate_refused(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(rustls::Error::InvalidCertificate(_)) = error.downcast_ref::<rustls::Error>() {
            return true;
        }
        // rustls's error reaches reqwest inside an io::Error, which hides it
        // from `source()` behind `get_ref()`.
        let inside_io = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        next = inside_io.or_else(|| error.source());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_certificate_is_found_inside_an_io_error() {
        let refused = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, refused);
        assert!(certificate_refused(&io));
    }

    #[test]
    fn other_failures_are_not_a_refused_certificate() {
        let refused_connection = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(!certificate_refused(&refused_connection));
        let other_tls = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::HandshakeNotComplete,
        );
        assert!(!certificate_refused(&other_tls));
    }
}
