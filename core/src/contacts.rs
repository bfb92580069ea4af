//! Outlook contacts as a recipient table: Graph's `contact` resource (as
//! `GET /me/contacts` documents it) turned into the columns a merge uses, so contacts get the
//! same checks, preview and send as a sheet. Pure: the front doors fetch the pages.

use serde::{Deserialize, Serialize};

use crate::calendar::days_from_civil;
use crate::format::CellFormat;
use crate::table::{Table, TableBuilder};
use crate::value::{DateKind, ExcelDate, Value};

/// The columns of a contacts table, in order.
pub const COLUMNS: [&str; 15] = [
    "First Name",
    "Last Name",
    "Display Name",
    "Email",
    "Email 2",
    "Email 3",
    "Company",
    "Job Title",
    "Department",
    "Business Phone",
    "Mobile Phone",
    "City",
    "Country",
    "Categories",
    "Birthday",
];

/// The most contacts one table holds: far above any address book, and a bound on what a
/// server's pages can make us allocate.
pub const MAX_CONTACTS: usize = 200_000;

pub use crate::graph::Page;

/// An email address of a contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct ContactAddress {
    /// The name shown with it.
    pub name: Option<String>,
    /// The address.
    pub address: Option<String>,
}

/// A postal address of a contact (the parts a merge uses).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PhysicalAddress {
    /// The city.
    pub city: Option<String>,
    /// The country or region.
    pub country_or_region: Option<String>,
}

/// Graph's `contact` resource, the fields a merge uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Contact {
    /// First name.
    pub given_name: Option<String>,
    /// Last name.
    pub surname: Option<String>,
    /// The name Outlook shows.
    pub display_name: Option<String>,
    /// Up to three addresses.
    pub email_addresses: Vec<ContactAddress>,
    /// Company.
    pub company_name: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Business phone numbers.
    pub business_phones: Vec<String>,
    /// Mobile phone.
    pub mobile_phone: Option<String>,
    /// Business address.
    pub business_address: Option<PhysicalAddress>,
    /// Home address (used when there is no business one).
    pub home_address: Option<PhysicalAddress>,
    /// Outlook categories.
    pub categories: Vec<String>,
    /// Birthday (`1990-05-17T11:59:00Z`: Outlook keeps the day, at noon-ish UTC).
    pub birthday: Option<String>,
}

/// A contact folder (`GET /me/contactFolders`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContactFolder {
    /// Its id.
    pub id: String,
    /// The name Outlook shows.
    pub display_name: String,
}

impl Contact {
    /// Whether the contact is in any of `categories` (case-insensitively, as Outlook
    /// compares them); every contact is when none is named.
    pub fn in_any(&self, categories: &[String]) -> bool {
        categories.is_empty()
            || self
                .categories
                .iter()
                .any(|c| categories.iter().any(|want| want.trim().eq_ignore_ascii_case(c.trim())))
    }
}

/// Contacts and folders asked for per page: Graph's default is 10; 100 keeps the pages few
/// and small.
const PAGE: u32 = 100;

fn mailbox_path(mailbox: Option<&str>) -> String {
    match mailbox {
        None => "/me".to_owned(),
        Some(address) => format!("/users/{}", crate::send::encode(address)),
    }
}

/// The first page of a mailbox's contact folders (`None`: the signed-in user's).
pub fn folders_path(mailbox: Option<&str>) -> String {
    format!("{}/contactFolders?$top={PAGE}&$select=id,displayName", mailbox_path(mailbox))
}

/// The first page of a mailbox's contacts, all of them or one folder's.
pub fn contacts_path(mailbox: Option<&str>, folder_id: Option<&str>) -> String {
    let user = mailbox_path(mailbox);
    let list = match folder_id {
        Some(id) => format!("{user}/contactFolders/{}/contacts", crate::send::encode(id)),
        None => format!("{user}/contacts"),
    };
    format!(
        "{list}?$top={PAGE}&$select=givenName,surname,displayName,emailAddresses,companyName,jobTitle,department,businessPhones,mobilePhone,businessAddress,homeAddress,categories,birthday"
    )
}

/// The folder named `name` (case-insensitively), if any.
pub fn find_folder<'a>(folders: &'a [ContactFolder], name: &str) -> Option<&'a ContactFolder> {
    folders.iter().find(|f| f.display_name.trim().eq_ignore_ascii_case(name.trim()))
}

