//! HTTPS for the fake. A root certificate made for one test run signs the
//! fake's own certificate (for 127.0.0.1 and localhost). A test decides where
//! the root is trusted: put where the system's trust store is read from
//! (`SSL_CERT_FILE`), the client must connect; left out, it must refuse the
//! fake without sending a thing.

use std::fmt;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

/// A test root and the server identity it signed.
#[derive(Clone)]
pub struct TestRoot {
    /// The root certificate, PEM: what a trust store would hold.
    pub pem: String,
    pub(crate) server: Arc<ServerConfig>,
}

impl fmt::Debug for TestRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TestRoot { .. }")
    }
}

impl TestRoot {
    pub fn new() -> TestRoot {
        let mut root = CertificateParams::new(Vec::<String>::new()).expect("root params");
        root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root.distinguished_name
            .push(DnType::CommonName, "fake-segmind test root");
        root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let root = CertifiedIssuer::self_signed(root, KeyPair::generate().expect("root key"))
            .expect("the root signs itself");

        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .expect("server params");
        server
            .distinguished_name
            .push(DnType::CommonName, "fake-segmind");
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let server_key = KeyPair::generate().expect("server key");
        let server_cert = server
            .signed_by(&server_key, &root)
            .expect("the root signs the server");

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![server_cert.der().clone(), root.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
            )
            .expect("the server's certificate and key");
        config.alpn_protocols = vec![b"http/1.1".to_vec()]; // axum here speaks HTTP/1.1
        TestRoot {
            pem: root.pem(),
            server: Arc::new(config),
        }
    }
}

impl Default for TestRoot {
    fn default() -> Self {
        TestRoot::new()
    }
}
