//! The unsubscribe link: `{{unsubscribe}}` in a body is a `mailto:` link to the sending
//! mailbox whose subject names the campaign and the row (`Unsubscribe [c0ffee…/12]`).
//!
//! Why a `mailto:` link and not a `List-Unsubscribe` header: Graph accepts only `x-`
//! headers on a message (`internetMessageHeaders`), so a mail merge through Graph cannot
//! send RFC 8058's header; and a web link would need a server that learns who unsubscribed,
//! which localmerge never has. The request arrives in the user's own Inbox, where
//! `track` reads it ([`parse_subject`]) and adds its sender to the do-not-contact list.

use crate::format::Locale;

/// Where `{{unsubscribe}}` points: the sending mailbox and the campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    mailbox: String,
    campaign: String,
    word: &'static str,
}

/// Why an unsubscribe link cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnsubscribeError {
    /// The mailbox is not one bare address.
    #[error("the sending mailbox \"{0}\" is not an address")]
    Mailbox(String),
    /// The campaign's id cannot name it in a subject.
    #[error("the campaign id \"{0}\" cannot name it in a subject")]
    Campaign(String),
}

impl Unsubscribe {
    /// The link to `mailbox` for `campaign` (a campaign id: letters, digits, `-`, `_`, `.`),
    /// its words in `locale`'s language.
    pub fn new(mailbox: &str, campaign: &str, locale: &Locale) -> Result<Self, UnsubscribeError> {
        let mailbox = crate::address::parse_address(mailbox)
            .map_err(|_| UnsubscribeError::Mailbox(mailbox.to_owned()))?;
        if crate::send::CampaignId::parse(campaign).is_err() {
            return Err(UnsubscribeError::Campaign(campaign.to_owned()));
        }
        Ok(Unsubscribe { mailbox, campaign: campaign.to_owned(), word: word(locale) })
    }

    /// The mailbox the link writes to.
    pub fn mailbox(&self) -> &str {
        &self.mailbox
    }

    /// The subject of the request for the message of `row` (a grouped message's first row).
    pub fn subject(&self, row: u32) -> String {
        format!("{} [{}/{row}]", self.word, self.campaign)
    }

    /// The `mailto:` URL (RFC 6068: the subject percent-encoded as UTF-8).
    pub fn url(&self, row: u32) -> String {
        let (before, after) = self.url_around_row();
        format!("{before}{row}{after}")
    }

    /// The URL before and after the row's number (its digits need no encoding): what a
    /// template writes around each message's row.
    pub(crate) fn url_around_row(&self) -> (String, String) {
        let mut before = String::with_capacity(self.mailbox.len() + 64);
        before.push_str("mailto:");
        percent_encode(&self.mailbox, &mut before);
        before.push_str("?subject=");
        percent_encode(&format!("{} [{}/", self.word, self.campaign), &mut before);
        let mut after = String::new();
        percent_encode("]", &mut after);
        (before, after)
    }

    /// The words the link shows when the template gives none.
    pub fn default_text(&self) -> &'static str {
        self.word
    }
}

/// "Unsubscribe" in the message's language.
fn word(locale: &Locale) -> &'static str {
    match locale.tag.split('-').next().unwrap_or_default() {
        "fr" => "Se désabonner",
        "de" => "Abmelden",
        "es" => "Darse de baja",
        "it" => "Annulla l'iscrizione",
        "nl" => "Afmelden",
        "pt" => "Cancelar inscrição",
        _ => "Unsubscribe",
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters and `@` (an address's
/// separator, allowed as is in a `mailto:` URL).
fn percent_encode(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

/// The campaign and row an unsubscribe request names, from its subject as it arrives
/// (a mail program may put `RE:` or other words around it, or change the word's case).
pub fn parse_subject(subject: &str) -> Option<(&str, u32)> {
    let open = subject.rfind('[')?;
    let inner = &subject[open + 1..];
    let inner = &inner[..inner.find(']')?];
    let (campaign, row) = inner.rsplit_once('/')?;
    let row: u32 = row.parse().ok()?;
    crate::send::CampaignId::parse(campaign).ok()?;
    Some((campaign, row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_names_the_campaign_and_row_in_the_subject() {
        let u = Unsubscribe::new("Sales@Contoso.com", "c0ffee", Locale::en_us()).expect("link");
        assert_eq!(u.subject(12), "Unsubscribe [c0ffee/12]");
        assert_eq!(u.url(12), "mailto:Sales@Contoso.com?subject=Unsubscribe%20%5Bc0ffee%2F12%5D");
        let fr = Unsubscribe::new("a@b.fr", "x", Locale::find("fr-FR").expect("fr")).expect("link");
        // UTF-8, percent-encoded byte by byte.
        assert_eq!(fr.url(2), "mailto:a@b.fr?subject=Se%20d%C3%A9sabonner%20%5Bx%2F2%5D");
        assert!(Unsubscribe::new("not an address", "x", Locale::en_us()).is_err());
        assert!(Unsubscribe::new("a@b.fr", "bad id", Locale::en_us()).is_err());
    }

    #[test]
    fn a_subject_is_read_back_whatever_a_mail_program_did_around_it() {
        let u = Unsubscribe::new("a@b.com", "c0ffee", Locale::en_us()).expect("link");
        assert_eq!(parse_subject(&u.subject(7)), Some(("c0ffee", 7)));
        assert_eq!(parse_subject("RE: unsubscribe [c0ffee/7]"), Some(("c0ffee", 7)));
        assert_eq!(parse_subject("Se désabonner [a.b_c-d/123] please"), Some(("a.b_c-d", 123)));
        for not in ["Unsubscribe", "Unsubscribe [c0ffee]", "[x/y]", "[a b/1]", "[c0ffee/12", "[/3]"] {
            assert_eq!(parse_subject(not), None, "{not}");
        }
    }
}
