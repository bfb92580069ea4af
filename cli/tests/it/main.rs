//! The `localmerge` command-line contract, tested against the built binary.
// Test helpers fail loudly; the production lints against panicking do not apply here.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod contacts;
mod drive;
mod preview;
mod report;
mod send;
mod suppress;
mod track;

/// `localmerge ARGS` reading Graph from the sandbox `sb`, with its token, in a C locale.
fn with_graph(sb: &localmerge_graph_sandbox::Sandbox, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_localmerge"))
        .args(args)
        .args(["--graph-url", &sb.url()])
        .env("LOCALMERGE_GRAPH_TOKEN", localmerge_graph_sandbox::DEFAULT_TOKEN)
        .env_remove("LC_ALL")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("runs")
}

/// `localmerge ARGS` with `config` as the user's configuration folder (its do-not-contact
/// list), the sandbox's token, in a C locale.
fn localmerge_in(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_localmerge"))
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .env("HOME", config)
        .env("LOCALMERGE_GRAPH_TOKEN", localmerge_graph_sandbox::DEFAULT_TOKEN)
        .env_remove("LC_ALL")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("runs")
}
