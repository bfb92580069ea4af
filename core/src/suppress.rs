//! The do-not-contact list: addresses and whole domains that no campaign mails again (people
//! who unsubscribed, bounced, or asked not to be contacted). Kept by the front doors on the
//! user's computer (a text file; the browser's storage), checked here before every campaign:
//! a message with a listed recipient is left out with the entry that matched.
//!
//! The text form is one entry per line — `ada@example.org`, or `@example.org` for a domain —
//! with `#` comments and blank lines ignored, so a person can read and edit the file.

use std::collections::BTreeSet;

use crate::address::parse_address;
use crate::merge::{Message, Plan};

/// One entry of the list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entry {
    /// One mailbox, lower case.
    Address(String),
    /// Every mailbox of a domain (and not its subdomains), lower case.
    Domain(String),
}

impl std::fmt::Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Entry::Address(a) => f.write_str(a),
            Entry::Domain(d) => write!(f, "@{d}"),
        }
    }
}

/// A line that is neither an address nor a domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: \"{text}\" is neither an email address nor @domain")]
pub struct EntryError {
    /// The line, from 1.
    pub line: usize,
    /// What it said.
    pub text: String,
}

impl Entry {
    /// An address (`ada@example.org`) or a domain (`@example.org`), as a person writes it.
    pub fn parse(text: &str) -> Option<Entry> {
        let t = text.trim();
        if let Some(domain) = t.strip_prefix('@') {
            let d = domain.trim_end_matches('.').to_lowercase();
            let valid = !d.is_empty()
                && d.contains('.')
                && d.split('.')
                    .all(|label| !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-'));
            return valid.then_some(Entry::Domain(d));
        }
        parse_address(t).ok().map(|a| Entry::Address(a.to_lowercase()))
    }
}

/// The list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suppressions {
    entries: BTreeSet<Entry>,
}

/// A message left out because a recipient is on the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    /// The message's first row.
    pub row: u32,
    /// The recipient listed.
    pub address: String,
    /// The entry that matched it.
    pub entry: Entry,
}

impl Suppressions {
    /// Reads the text form; every bad line is reported.
    pub fn parse(text: &str) -> Result<Suppressions, Vec<EntryError>> {
        let (list, errors) = Suppressions::parse_partial(text);
        if errors.is_empty() { Ok(list) } else { Err(errors) }
    }

