//! Deterministic workbooks for benchmarks and examples, written with rust_xlsxwriter
//! (shared strings, typed numbers and dates, as Excel writes them).

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

/// The benchmark's columns.
pub const COLUMNS: [&str; 10] =
    ["Email", "First Name", "Last Name", "Company", "City", "Country", "Plan", "Amount", "Joined", "Note"];

const FIRST: [&str; 8] = ["Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Tim", "Zoë"];
const LAST: [&str; 8] =
    ["Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Berners-Lee", "O'Brien"];
const COMPANY: [&str; 6] = ["Acme & Co", "Globex", "Initech", "Umbrella", "Hooli", "Stark <Industries>"];
const CITY: [&str; 6] = ["Paris", "Berlin", "Lisbon", "Madrid", "Rome", "Amsterdam"];
const COUNTRY: [&str; 6] = ["France", "Germany", "Portugal", "Spain", "Italy", "Netherlands"];
const PLAN: [&str; 3] = ["Free", "Pro", "Team"];

/// A `rows` × 10 contact list: a header row, then one recipient per row.
pub fn contacts_xlsx(rows: u32) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Contacts")?;
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in COLUMNS.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    for i in 0..rows {
        let r = i + 1;
        let k = i as usize;
        ws.write_string(r, 0, format!("user{i}@example{}.com", i % 97))?;
        ws.write_string(r, 1, FIRST[k % 8])?;
        ws.write_string(r, 2, LAST[(k / 8) % 8])?;
        ws.write_string(r, 3, COMPANY[k % 6])?;
        ws.write_string(r, 4, CITY[(k / 3) % 6])?;
        ws.write_string(r, 5, COUNTRY[(k / 3) % 6])?;
        ws.write_string(r, 6, PLAN[k % 3])?;
        ws.write_number(r, 7, f64::from(i % 1000) * 1.25)?;
        let day = ExcelDateTime::from_ymd(2020 + (i % 5) as u16, 1 + (i % 12) as u8, 1 + (i % 28) as u8)?;
        ws.write_datetime_with_format(r, 8, &day, &date)?;
        if i % 4 == 0 {
            ws.write_string(r, 9, format!("Met at the {} meetup", CITY[k % 6]))?;
        }
    }
    wb.save_to_buffer()
}

/// The example lists shipped in `examples/`: nine clean contacts, plus (with `problems`)
/// three rows with the kind of mistake localmerge catches before anything is sent.
pub fn example_xlsx(problems: bool) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Contacts")?;
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let header = ["Email", "First Name", "Company", "Plan", "Renewal", "Seats", "Account manager"];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    let rows: [(&str, &str, &str, &str, u8, u32); 12] = [
        ("ada@example.org", "Ada", "Analytical Engines Ltd", "Pro", 3, 12),
        ("grace@example.com", "Grace", "O'Brien & Sons", "Team", 4, 40),
        ("alan@example.net", "Alan", "Bletchley Park", "Free", 5, 1),
        ("katherine@example.org", "Katherine", "Langley Research", "Pro", 6, 7),
        ("linus@example.fi", "Linus", "Kernel Oy", "Team", 7, 25),
        ("margaret@example.com", "Margaret", "Apollo Software", "Pro", 8, 9),
        ("tim@example.ch", "Tim", "CERN Web Group", "Free", 9, 1),
        ("zoe@exemple.fr", "Zoë", "Café Lumière", "Pro", 10, 3),
        ("edsger@example", "Edsger", "Structured Programs", "Pro", 11, 2),
        ("GRACE@example.com", "Grace", "O'Brien & Sons", "Team", 12, 40),
        ("barbara@example.org", "", "CLU Systems", "Team", 1, 14),
        ("donald@example.edu", "Donald", "TeX Users <Group>", "Free", 2, 1),
    ];
    let shown = if problems { &rows[..] } else { &rows[..8] };
    let shown = shown.iter().chain(if problems { &rows[..0] } else { &rows[11..] });
    for (i, (email, first, company, plan, month, seats)) in shown.enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, *email)?;
        if !first.is_empty() {
            ws.write_string(r, 1, *first)?;
        }
        ws.write_string(r, 2, *company)?;
        ws.write_string(r, 3, *plan)?;
        ws.write_datetime_with_format(r, 4, &ExcelDateTime::from_ymd(2025, *month, 1)?, &date)?;
        ws.write_number(r, 5, f64::from(*seats))?;
        if i % 3 == 0 {
            ws.write_string(r, 6, "Sam Rivera")?;
        }
    }
    wb.save_to_buffer()
}

