//! Where the rows come from: a spreadsheet file, a workbook in OneDrive or SharePoint named
//! by its sharing URL (`https://…`), or Outlook contacts read from Microsoft Graph
//! (`contacts:` for the signed-in user's, `contacts:ADDRESS` for a shared mailbox's). Either
//! way the result is a table with the usual checks; contact data and workbook bytes go only
//! between Microsoft and this process.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use std::ops::ControlFlow;

use localmerge_core::{ReadOptions, Row, RowSink, SheetWarning, Table, TableChoice, Workbook};
use localmerge_graph_client::{ContactQuery, Failures, FixedToken, GraphClient, contacts_table};

/// How to reach Microsoft Graph.
#[derive(Debug, Clone, clap::Args)]
pub struct GraphArgs {
    /// Microsoft Graph's base URL (or the Graph sandbox's).
    #[arg(long, default_value = "https://graph.microsoft.com/v1.0")]
    pub graph_url: String,
    /// The environment variable holding the Graph access token.
    #[arg(long, default_value = "LOCALMERGE_GRAPH_TOKEN")]
    pub token_env: String,
}

/// Which contacts, when DATA is `contacts:`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ContactArgs {
    /// Only contacts in this Outlook category (repeat for several: a contact in any of them).
    #[arg(long = "category", value_name = "NAME")]
    pub categories: Vec<String>,
    /// Only the contacts of this contact folder.
    #[arg(long, value_name = "NAME")]
    pub contact_folder: Option<String>,
}

/// Where the list is in a workbook.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RegionArgs {
    /// The header's row, when title rows stand above it (default: the first non-empty row).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "table")]
    pub header_row: Option<u32>,
    /// An Excel table (Insert → Table) by name (default: a sheet's only table, when it has
    /// exactly one).
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
}

impl RegionArgs {
    fn options(&self) -> ReadOptions {
        ReadOptions {
            header_row: self.header_row,
            table: self.table.clone().map_or(TableChoice::OnlyTable, TableChoice::Named),
        }
    }
}

/// Where the rows come from: every command that reads them takes the same arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// The spreadsheet (xlsx, xlsm, xlsb, xls, ods, csv, tsv or txt), a OneDrive or
    /// SharePoint sharing URL (`https://…`), or Outlook contacts: `contacts:` (yours) or
    /// `contacts:ADDRESS` (a shared mailbox's).
    pub data: PathBuf,
    #[command(flatten)]
    pub contacts: ContactArgs,
    #[command(flatten)]
    pub graph: GraphArgs,
    /// The sheet to read (default: the first sheet with a header and data).
    #[arg(long)]
    pub sheet: Option<String>,
    #[command(flatten)]
    pub region: RegionArgs,
}

impl SourceArgs {
    /// Reads the rows (see [`open`]).
    pub fn open(
        &self,
        lenient: bool,
        current_file: &std::sync::Mutex<String>,
    ) -> anyhow::Result<(Data, Table)> {
        open(
            &self.data,
            self.sheet.as_deref(),
            &self.region,
            lenient,
            &self.graph,
            &self.contacts,
            current_file,
        )
    }

    /// Reads the rows as [`SourceArgs::open`] does (not leniently), handing them to `sink`
    /// as they are read once more than `hold` are ([`Workbook::stream_with`]): the sheet's
    /// name and warnings.
    pub fn stream(
        &self,
        current_file: &std::sync::Mutex<String>,
        hold: usize,
        sink: &mut dyn RowSink,
    ) -> anyhow::Result<(String, Vec<SheetWarning>)> {
        let (shown, mut workbook) = match load(
            &self.data,
            self.sheet.as_deref(),
            &self.region,
            &self.graph,
            &self.contacts,
            current_file,
        )? {
            Loaded::Contacts(table) => {
                let table = matched(&self.data, table, false)?;
                let (sheet, warnings) = (table.sheet.clone(), table.warnings.clone());
                let _ = sink.head(table);
                return Ok((sheet, warnings));
            }
            Loaded::File { shown, workbook } => (shown, workbook),
        };
        let started = std::time::Instant::now();
        let mut sheet = Sheet { sink, name: String::new(), rows: 0 };
        let warnings = workbook
            .stream_with(self.sheet.as_deref(), &self.region.options(), hold, &mut sheet)
            .with_context(|| shown.clone())?;
        tracing::info!(
            format = %workbook.format(),
            sheet = %sheet.name,
            rows = sheet.rows,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "read spreadsheet, its rows handed over as read"
        );
        Ok((sheet.name, warnings))
    }
}