    /// Reads the text form as far as it can: the good lines' entries, and the bad lines (a
    /// list being edited keeps working while a line is half-typed).
    pub fn parse_partial(text: &str) -> (Suppressions, Vec<EntryError>) {
        let mut list = Suppressions::default();
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.split('#').next().unwrap_or_default().trim();
            if t.is_empty() {
                continue;
            }
            match Entry::parse(t) {
                Some(e) => {
                    list.entries.insert(e);
                }
                None => errors.push(EntryError { line: i + 1, text: t.to_owned() }),
            }
        }
        (list, errors)
    }

    /// The text form: a header comment, then one entry per line, sorted.
    pub fn to_text(&self) -> String {
        let mut s = String::from(
            "# localmerge's do-not-contact list: one address, or @domain, per line.\n# No campaign mails these recipients.\n",
        );
        for e in &self.entries {
            s.push_str(&e.to_string());
            s.push('\n');
        }
        s
    }

    /// Adds an entry; whether it was new.
    pub fn add(&mut self, entry: Entry) -> bool {
        self.entries.insert(entry)
    }

    /// Removes an entry; whether it was there.
    pub fn remove(&mut self, entry: &Entry) -> bool {
        self.entries.remove(entry)
    }

    /// The entries, sorted.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry that lists `address`, if one does.
    pub fn matching(&self, address: &str) -> Option<&Entry> {
        let a = address.trim().to_lowercase();
        if let Some(e) = self.entries.get(&Entry::Address(a.clone())) {
            return Some(e);
        }
        let domain = a.rsplit_once('@')?.1.trim_end_matches('.');
        self.entries.get(&Entry::Domain(domain.to_owned()))
    }

    /// Why `message` is left out: its first listed recipient (To, then Cc, then Bcc), with
    /// its entry; `None` when it goes.
    pub fn check(&self, message: &Message) -> Option<Suppressed> {
        if self.entries.is_empty() {
            return None;
        }
        let mut all = message.to.iter().chain(&message.cc).chain(&message.bcc);
        all.find_map(|m| {
            self.matching(&m.address).map(|e| Suppressed {
                row: message.row,
                address: m.address.clone(),
                entry: e.clone(),
            })
        })
    }

    /// Leaves out of `plan` every message with a listed recipient, and says which.
    pub fn apply(&self, plan: &mut Plan) -> Vec<Suppressed> {
        let mut out = Vec::new();
        plan.messages.retain(|m| match self.check(m) {
            Some(s) => {
                out.push(s);
                false
            }
            None => true,
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_reads_as_written_and_names_bad_lines() {
        let list = Suppressions::parse(
            "# people who left\nAda@Example.org\n\n@Bounce.example.NET.  # a whole domain\nbo@x.org # unsubscribed\n",
        )
        .expect("list");
        let entries: Vec<String> = list.entries().map(ToString::to_string).collect();
        assert_eq!(entries, ["ada@example.org", "bo@x.org", "@bounce.example.net"]);
        assert_eq!(Suppressions::parse(&list.to_text()), Ok(list.clone()));
        let errors =
            Suppressions::parse("ok@x.org\nnot an address\n@\n@nodot\nTeam <t@x.org>\n").unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 5]);
        assert_eq!(
            errors[0].to_string(),
            "line 2: \"not an address\" is neither an email address nor @domain"
        );
    }

    #[test]
    fn addresses_match_exactly_and_domains_without_their_subdomains() {
        let mut list = Suppressions::default();
        assert!(list.add(Entry::parse("ada@example.org").expect("address")));
        assert!(!list.add(Entry::parse("ADA@example.org").expect("address")), "the same, in other case");
        list.add(Entry::parse("@bounce.test").expect("domain"));
        assert_eq!(list.matching(" Ada@EXAMPLE.org "), Some(&Entry::Address("ada@example.org".into())));
        assert_eq!(list.matching("x@Bounce.Test"), Some(&Entry::Domain("bounce.test".into())));
        assert_eq!(list.matching("x@mail.bounce.test"), None);
        assert_eq!(list.matching("ada@example.org.uk"), None);
        assert_eq!(list.matching("bob@example.org"), None);
        assert!(list.remove(&Entry::Domain("bounce.test".into())));
        assert_eq!(list.matching("x@bounce.test"), None);
    }

    #[test]
    fn a_message_with_a_listed_recipient_is_left_out_with_its_entry() {
        let csv =
            b"Email,Cc,Name\nada@example.org,,Ada\nbo@x.org,boss@bounce.test,Bo\ncy@x.org,,Cy\n".to_vec();
        let mut wb = crate::Workbook::open(csv).expect("csv");
        let table = wb.read(None).expect("table");
        let mut spec = crate::MergeSpec::html("Hi {{Name}}", "x", "body");
        spec.columns.cc = Some("Cc".into());
        let merge = crate::Merge::new(&table, &spec).expect("merge");
        let mut plan = merge.plan(&table);
        let list = Suppressions::parse("ADA@example.org\n@bounce.test\n").expect("list");
        let left_out = list.apply(&mut plan);
        assert_eq!(plan.messages.iter().map(|m| m.row).collect::<Vec<_>>(), [4]);
        assert_eq!(
            left_out,
            [
                Suppressed {
                    row: 2,
                    address: "ada@example.org".into(),
                    entry: Entry::Address("ada@example.org".into())
                },
                Suppressed {
                    row: 3,
                    address: "boss@bounce.test".into(),
                    entry: Entry::Domain("bounce.test".into())
                },
            ]
        );
        assert!(Suppressions::default().apply(&mut plan).is_empty());
    }
}
