//! Configuration, from environment variables (or the same-named flags).

use clap::Parser;

/// localmerge's licensing server. Every setting is an environment variable (or the flag of
/// the same name); with none at all it starts on SQLite and says what sign-in still needs.
#[derive(Debug, Clone, Parser)]
#[command(name = "localmerge-licensing-server", version, about)]
pub struct Config {
    /// The database: `sqlite://PATH` (created and migrated on first start) or
    /// `postgres://…` (for several replicas).
    #[arg(long, env = "LICENSING_DATABASE_URL", default_value = "sqlite://licensing.db")]
    pub database_url: String,
    /// The address to listen on.
    #[arg(long, env = "LICENSING_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: String,
    /// The public base URL (for sign-in redirects).
    #[arg(long, env = "LICENSING_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The OpenID Connect authority; its `/.well-known/openid-configuration` gives the JWKS.
    #[arg(
        long,
        env = "LICENSING_OIDC_AUTHORITY",
        default_value = "https://login.microsoftonline.com/common/v2.0"
    )]
    pub oidc_authority: String,
    /// The Entra ID application (client) id of the web sign-in.
    #[arg(long, env = "LICENSING_CLIENT_ID")]
    pub client_id: Option<String>,
    /// Its client secret.
    #[arg(long, env = "LICENSING_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// The audience of access tokens for this API (`api://…`), as the add-in requests them.
    #[arg(long, env = "LICENSING_API_AUDIENCE")]
    pub api_audience: Option<String>,
    /// Microsoft Graph's base URL (directory search for seat assignment).
    #[arg(long, env = "LICENSING_GRAPH_URL", default_value = "https://graph.microsoft.com/v1.0")]
    pub graph_url: String,
    /// Paddle's webhook secret; several, comma-separated, while rotating.
    #[arg(long, env = "LICENSING_PADDLE_WEBHOOK_SECRET", hide_env_values = true)]
    pub paddle_webhook_secret: Option<String>,
    /// Paddle price ids and the plan each sells: `pri_01…=pro,pri_02…=team`. An event for
    /// another price grants nothing (acknowledged, with a warning).
    #[arg(long, env = "LICENSING_PADDLE_PRICES", default_value = "")]
    pub paddle_prices: String,
    /// Paddle's client-side token, for the checkout the account page opens.
    #[arg(long, env = "LICENSING_PADDLE_CLIENT_TOKEN")]
    pub paddle_client_token: Option<String>,
    /// The Paddle price the account page's "Buy" button sells.
    #[arg(long, env = "LICENSING_PADDLE_CHECKOUT_PRICE")]
    pub paddle_checkout_price: Option<String>,
    /// Paddle's sandbox (test payments) instead of production.
    #[arg(long, env = "LICENSING_PADDLE_SANDBOX", default_value_t = false)]
    pub paddle_sandbox: bool,
    /// The Microsoft commercial marketplace's SaaS fulfilment API.
    #[arg(
        long,
        env = "LICENSING_MARKETPLACE_URL",
        default_value = "https://marketplaceapi.microsoft.com/api"
    )]
    pub marketplace_url: String,
    /// The publisher tenant's token endpoint, for the marketplace API's client-credentials
    /// token (`https://login.microsoftonline.com/{publisher-tenant}/oauth2/v2.0/token`).
    #[arg(long, env = "LICENSING_MARKETPLACE_TOKEN_URL")]
    pub marketplace_token_url: Option<String>,
    /// The publisher's tenant id: the marketplace's webhook calls carry a token issued
    /// there to the marketplace's application, for ours (`LICENSING_CLIENT_ID`). Unset, the
    /// marketplace webhook answers 503.
    #[arg(long, env = "LICENSING_MARKETPLACE_TENANT_ID")]
    pub marketplace_tenant_id: Option<String>,
    /// Ed25519 keys signing license statements: base64 of 32-byte seeds, comma-separated,
    /// the first signing (the others are still published, for rotation). Unset: a key is
    /// generated and kept beside the SQLite database (`licensing-signing.key`).
    #[arg(long, env = "LICENSING_SIGNING_KEY", hide_env_values = true)]
    pub signing_key: Option<String>,
    /// The key (base64 of 32 bytes) encrypting stored access tokens at rest.
    #[arg(long, env = "LICENSING_TOKEN_KEY", hide_env_values = true)]
    pub token_key: Option<String>,
    /// How long a license statement is valid offline, in days.
    #[arg(long, env = "LICENSING_LICENSE_DAYS", default_value_t = 7)]
    pub license_days: u32,
    /// Days between a deletion request and the purge of personal fields (0 to 30).
    #[arg(long, env = "LICENSING_PURGE_AFTER_DAYS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=30))]
    pub purge_after_days: u32,
    /// Seconds between SIGTERM and closing the listener, while `/readyz` answers 503 and
    /// requests are still served, so a proxy stops sending before the replica stops
    /// listening. Requests in flight then finish. (Ctrl-C stops at once.)
    #[arg(long, env = "LICENSING_SHUTDOWN_DRAIN_SECS", default_value_t = 5)]
    pub shutdown_drain_secs: u64,
    /// License checks per user per minute.
    #[arg(long, env = "LICENSING_RATE_PER_USER", default_value_t = 120)]
    pub rate_per_user: u32,
    /// Behind a reverse proxy (the compose file's Caddy): the client's address is the last
    /// one of `X-Forwarded-For`, which the proxy sets, not the connection's (the proxy's).
    /// Never set it without a proxy in front: clients could then choose their address.
    #[arg(long, env = "LICENSING_BEHIND_PROXY", default_value_t = false)]
    pub behind_proxy: bool,
    /// Requests per client address per minute.
    #[arg(long, env = "LICENSING_RATE_PER_IP", default_value_t = 6000)]
    pub rate_per_ip: u32,
}

impl Config {
    /// A configuration with every default (for tests).
    pub fn defaults() -> Config {
        Config::parse_from(["localmerge-licensing-server"])
    }

    /// What is still missing for sign-in and license checks.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if self.api_audience.is_none() {
            m.push("LICENSING_API_AUDIENCE (license checks answer 503 without it)");
        }
        if self.client_id.is_none() {
            m.push("LICENSING_CLIENT_ID");
        }
        if self.client_secret.is_none() {
            m.push("LICENSING_CLIENT_SECRET");
        }
        if self.public_url.is_none() {
            m.push("LICENSING_PUBLIC_URL");
        }
        if self.paddle_webhook_secret.is_none() {
            m.push("LICENSING_PADDLE_WEBHOOK_SECRET (Paddle webhooks answer 503 without it)");
        }
        m
    }

    /// The plan a Paddle price id sells.
    pub fn plan_for_price(&self, price: &str) -> Option<String> {
        self.paddle_prices
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .find(|(p, _)| p.trim() == price)
            .map(|(_, plan)| plan.trim().to_owned())
    }
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
