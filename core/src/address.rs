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
    if !plain(spec) {
        check(spec).map_err(|reason| bad(&reason))?;
    }
    Ok(Mailbox { address: spec.to_owned(), name })
}

/// Whether `spec` is an address: email_address's rules (RFC 5322, UTF-8 allowed) with
/// [`options`], then a top-level domain and labels that do not start or end with a hyphen.
fn check(spec: &str) -> Result<(), String> {
    let parsed = EmailAddress::parse_with_options(spec, options()).map_err(|e| e.to_string())?;
    let domain = parsed.domain();
    let tld = domain.rsplit('.').next().unwrap_or("");
    if tld.len() < 2 || tld.chars().all(|c| c.is_ascii_digit()) {
        return Err("the domain has no valid top-level domain".into());
    }
    if domain.split('.').any(|label| label.is_empty() || label.starts_with('-') || label.ends_with('-')) {
        return Err("the domain is not valid".into());
    }
    Ok(())
}

/// Whether `spec` is an address of the plain shape nearly every list holds —
/// `jane.doe+news@mail.example.com`, in ASCII — which [`check`] accepts, said without
/// building anything: a row's check is then a scan of its bytes. Anything else (quotes,
/// UTF-8, a literal domain, any doubt) is [`check`]'s to say; a property test holds the
/// two together.
fn plain(spec: &str) -> bool {
    const LOCAL_MAX: usize = 64;
    const DOMAIN_MAX: usize = 254;
    const LABEL_MAX: usize = 63;
    let Some((local, domain)) = spec.split_once('@') else { return false };
    let atext = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&c);
    let dot_atom = !local.is_empty()
        && local.len() <= LOCAL_MAX
        && local.split('.').all(|atom| !atom.is_empty() && atom.bytes().all(atext));
    if !dot_atom || domain.is_empty() || domain.len() > DOMAIN_MAX {
        return false;
    }
    let mut labels = 0;
    let mut last = "";
    for label in domain.split('.') {
        let b = label.as_bytes();
        let edges = b.first().is_some_and(u8::is_ascii_alphanumeric)
            && b.last().is_some_and(u8::is_ascii_alphanumeric);
        if !edges || b.len() > LABEL_MAX || !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 2 && last.len() >= 2 && !last.bytes().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// What the plain shape accepts, the full check accepts too (the plain shape is only
        /// a shortcut). Generated near the shape's edges: dots, hyphens, digits, quotes,
        /// spaces, UTF-8, brackets, long parts.
        #[test]
        fn a_plain_address_is_an_address(
            atoms in proptest::collection::vec("[a-z0-9+'_-]{0,4}|\"x y\"|é|[a-z]{60,70}| ", 1..4),
            labels in proptest::collection::vec("[a-z0-9-]{0,5}|[0-9]{1,3}|[a-z]{60,66}|é|\\[1\\]|", 1..5),
            at in prop_oneof![4 => Just("@"), 1 => Just("@@"), 1 => Just("")],
        ) {
            let spec = format!("{}{at}{}", atoms.join("."), labels.join("."));
            if plain(&spec) {
                prop_assert_eq!(check(&spec), Ok(()), "{}", spec);
            }
        }
    }

    #[test]
    fn the_plain_shape_takes_the_usual_addresses_and_leaves_the_rest() {
        for usual in
            ["user123@example45.com", "jane.doe+news@mail.example.co.uk", "o'brien@example.ie", "a@b.cd"]
        {
            assert!(plain(usual), "{usual}");
            assert_eq!(check(usual), Ok(()), "{usual}");
        }
        // At the limits: the longest local part, label and domain are plain; one more is not.
        let (a, l) = ("a".repeat(64), "b".repeat(63));
        let long_domain = format!("{l}.{l}.{l}.{}.com", "c".repeat(58));
        assert_eq!(long_domain.len(), 254);
        for at_limit in [format!("{a}@x.org"), format!("x@{l}.org"), format!("x@{long_domain}")] {
            assert!(plain(&at_limit) && check(&at_limit).is_ok(), "{at_limit}");
        }
        for past in
            [format!("a{a}@x.org"), format!("x@b{l}.org"), format!("x@{l}.{l}.{l}.{}.com", "c".repeat(59))]
        {
            assert!(!plain(&past) && check(&past).is_err(), "{past}");
        }
        for rest in [
            "\"a b\"@x.org",
            "user@münchen.de",
            "a@[1.2.3.4]",
            "a..b@x.org",
            "a@x",
            "a@x.1",
            "a@-x.org",
            ".a@x.org",
            "a@x..org",
        ] {
            assert!(!plain(rest), "{rest}");
        }
    }

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