/// A sink that notes the sheet's name and counts the rows it passes on.
struct Sheet<'s> {
    sink: &'s mut dyn RowSink,
    name: String,
    rows: usize,
}

impl RowSink for Sheet<'_> {
    fn head(&mut self, head: Table) -> ControlFlow<()> {
        self.name.clone_from(&head.sheet);
        self.rows += head.rows.len();
        self.sink.head(head)
    }

    fn row(&mut self, row: Row) -> ControlFlow<()> {
        self.rows += 1;
        self.sink.row(row)
    }
}

/// The data as read.
#[derive(Debug)]
pub enum Data {
    /// A spreadsheet file.
    File(Box<Workbook>),
    /// Outlook contacts.
    Contacts,
}

/// The Graph token from `token_env` (`localmerge login` prints one).
pub fn graph_token(token_env: &str) -> anyhow::Result<String> {
    std::env::var(token_env).ok().filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        anyhow::anyhow!(
            "no Microsoft Graph token: set {token_env} (`localmerge login` gets one for your mailbox)"
        )
    })
}

/// The contacts DATA names, if it names contacts: `contacts:` or `contacts:ADDRESS`.
fn contact_query(data: &Path, args: &ContactArgs) -> anyhow::Result<Option<ContactQuery>> {
    let Some(rest) = data.to_str().and_then(|d| d.strip_prefix("contacts:")) else {
        if !args.categories.is_empty() || args.contact_folder.is_some() {
            anyhow::bail!("--category and --contact-folder are for DATA contacts: or contacts:ADDRESS");
        }
        return Ok(None);
    };
    let mailbox = match rest.trim() {
        "" => None,
        address => Some(
            localmerge_core::address::parse_address(address)
                .map_err(|e| anyhow::anyhow!("{}: \"{}\" {}", data.display(), e.text, e.reason))?,
        ),
    };
    Ok(Some(ContactQuery {
        mailbox,
        folder: args.contact_folder.clone(),
        categories: args.categories.clone(),
    }))
}

/// Runs `read` with a Graph client for `graph` (the token of `--token-env`), to the end.
pub fn with_graph<R>(
    graph: &GraphArgs,
    read: impl AsyncFnOnce(&GraphClient<FixedToken>) -> anyhow::Result<R>,
) -> anyhow::Result<R> {
    let client = graph_client(&graph.graph_url, &graph.token_env, Duration::from_secs(100))?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(read(&client))
}

/// The Graph client of the command line: the token of `token_env`, no redirects followed,
/// `timeout` per request.
pub fn graph_client(
    url: &str,
    token_env: &str,
    timeout: Duration,
) -> anyhow::Result<GraphClient<FixedToken>> {
    let token = graph_token(token_env)?;
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("HTTP client")?;
    Ok(GraphClient::new(http, url, FixedToken(token), Failures::Distinguished))
}

/// Reads the contacts `query` names from Graph, every page.
fn read_contacts(query: &ContactQuery, graph: &GraphArgs) -> anyhow::Result<Table> {
    let list = with_graph(graph, async |client| Ok(client.contacts(query).await?))?;
    tracing::info!(contacts = list.len(), "read contacts from Microsoft Graph");
    Ok(contacts_table(query, &list))
}