/// A birthday's day as a date cell (Graph gives a time too; only the day is the birthday).
fn birthday(text: &str) -> Option<Value> {
    let day = text.get(..10)?;
    let mut parts = day.split('-');
    let (y, m, d) = (
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<u32>().ok()?,
        parts.next()?.parse::<u32>().ok()?,
    );
    if !(1900..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || d == 0
        || d > crate::calendar::days_in_month(y, m)
    {
        return None;
    }
    let serial = days_from_civil(y, m, d) - days_from_civil(1899, 12, 30);
    Some(Value::Date(ExcelDate { serial: serial as f64, is_1904: false, kind: DateKind::DateTime }))
}

const _: () = assert!(MAX_CONTACTS * COLUMNS.len() <= crate::read::MAX_VALUES);

/// The contacts as a table named `sheet`: one row per contact in the order given (row 2 is
/// the first), the columns of [`COLUMNS`]. A contact without an address is a row whose
/// `Email` is empty, which the merge's checks report.
pub fn table(sheet: &str, contacts: &[Contact]) -> Table {
    // The birthday column's format: the reader's short date (Excel's built-in 14).
    const DATE: u16 = 1;
    let mut builder = TableBuilder::default();
    builder.push_row(
        1,
        COLUMNS.iter().enumerate().map(|(i, name)| (i as u32, Value::Text((*name).to_owned()), 0)).collect(),
    );
    let text = |s: &Option<String>| Value::Text(s.as_deref().unwrap_or("").trim().to_owned());
    for (i, c) in contacts.iter().take(MAX_CONTACTS).enumerate() {
        let address = |n: usize| {
            Value::Text(
                c.email_addresses.get(n).and_then(|a| a.address.as_deref()).unwrap_or("").trim().to_owned(),
            )
        };
        let place = c
            .business_address
            .as_ref()
            .filter(|a| a.city.is_some() || a.country_or_region.is_some())
            .or(c.home_address.as_ref());
        let values = [
            text(&c.given_name),
            text(&c.surname),
            text(&c.display_name),
            address(0),
            address(1),
            address(2),
            text(&c.company_name),
            text(&c.job_title),
            text(&c.department),
            Value::Text(c.business_phones.first().map_or("", |p| p.trim()).to_owned()),
            text(&c.mobile_phone),
            text(&place.and_then(|p| p.city.clone())),
            text(&place.and_then(|p| p.country_or_region.clone())),
            Value::Text(c.categories.join("; ")),
            c.birthday.as_deref().and_then(birthday).unwrap_or(Value::Empty),
        ];
        let cells = values
            .into_iter()
            .enumerate()
            .map(|(col, v)| {
                let style = if matches!(v, Value::Date(_)) { DATE } else { 0 };
                (col as u32, v, style)
            })
            .collect();
        // Row numbers past u32 cannot happen under MAX_CONTACTS.
        builder.push_row(i as u32 + 2, cells);
    }
    let formats = vec![CellFormat::Code("General".into()), CellFormat::Builtin(14)];
    // The header row is never blank, so the builder always has a table to give, and
    // MAX_CONTACTS rows of its columns are far below MAX_VALUES (asserted above); the
    // fallback is the same header without rows.
    builder.finish(sheet.to_owned(), formats.clone(), false).ok().flatten().unwrap_or_else(|| Table {
        sheet: sheet.to_owned(),
        header_row: 1,
        columns: COLUMNS
            .iter()
            .enumerate()
            .map(|(i, n)| crate::table::Column { name: (*n).to_owned(), index: i as u32 })
            .collect(),
        rows: Vec::new(),
        warnings: Vec::new(),
        formats,
        date1904: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contacts(json: &str) -> Vec<Contact> {
        serde_json::from_str::<Page<Contact>>(json).unwrap().value
    }

    #[test]
    fn graph_contacts_become_rows_of_the_documented_columns() {
        let page = r#"{"value": [
            {"givenName": "Ada", "surname": "Lovelace", "displayName": "Ada Lovelace",
             "emailAddresses": [{"name": "Ada", "address": "ada@example.org"}, {"address": "ada@home.example"}],
             "companyName": "Analytical Engines", "jobTitle": "Analyst", "department": "R&D",
             "businessPhones": ["+44 20 7946 0000"], "mobilePhone": null,
             "businessAddress": {"city": "London", "countryOrRegion": "United Kingdom"},
             "categories": ["Customers", "VIP"], "birthday": "1815-12-10T11:59:00Z"},
            {"givenName": "Grace", "emailAddresses": [], "homeAddress": {"city": "Arlington"},
             "birthday": "1906-12-09T11:59:00Z"}
        ], "@odata.nextLink": null}"#;
        let t = table("Contacts", &contacts(page));
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, COLUMNS);
        assert_eq!(t.rows.len(), 2);
        assert_eq!((t.rows[0].number, t.rows[1].number), (2, 3));
        let ada = &t.rows[0].values;
        assert_eq!(ada[3], Value::Text("ada@example.org".into()));
        assert_eq!(ada[4], Value::Text("ada@home.example".into()));
        assert_eq!(ada[11], Value::Text("London".into()));
        assert_eq!(ada[13], Value::Text("Customers; VIP".into()));
        assert_eq!(ada[14], Value::Empty, "a birthday before 1900 is no Excel date");
        let grace = &t.rows[1].values;
        assert_eq!(grace[3], Value::Empty, "no address: an empty Email the checks report");
        assert_eq!(grace[11], Value::Text("Arlington".into()), "the home city when there is no business one");
        // 1906-12-09 is Excel's serial 2535.
        assert!(matches!(&grace[14], Value::Date(d) if d.serial == 2535.0));
        assert_eq!(t.rows[1].styles.get(14), Some(&1), "shown as the reader's short date");
    }

    #[test]
    fn categories_match_any_case_insensitively_and_folders_by_name() {
        let c = Contact { categories: vec!["Customers".into(), "VIP".into()], ..Contact::default() };
        assert!(c.in_any(&[]));
        assert!(c.in_any(&["vip".into()]));
        assert!(c.in_any(&["Partners".into(), " customers ".into()]));
        assert!(!c.in_any(&["Partners".into()]));
        let folders = vec![
            ContactFolder { id: "f1".into(), display_name: "Newsletter".into() },
            ContactFolder { id: "f2".into(), display_name: "Suppliers".into() },
        ];
        assert_eq!(find_folder(&folders, "suppliers").map(|f| f.id.as_str()), Some("f2"));
        assert!(find_folder(&folders, "Nobody").is_none());
    }

    #[test]
    fn odd_birthdays_are_left_empty() {
        for bad in
            ["", "1990", "1990-13-01T00:00:00Z", "1990-02-30T00:00:00Z", "x990-01-01", "１９９０-01-01"]
        {
            assert_eq!(birthday(bad), None, "{bad:?}");
        }
        assert!(birthday("2000-02-29T11:59:00Z").is_some());
    }
}
