//! localmerge's engine: spreadsheet bytes in, checked and personalised Microsoft Graph
//! messages out.
//!
//! The crate does no I/O and cannot observe time or randomness, so the same code runs
//! natively, in tests and as WebAssembly in the Outlook add-in. The caller reads files,
//! talks to Graph and keeps state.
//!
//! ```
//! use localmerge_core::{Merge, MergeSpec, Workbook};
//!
//! let csv = b"Email;First Name;Company\nada@example.org;Ada;O'Brien & Sons\n".to_vec();
//! let mut workbook = Workbook::open(csv)?;
//! let table = workbook.read(None)?;
//! let spec = MergeSpec::html("Hello {{First Name}} at {{Company}}", "<p>Dear {{First Name}},</p>", "body.html");
//! let merge = Merge::new(&table, &spec)?;
//! let plan = merge.plan(&table);
//! assert_eq!(plan.messages[0].subject, "Hello Ada at O'Brien & Sons");
//! assert_eq!(plan.messages[0].body, "<p>Dear Ada,</p>");
//! assert_eq!(plan.messages[0].to[0].address, "ada@example.org");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod address;
pub mod budget;
pub mod calendar;
pub mod contacts;
pub mod drive;
pub mod format;
pub mod graph;
pub mod merge;
pub mod read;
pub mod recipients;
pub mod send;
pub mod suppress;
pub mod table;
pub mod template;
pub mod track;
pub mod unsubscribe;
pub mod value;

pub use merge::{
    Attachment, Issue, IssueKind, Merge, MergeError, MergeSpec, Message, Plan, Planned, Planner, RowProblem,
};
pub use read::{ExcelTable, Format, ReadError, ReadOptions, RowSink, TableChoice, Workbook};
pub use recipients::{ColumnOverrides, RecipientColumns};
pub use table::{Column, Region, Row, SheetWarning, Table};
pub use template::{Escaping, RowView, Template, TemplateError, UnsubscribeUse, rename_column};
pub use value::Value;