/// The workbook a OneDrive or SharePoint sharing URL names: its name and bytes, read
/// from Graph and Microsoft's file storage only.
fn read_shared(url: &str, graph: &GraphArgs) -> anyhow::Result<(String, Vec<u8>)> {
    with_graph(graph, async |client| {
        let item = client.shared_item(url).await?;
        let bytes = client.download(&item).await?;
        tracing::info!(name = %item.name, bytes = bytes.len(), "read a shared workbook from Microsoft Graph");
        Ok((item.name, bytes))
    })
}

/// Reads DATA: the file (the named sheet, or the first with a header and data rows; with
/// `lenient`, the first with a header), or the contacts it names.
pub fn open(
    data: &Path,
    sheet: Option<&str>,
    region: &RegionArgs,
    lenient: bool,
    graph: &GraphArgs,
    contacts: &ContactArgs,
    current_file: &std::sync::Mutex<String>,
) -> anyhow::Result<(Data, Table)> {
    let (shown, mut workbook) = match load(data, sheet, region, graph, contacts, current_file)? {
        Loaded::Contacts(table) => return Ok((Data::Contacts, matched(data, table, lenient)?)),
        Loaded::File { shown, workbook } => (shown, workbook),
    };
    let started = std::time::Instant::now();
    let table = match workbook.read_with(sheet, &region.options()) {
        // Inspecting a workbook whose sheets have a header but no data still shows it.
        Err(localmerge_core::ReadError::NoData(_)) if lenient => workbook.read_first_with_header(),
        other => other,
    }
    .with_context(|| shown.clone())?;
    tracing::info!(
        format = %workbook.format(),
        sheet = %table.sheet,
        rows = table.rows.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "read spreadsheet"
    );
    Ok((Data::File(Box::new(workbook)), table))
}

/// The contacts read, unless none matched and that matters (not `lenient`).
fn matched(data: &Path, contacts: Table, lenient: bool) -> anyhow::Result<Table> {
    if contacts.rows.is_empty() && !lenient {
        anyhow::bail!("{}: no contact matches", data.display());
    }
    Ok(contacts)
}

/// What DATA holds before a sheet is read.
enum Loaded {
    /// Contacts, read whole.
    Contacts(Table),
    /// A workbook opened (`shown`: how errors name it).
    File { shown: String, workbook: Workbook },
}

/// Reads the contacts DATA names, or opens the workbook it names.
fn load(
    data: &Path,
    sheet: Option<&str>,
    region: &RegionArgs,
    graph: &GraphArgs,
    contacts: &ContactArgs,
    current_file: &std::sync::Mutex<String>,
) -> anyhow::Result<Loaded> {
    let shown = data.display();
    if let Some(query) = contact_query(data, contacts)? {
        if sheet.is_some() || region.header_row.is_some() || region.table.is_some() {
            anyhow::bail!(
                "{shown}: contacts have no sheets (--sheet, --header-row and --table are for workbooks)"
            );
        }
        let table = read_contacts(&query, graph).with_context(|| format!("{shown}"))?;
        return Ok(Loaded::Contacts(table));
    }
    if let Ok(mut current) = current_file.lock() {
        *current = shown.to_string();
    }
    let (shown, bytes) = match data.to_str().filter(|d| localmerge_core::drive::is_sharing_url(d)) {
        Some(url) => {
            let (name, bytes) = read_shared(url, graph).with_context(|| url.to_owned())?;
            (format!("{url} ({name})"), bytes)
        }
        None => (shown.to_string(), std::fs::read(data).with_context(|| format!("{shown}"))?),
    };
    let workbook = Workbook::open(bytes).with_context(|| shown.clone())?;
    Ok(Loaded::File { shown, workbook })
}

/// The folder attachments are relative to by default: the spreadsheet's (the current
/// folder for contacts and shared links).
pub fn default_attachments_dir(data: &Path) -> PathBuf {
    if data.to_str().is_some_and(|d| d.starts_with("contacts:") || localmerge_core::drive::is_sharing_url(d))
    {
        return PathBuf::new();
    }
    data.parent().map(Path::to_path_buf).unwrap_or_default()
}