/// A workbook with one row per case: column A holds the format code as text, column B the
/// value written with that format (and column C an email address, so it merges).
pub fn formats_xlsx(cases: &[(&str, f64)]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Formats")?;
    ws.write_string(0, 0, "Code")?;
    ws.write_string(0, 1, "Value")?;
    ws.write_string(0, 2, "Email")?;
    for (i, (code, value)) in cases.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, *code)?;
        ws.write_number_with_format(r, 1, *value, &Format::new().set_num_format(*code))?;
        ws.write_string(r, 2, format!("row{r}@example.com"))?;
    }
    wb.save_to_buffer()
}

/// A one-row workbook whose value uses a built-in number format id (as Excel writes its
/// "short date", id 14, with no format code in the file).
pub fn builtin_format_xlsx(id: u8, value: f64) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Formats")?;
    ws.write_string(0, 0, "Value")?;
    ws.write_string(0, 1, "Email")?;
    ws.write_number_with_format(1, 0, value, &Format::new().set_num_format_index(id))?;
    ws.write_string(1, 1, "row2@example.com")?;
    wb.save_to_buffer()
}

/// A sheet whose header cells are a date, a zero-padded number and a duration (named by the
/// text they show), and names with a line break (Alt+Enter), a no-break space, a tab and
/// two spaces; one data row.
pub fn headers_xlsx() -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Headers")?;
    ws.write_string(0, 0, "Email")?;
    ws.write_number_with_format(0, 1, 45352.0, &Format::new().set_num_format("d mmm yyyy"))?;
    ws.write_number_with_format(0, 2, 50.0, &Format::new().set_num_format("000"))?;
    ws.write_number_with_format(
        0,
        3,
        0.5 + 13.0 / 1440.0 + 14.0 / 86400.0,
        &Format::new().set_num_format("[h]:mm:ss"),
    )?;
    for (c, name) in ["First\nName", "Last\u{a0}Name", "Two  Spaces", "Tab\tName"].iter().enumerate() {
        ws.write_string(0, c as u16 + 4, *name)?;
    }
    ws.write_string(1, 0, "ada@example.org")?;
    for c in 1..8u16 {
        ws.write_string(1, c, format!("v{c}"))?;
    }
    wb.save_to_buffer()
}

/// A workbook whose first sheet, hidden, holds a list, and whose second, visible, another.
pub fn hidden_first_xlsx() -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    for (name, email) in [("Old list", "old@example.org"), ("Contacts", "new@example.org")] {
        let ws = wb.add_worksheet().set_name(name)?;
        ws.write_string(0, 0, "Email")?;
        ws.write_string(1, 0, email)?;
        // The active sheet cannot be hidden: the visible one is made active.
        match name {
            "Old list" => ws.set_hidden(true),
            _ => ws.set_active(true),
        };
    }
    wb.save_to_buffer()
}

/// calamine's regression corpus: `LOCALMERGE_CORPUS` when set, else
/// `shared/corpus/calamine` beside the repository. A clone without it gets `None` and a
/// line on standard error saying that `what` did not run and how to provide the corpus;
/// under CI (`CI` set), where `shared` is always there, its absence fails the test.
pub fn calamine_corpus(what: &str) -> Option<std::path::PathBuf> {
    let dir = calamine_corpus_dir();
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have calamine's corpus at {} (shared/corpus/calamine beside the repository)",
        dir.display()
    );
    eprintln!(
        "{} is missing: {what} did not run (set LOCALMERGE_CORPUS=<a copy of calamine's tests/ folder> to run it)",
        dir.display()
    );
    None
}

/// Where calamine's corpus is looked for: `LOCALMERGE_CORPUS`, else `shared/corpus/calamine`
/// beside the repository.
pub fn calamine_corpus_dir() -> std::path::PathBuf {
    match std::env::var_os("LOCALMERGE_CORPUS") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/calamine"),
    }
}

/// The PostgreSQL server the licensing tests use: `LICENSING_TEST_POSTGRES`, else the local
/// `test` database.
pub fn postgres_url() -> String {
    std::env::var("LICENSING_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// The host and port of a `postgres://user@host:port/db` URL.
pub fn postgres_addr(url: &str) -> &str {
    url.split('@').next_back().and_then(|r| r.split('/').next()).unwrap_or("127.0.0.1:5432")
}

/// Whether something accepts connections at `addr` (`host:port`) within two seconds.
pub fn answers(addr: &str) -> bool {
    std::net::ToSocketAddrs::to_socket_addrs(addr)
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| std::net::TcpStream::connect_timeout(&a, std::time::Duration::from_secs(2)).is_ok())
}
