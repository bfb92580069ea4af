//! `cargo xtask bench-million`: `localmerge preview` of a million-row workbook in bounded
//! memory. The CLI previews the benchmark's 50,000-row workbook and a million-row one of the
//! same columns (twenty times the rows, 9.25 million cells: more than a sheet read whole may
//! hold), alternated pair by pair; each run's peak resident memory is the kernel's high-water
//! mark for the process. Bounded memory is a ratio near 1 where holding the rows would make it
//! near 20: `preview-peak-1m-vs-50k`.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

use crate::{median, root, run, target_dir};

/// One run of `cmd`: its peak resident memory (bytes), its time (ms) and the lines it wrote.
/// The peak is the kernel's high-water mark (`VmHWM` in `/proc/PID/status`), read after each
/// chunk of output and last at its end, when the preview's work is done.
fn measured(cmd: &mut Command) -> anyhow::Result<(u64, f64, usize)> {
    let started = Instant::now();
    let mut child =
        cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().with_context(|| format!("{cmd:?}"))?;
    let status_file = format!("/proc/{}/status", child.id());
    let high_water = || -> Option<u64> {
        let status = std::fs::read_to_string(&status_file).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kb * 1024)
    };
    let (mut lines, mut peak) = (0, 0);
    if let Some(mut out) = child.stdout.take() {
        let mut buf = vec![0; 1 << 16];
        loop {
            peak = peak.max(high_water().unwrap_or(0));
            let n = out.read(&mut buf)?;
            if n == 0 {
                break;
            }
            lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
        }
    }
    peak = peak.max(high_water().unwrap_or(0));
    let status = child.wait()?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    // A preview with problem rows exits 1; anything else is a failure.
    if !matches!(status.code(), Some(0 | 1)) {
        bail!("{cmd:?} failed: {status}");
    }
    anyhow::ensure!(peak > 0, "no memory figure in {status_file}");
    Ok((peak, ms, lines))
}

/// The benchmark's workbook of `rows` rows, written once under `target/bench/`.
fn workbook(rows: u32) -> anyhow::Result<std::path::PathBuf> {
    let file = target_dir().join(format!("bench/million/contacts-{rows}.xlsx"));
    if !file.exists() {
        std::fs::create_dir_all(file.parent().unwrap_or(Path::new(".")))?;
        eprintln!("writing {} ({rows} rows)…", file.display());
        let part = file.with_extension("part");
        std::fs::write(&part, localmerge_testdata::contacts_xlsx(rows)?)?;
        std::fs::rename(&part, &file)?;
    }
    Ok(file)
}

pub fn bench(rows: u32, pairs: u32) -> anyhow::Result<()> {
    const SMALL: u32 = 50_000;
    let (small, large) = (workbook(SMALL)?, workbook(rows)?);
    run(Command::new("cargo")
        .args(["build", "--quiet", "--release", "-p", "localmerge-cli"])
        .current_dir(root()))?;
    let localmerge = target_dir().join("release/localmerge");
    let subject = std::fs::read_to_string(root().join("bench/templates/subject.hbs"))?;
    let body = root().join("bench/templates/body.html");
    let preview = |xlsx: &Path| {
        let mut cmd = Command::new(&localmerge);
        cmd.arg("preview").arg(xlsx).args(["--subject", subject.trim_end(), "--body"]).arg(&body);
        cmd
    };
    println!(
        "preview of {rows} rows against {SMALL} (x 10 columns; {:.1} MB and {:.1} MB xlsx); {pairs} pairs, alternated",
        std::fs::metadata(&large)?.len() as f64 / 1e6,
        std::fs::metadata(&small)?.len() as f64 / 1e6
    );
    let (mut ratios, mut peaks, mut small_peaks, mut times) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for pair in 0..pairs.max(1) {
        let (l, s) = if pair % 2 == 0 {
            let l = measured(&mut preview(&large))?;
            (l, measured(&mut preview(&small))?)
        } else {
            let s = measured(&mut preview(&small))?;
            (measured(&mut preview(&large))?, s)
        };
        anyhow::ensure!(l.2 == rows as usize, "the preview of {rows} rows wrote {} messages", l.2);
        anyhow::ensure!(s.2 == SMALL as usize, "the preview of {SMALL} rows wrote {} messages", s.2);
        ratios.push(l.0 as f64 / s.0 as f64);
        peaks.push(l.0 as f64 / 1e6);
        small_peaks.push(s.0 as f64 / 1e6);
        times.push(l.1);
    }
    let (lo, hi) = ratios.iter().fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    println!(
        "localmerge preview of {rows} rows: {:.0} ms, peak {:.1} MB resident",
        median(times),
        median(peaks)
    );
    println!("localmerge preview of {SMALL} rows: peak {:.1} MB resident", median(small_peaks));
    println!("preview-peak-1m-vs-50k: {:.2} ({lo:.2}–{hi:.2})", median(ratios));
    Ok(())
}
