//! Repository rules that a compiler does not check.

use std::process::Command;

/// localmerge-core must stay pure: no async runtime, HTTP, database or JS bindings in its
/// dependency tree, for the native target or for wasm32.
#[test]
fn core_dependency_tree_holds_no_io_crates() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for target in ["x86_64-unknown-linux-gnu", "wasm32-unknown-unknown"] {
        let out = Command::new(&cargo)
            .args(["tree", "-p", "localmerge-core", "-e", "normal", "--prefix", "none", "--target", target])
            .current_dir(super::root())
            .output()
            .expect("cargo tree runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let tree = String::from_utf8_lossy(&out.stdout);
        assert!(tree.contains("calamine"), "unexpected tree: {tree}");
        for banned in ["tokio", "reqwest", "sqlx", "wasm-bindgen", "js-sys", "getrandom", "hyper", "mio"] {
            let hit = tree.lines().find(|l| l.split_whitespace().next() == Some(banned));
            assert!(hit.is_none(), "{target}: localmerge-core depends on {banned}: {hit:?}");
        }
    }
}
