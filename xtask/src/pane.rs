//! The task pane served as Outlook loads it: over https on localhost (port 3000, where
//! `manifest.xml` points), with a certificate made on this machine by a local development
//! CA, and a `config.json` that points the pane at the Graph sandbox and the licensing
//! server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use axum_server::tls_rustls::RustlsConfig;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tower_http::services::ServeDir;

/// The development CA and the localhost certificate it signed, as PEM.
pub struct Tls {
    /// The CA's certificate: trust it once to sideload the add-in.
    pub ca: PathBuf,
    cert: String,
    key: String,
}

/// Reads the certificate kept in `dir`, or makes a CA and a localhost certificate there.
pub fn certificate(dir: &Path) -> anyhow::Result<Tls> {
    std::fs::create_dir_all(dir)?;
    let (ca, cert, key) = (dir.join("ca.pem"), dir.join("localhost.pem"), dir.join("localhost-key.pem"));
    if let (Ok(c), Ok(k)) = (std::fs::read_to_string(&cert), std::fs::read_to_string(&key))
        && ca.exists()
    {
        return Ok(Tls { ca, cert: c, key: k });
    }
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.distinguished_name.push(DnType::CommonName, "localmerge development CA (this machine only)");
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;
    let chain = format!("{}{}", leaf_cert.pem(), ca_cert.pem());
    std::fs::write(&ca, ca_cert.pem())?;
    std::fs::write(&key, leaf_key.serialize_pem())?;
    std::fs::write(&cert, &chain)?;
    Ok(Tls { ca, cert: chain, key: leaf_key.serialize_pem() })
}

/// Serves `dist` over https on `addr`, answering `/config.json` with `config`.
pub async fn serve(
    dist: PathBuf,
    config: serde_json::Value,
    tls: &Tls,
    addr: SocketAddr,
) -> anyhow::Result<SocketAddr> {
    let rustls = RustlsConfig::from_pem(tls.cert.clone().into_bytes(), tls.key.clone().into_bytes())
        .await
        .context("the localhost certificate")?;
    let app = Router::new()
        .route("/config.json", get(move || async move { axum::Json(config) }))
        .fallback_service(ServeDir::new(dist));
    let listener = std::net::TcpListener::bind(addr).with_context(|| format!("listening on {addr}"))?;
    let local = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let server = axum_server::from_tcp_rustls(listener, rustls)?;
    tokio::spawn(async move { server.serve(app.into_make_service()).await });
    Ok(local)
}
