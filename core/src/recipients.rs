//! Finding the To, CC and BCC columns.

use crate::Table;
use crate::address::parse_cell;

/// The table columns that hold recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecipientColumns {
    /// The To column.
    pub to: usize,
    /// The CC column, if any.
    pub cc: Option<usize>,
    /// The BCC column, if any.
    pub bcc: Option<usize>,
    /// The column naming each message's attachments (`;`-separated file names), if any.
    pub attachments: Option<usize>,
}

/// Columns the caller names explicitly (by header), overriding detection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnOverrides {
    /// The To column's header.
    pub to: Option<String>,
    /// The CC column's header.
    pub cc: Option<String>,
    /// The BCC column's header.
    pub bcc: Option<String>,
}

/// Why recipient columns cannot be determined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ColumnError {
    /// A column named by the caller does not exist.
    #[error("the sheet has no column \"{name}\"{}", .suggestion.as_ref().map(|s| format!("; did you mean \"{s}\"?")).unwrap_or_default())]
    Unknown {
        /// The name given.
        name: String,
        /// The closest real column.
        suggestion: Option<String>,
    },
    /// A column named by the caller matches several columns.
    #[error("\"{name}\" matches several columns ({})", .columns.join(", "))]
    Ambiguous {
        /// The name given.
        name: String,
        /// Their letters.
        columns: Vec<String>,
    },
    /// No column looks like email addresses.
    #[error("no column of email addresses found (columns: {}); name one with --to", .0.join(", "))]
    NoAddressColumn(Vec<String>),
}

const TO: &[&str] = &[
    "email",
    "emails",
    "mail",
    "to",
    "courriel",
    "emailaddress",
    "emailaddresses",
    "adresseemail",
    "adressemail",
    "adressecourriel",
    "adresseelectronique",
    "emailadresse",
    "mailadresse",
    "correo",
    "correoelectronico",
    "postaelettronica",
    "indirizzoemail",
    "emailadres",
    "enderecodeemail",
    "recipient",
    "recipients",
    "destinataire",
    "empfanger",
    "empfaenger",
    "primaryemail",
    "workemail",
];
const CC: &[&str] = &["cc", "copie", "copy", "kopie", "copia", "emailcc", "ccemail"];
const ATTACHMENTS: &[&str] = &[
    "attachment",
    "attachments",
    "files",
    "piecejointe",
    "piecesjointes",
    "anhang",
    "anhange",
    "anhaenge",
    "adjunto",
    "adjuntos",
    "allegato",
    "allegati",
    "bijlage",
    "bijlagen",
    "anexo",
    "anexos",
];
const BCC: &[&str] =
    &["bcc", "cci", "ccn", "cco", "blindcopy", "copiecachee", "blindkopie", "emailbcc", "bccemail"];

/// Lower-cases, folds common accents and drops everything but letters and digits, so
/// `E-Mail-Adresse`, `Adresse e-mail` and `Courriel ` match their aliases.
fn normalize(header: &str) -> String {
    header
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            c => c,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

fn by_alias(table: &Table, aliases: &[&str], skip: &[usize]) -> Option<usize> {
    table
        .columns
        .iter()
        .enumerate()
        .filter(|(i, _)| !skip.contains(i))
        .find(|(_, c)| aliases.contains(&normalize(&c.name).as_str()))
        .map(|(i, _)| i)
}

fn by_name(table: &Table, name: &str) -> Result<usize, ColumnError> {
    match table.find_column(name) {
        Ok(Some(i)) => Ok(i),
        Ok(None) => Err(ColumnError::Unknown {
            name: name.to_owned(),
            suggestion: table.closest_column(name).map(str::to_owned),
        }),
        Err(ix) => Err(ColumnError::Ambiguous {
            name: name.to_owned(),
            columns: ix.into_iter().map(|i| table.columns[i].letters()).collect(),
        }),
    }
}

/// The share of a column's non-blank values (in the first rows) that are valid addresses.
fn address_share(table: &Table, col: usize) -> f64 {
    let (mut seen, mut good) = (0u32, 0u32);
    for row in table.rows.iter().take(200) {
        let Some(v) = row.values.get(col).filter(|v| !v.is_blank()) else { continue };
        seen += 1;
        let parsed = parse_cell(&v.to_text());
        if !parsed.is_empty() && parsed.iter().all(Result::is_ok) {
            good += 1;
        }
    }
    if seen == 0 { 0.0 } else { f64::from(good) / f64::from(seen) }
}

/// Finds the recipient columns: named ones first, then by header alias (Email, Courriel,
/// E-Mail-Adresse…), then for To the column whose values are mostly addresses.
pub fn detect(table: &Table, overrides: &ColumnOverrides) -> Result<RecipientColumns, ColumnError> {
    let named = |n: &Option<String>| n.as_deref().map(|n| by_name(table, n)).transpose();
    let cc = match named(&overrides.cc)? {
        Some(i) => Some(i),
        None => by_alias(table, CC, &[]),
    };
    let bcc = match named(&overrides.bcc)? {
        Some(i) => Some(i),
        None => by_alias(table, BCC, &cc.into_iter().collect::<Vec<_>>()),
    };
    let taken: Vec<usize> = cc.into_iter().chain(bcc).collect();
    let to = match named(&overrides.to)? {
        Some(i) => i,
        None => match by_alias(table, TO, &taken) {
            Some(i) => i,
            None => (0..table.columns.len())
                .filter(|i| !taken.contains(i))
                .map(|i| (i, address_share(table, i)))
                .filter(|(_, share)| *share >= 0.5)
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i)
                .ok_or_else(|| {
                    ColumnError::NoAddressColumn(table.columns.iter().map(|c| c.name.clone()).collect())
                })?,
        },
    };
    // A column the caller chose for To is never also CC or BCC.
    let cc = cc.filter(|&c| c != to);
    let bcc = bcc.filter(|&c| c != to);
    let attachments = by_alias(table, ATTACHMENTS, &[to]).filter(|a| Some(*a) != cc && Some(*a) != bcc);
    Ok(RecipientColumns { to, cc, bcc, attachments })
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn header_aliases_normalize() {
        assert_eq!(normalize(" E-Mail-Adresse "), "emailadresse");
        assert_eq!(normalize("Adresse e-mail"), "adresseemail");
        assert_eq!(normalize("Correo electrónico"), "correoelectronico");
        assert_eq!(normalize("Copie cachée"), "copiecachee");
    }
}
