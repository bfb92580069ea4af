//! `cargo xtask bench-preview`: the CLI's whole job against its peer on the command line,
//! awdeorio/mailmerge (Python, Jinja2), on the same rows: `localmerge preview` of the
//! benchmark's workbook against `mailmerge --dry-run --no-limit` of the same rows as CSV (the
//! only input it reads), each with the same subject and HTML body, every message written to
//! /dev/null. The two run as processes, alternated pair by pair; the ratio is the median of
//! the per-pair ratios (mailmerge's time over localmerge's).
//!
//! mailmerge is installed with pip into a virtual environment under `target/bench/`, at the
//! version `bench/mailmerge/requirements.txt` pins.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use localmerge_core::Workbook;
use localmerge_core::format::{CellText, Locale};

use crate::{median, root, run, target_dir};

/// A column's name as a Jinja2 variable (mailmerge passes each CSV column as one).
fn variable(column: &str) -> String {
    column.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// The benchmark's handlebars templates (`bench/templates/`) in Jinja2's syntax, for the
/// columns renamed by [`variable`]: what mailmerge renders.
fn jinja(template: &str, columns: &[String]) -> String {
    let mut out = template.replace("{{/if}}", "{% endif %}");
    for c in columns {
        let v = variable(c);
        out = out
            .replace(&format!("{{{{#if {c}}}}}"), &format!("{{% if {v} %}}"))
            .replace(&format!("{{{{#if [{c}]}}}}"), &format!("{{% if {v} %}}"))
            .replace(&format!("{{{{[{c}]}}}}"), &format!("{{{{{v}}}}}"));
    }
    out
}

/// The rows as CSV, each value as the workbook shows it (en-US), the columns named as
/// [`variable`]s.
fn csv(workbook: &[u8]) -> anyhow::Result<(Vec<String>, Vec<u8>)> {
    let table = Workbook::open(workbook.to_vec())?.read(None)?;
    let display = CellText::of_table(&table, Locale::en_us());
    let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(columns.iter().map(|c| variable(c)))?;
    let mut text = String::new();
    for row in &table.rows {
        let mut record = Vec::with_capacity(columns.len());
        for (i, value) in row.values.iter().enumerate() {
            text.clear();
            display.write(value, row.style(i), &mut text);
            record.push(text.clone());
        }
        out.write_record(&record)?;
    }
    Ok((columns, out.into_inner().context("csv")?))
}

/// mailmerge in a virtual environment of its own, installed once.
fn mailmerge() -> anyhow::Result<PathBuf> {
    let venv = target_dir().join("bench/mailmerge-venv");
    let exe = venv.join("bin/mailmerge");
    if !exe.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--requirement"])
            .arg(root().join("bench/mailmerge/requirements.txt")))?;
    }
    Ok(exe)
}

/// Runs `cmd` with its output to /dev/null; its wall time in ms.
fn timed(cmd: &mut Command) -> anyhow::Result<f64> {
    let t = Instant::now();
    let status =
        cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().with_context(|| format!("{cmd:?}"))?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    if !status.success() {
        bail!("{cmd:?} failed: {status}");
    }
    Ok(ms)
}

/// How many messages a command writes (run once, outside the timings).
fn count(cmd: &mut Command, marker: &str) -> anyhow::Result<usize> {
    let out = cmd.stderr(Stdio::null()).output().with_context(|| format!("{cmd:?}"))?;
    anyhow::ensure!(out.status.success(), "{cmd:?} failed");
    Ok(String::from_utf8_lossy(&out.stdout).matches(marker).count())
}

pub fn bench(rows: u32, pairs: u32) -> anyhow::Result<()> {
    let dir = target_dir().join("bench/preview");
    std::fs::create_dir_all(&dir)?;
    let workbook = localmerge_testdata::contacts_xlsx(rows)?;
    let xlsx = dir.join(format!("contacts-{rows}.xlsx"));
    std::fs::write(&xlsx, &workbook)?;
    let subject = std::fs::read_to_string(root().join("bench/templates/subject.hbs"))?;
    let subject = subject.trim_end();
    let body = root().join("bench/templates/body.html");

    let (columns, csv) = csv(&workbook)?;
    let database = dir.join("database.csv");
    std::fs::write(&database, csv)?;
    let template = dir.join("template.txt");
    let html = std::fs::read_to_string(&body)?;
    std::fs::write(
        &template,
        format!(
            "TO: {{{{Email}}}}\nSUBJECT: {}\nFROM: Sender <sender@example.com>\nCONTENT-TYPE: text/html\n\n{}",
            jinja(subject, &columns),
            jinja(&html, &columns)
        ),
    )?;
    let config = dir.join("server.conf");
    std::fs::copy(root().join("bench/mailmerge/server.conf"), &config)?;

    run(Command::new("cargo")
        .args(["build", "--quiet", "--release", "-p", "localmerge-cli"])
        .current_dir(root()))?;
    let localmerge = target_dir().join("release/localmerge");
    let mailmerge = mailmerge()?;
    let ours = || {
        let mut cmd = Command::new(&localmerge);
        cmd.arg("preview").arg(&xlsx).args(["--subject", subject, "--body"]).arg(&body);
        cmd
    };
    let theirs = || {
        let mut cmd = Command::new(&mailmerge);
        cmd.args(["--dry-run", "--no-limit", "--output-format", "raw", "--template"])
            .arg(&template)
            .arg("--database")
            .arg(&database)
            .arg("--config")
            .arg(&config);
        cmd
    };
    // Both write every row's message (checked once, outside the timings).
    let n = rows as usize;
    anyhow::ensure!(count(&mut ours(), "\"row\":")? == n, "localmerge preview did not write {n} messages");
    anyhow::ensure!(count(&mut theirs(), "\nSUBJECT: ")? >= n, "mailmerge did not write {n} messages");

    println!(
        "preview: {rows} rows x 10 columns ({:.1} MB xlsx for localmerge, the same rows as CSV for mailmerge); {pairs} pairs, alternated",
        workbook.len() as f64 / 1e6
    );
    let (mut ratios, mut ours_ms, mut theirs_ms) = (Vec::new(), Vec::new(), Vec::new());
    for pair in 0..pairs.max(1) {
        let (o, t) = if pair % 2 == 0 {
            let o = timed(&mut ours())?;
            (o, timed(&mut theirs())?)
        } else {
            let t = timed(&mut theirs())?;
            (timed(&mut ours())?, t)
        };
        ratios.push(t / o);
        ours_ms.push(o);
        theirs_ms.push(t);
    }
    let (lo, hi) = ratios.iter().fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    println!("localmerge preview (xlsx -> JSON lines): {:.1} ms", median(ours_ms));
    println!("mailmerge --dry-run (CSV -> messages): {:.1} ms", median(theirs_ms));
    println!("preview-vs-mailmerge: {:.1} ({lo:.1}–{hi:.1})", median(ratios));
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_become_jinja_with_the_same_fields() {
        let columns = vec!["First Name".to_owned(), "Note".to_owned()];
        let jinja = super::jinja("Dear {{[First Name]}}{{#if Note}}, {{Note}}{{/if}}.", &columns);
        assert_eq!(jinja, "Dear {{FirstName}}{% if Note %}, {{Note}}{% endif %}.");
    }
}
