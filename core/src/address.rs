//! Email addresses in cells: splitting, display names, validation.

use std::fmt;

use email_address::{EmailAddress, Options};

/// A validated mailbox: an address and an optional display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The addr-spec, e.g. `jane@example.com`.
    pub address: String,
    /// The display name from `Jane Doe <jane@example.com>`, when the cell has one.
    pub name: Option<String>,
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} <{}>", self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// Why one address in a cell is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadAddress {
    /// The text as it stands in the cell (trimmed).
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Splits a cell into addresses on `;` and `,` (outside quotes and angle brackets) and
/// validates each. Empty pieces (`a@x.org;`) are ignored.
pub fn parse_cell(cell: &str) -> Vec<Result<Mailbox, BadAddress>> {
    split(cell).into_iter().map(parse_one).collect()
}

/// One bare address (a mailbox to send from, for example): no list, no display name.
pub fn parse_address(text: &str) -> Result<String, BadAddress> {
    let text = text.trim();
    let bad = |reason: &str| BadAddress { text: text.to_owned(), reason: reason.to_owned() };
    match parse_cell(text).as_slice() {
        [Ok(Mailbox { address, name: None })] if address == text => Ok(address.clone()),
        [Err(e)] => Err(e.clone()),
        [] => Err(bad("is empty")),
        [_] => Err(bad("is not a bare address (no display name or brackets)")),
        _ => Err(bad("is more than one address")),
    }
}

fn split(cell: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut in_quotes, mut in_angle, mut start) = (false, false, 0);
    for (i, ch) in cell.char_indices() {
        match ch {
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ';' | ',' if !in_quotes && !in_angle => {
                parts.push(&cell[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&cell[start..]);
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

fn options() -> Options {
    // A practical check: a dot in the domain, no IP literals, no display text (handled
    // separately so that quoted names with commas work).
    Options { minimum_sub_domains: 2, allow_domain_literal: false, allow_display_text: false }
}

fn parse_one(text: &str) -> Result<Mailbox, BadAddress> {
    let bad = |reason: &str| BadAddress { text: text.to_owned(), reason: reason.to_owned() };
    let (name, spec) = match (text.rfind('<'), text.ends_with('>')) {
        (Some(open), true) => {
            let name = text[..open].trim().trim_matches('"').trim();
            let spec = text[open + 1..text.len() - 1].trim();
            ((!name.is_empty()).then(|| name.to_owned()), spec)
        }
        (None, false) => (None, text),
        _ => return Err(bad("unbalanced angle brackets")),
    };
    if spec.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("contains spaces or control characters"));
    }
    if name.as_deref().is_some_and(|n| n.chars().any(char::is_control)) {
        return Err(bad("the display name contains control characters"));
    }
    let parsed = EmailAddress::parse_with_options(spec, options()).map_err(|e| bad(&e.to_string()))?;
    let domain = parsed.domain();
    let tld = domain.rsplit('.').next().unwrap_or("");
    if tld.len() < 2 || tld.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad("the domain has no valid top-level domain"));
    }
    if domain.split('.').any(|label| label.is_empty() || label.starts_with('-') || label.ends_with('-')) {
        return Err(bad("the domain is not valid"));
    }
    Ok(Mailbox { address: spec.to_owned(), name })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(cell: &str) -> Vec<String> {
        parse_cell(cell)
            .into_iter()
            .map(|r| r.map(|m| m.to_string()).unwrap_or_else(|e| format!("ERR {}", e.text)))
            .collect()
    }

    #[test]
    fn splitting_and_display_names() {
        assert_eq!(ok("a@x.org; b@y.com,c@z.fr"), ["a@x.org", "b@y.com", "c@z.fr"]);
        assert_eq!(
            ok("\"Doe, Jane\" <jane@x.org>; Bob <bob@y.com>"),
            ["Doe, Jane <jane@x.org>", "Bob <bob@y.com>"]
        );
        assert_eq!(ok(" a@x.org ; "), ["a@x.org"]);
        assert!(ok("").is_empty());
    }

    #[test]
    fn a_bare_address_is_one_address_without_a_name() {
        assert_eq!(parse_address(" team@contoso.com ").unwrap(), "team@contoso.com");
        for bad in ["", "team", "team@contoso", "a@x.org; b@y.org", "Team <team@contoso.com>", "a b@x.org"] {
            assert!(parse_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn validation() {
        for good in ["jane.doe+tag@example.co.uk", "o'brien@example.ie", "user@münchen.de", "用户@例子.广告"]
        {
            assert!(parse_cell(good)[0].is_ok(), "{good}");
        }
        for bad in [
            "jane",
            "jane@",
            "@x.org",
            "jane@localhost",
            "a b@x.org",
            "jane@x..org",
            "jane@[127.0.0.1]",
            "jane@x.1",
            "a@x.org\r\nBcc: e@vil.com",
            "Jane <jane@x.org",
        ] {
            assert!(parse_cell(bad).iter().any(Result::is_err), "{bad}");
        }
    }
}
