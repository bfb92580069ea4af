//! Tokens broken by formatting (for the add-in, whose template is the HTML Outlook's editor
//! writes). Outlook's editor wraps parts of a token in tags when the
//! user formats part of it or autocorrect touches it (`{{First <b>Name</b>}}`,
//! `{{First&nbsp;Name}}`); the template engine would then see a column that does not
//! exist. These find such tokens and mend them (the token keeps its text; the formatting
//! inside it goes, since the value is inserted as one piece).

use serde::Serialize;

/// A token as written and as mended.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BrokenToken {
    /// The token as it is in the HTML.
    pub text: String,
    /// The token without the markup inside it.
    pub fixed: String,
}

/// Every `{{…}}` whose inside holds tags or character references, in order.
pub fn broken_tokens(html: &str) -> Vec<BrokenToken> {
    tokens(html)
        .filter_map(|(start, end)| {
            let text = &html[start..end];
            let fixed = mend(text);
            (fixed != text).then(|| BrokenToken { text: text.to_owned(), fixed })
        })
        .collect()
}

/// The HTML with every broken token mended; everything else is kept byte for byte.
pub fn repair_tokens(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut last = 0;
    for (start, end) in tokens(html) {
        out.push_str(&html[last..start]);
        out.push_str(&mend(&html[start..end]));
        last = end;
    }
    out.push_str(&html[last..]);
    out
}

/// Byte ranges of `{{ … }}` (or `{{{ … }}}`), each from its opening braces to its closing ones.
fn tokens(html: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let start = pos + html.get(pos..)?.find("{{")?;
        let after = start + 2;
        let close = after + html[after..].find("}}")?;
        // A token never spans another opening: `{{a {{b}}` is `{{b}}`.
        let start = start + html[start..close].rfind("{{").unwrap_or(0);
        let mut end = close + 2;
        if html[start..].starts_with("{{{") && html[end..].starts_with('}') {
            end += 1;
        }
        pos = end;
        Some((start, end))
    })
}

fn mend(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut rest = token;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            match rest.find('>') {
                Some(i) => rest = &rest[i + 1..],
                None => {
                    out.push_str(rest);
                    break;
                }
            }
        } else if c == '&' {
            let entity = rest.find(';').filter(|i| *i <= 8).map(|i| &rest[..=i]);
            match entity.and_then(entity_char) {
                Some((ch, len)) => {
                    out.push(ch);
                    rest = &rest[len..];
                }
                None => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    // Formatting often leaves doubled or non-breaking spaces where the tags were.
    let mut collapsed = String::with_capacity(out.len());
    for c in out.chars() {
        let c = if c == '\u{a0}' { ' ' } else { c };
        if !(c == ' ' && collapsed.ends_with([' ', '{'])) {
            collapsed.push(c);
        }
    }
    collapsed.replace(" }}", "}}")
}

fn entity_char(entity: &str) -> Option<(char, usize)> {
    let ch = match entity {
        "&nbsp;" | "&#160;" | "&#xa0;" => ' ',
        "&amp;" => '&',
        _ => return None,
    };
    Some((ch, entity.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_inside_tokens_is_found_and_mended() {
        let html = "<p>Dear {{First <b>Name</b>}}, {{Last&nbsp;Name}} {{ok}}</p>";
        let broken = broken_tokens(html);
        assert_eq!(
            broken,
            [
                BrokenToken { text: "{{First <b>Name</b>}}".into(), fixed: "{{First Name}}".into() },
                BrokenToken { text: "{{Last&nbsp;Name}}".into(), fixed: "{{Last Name}}".into() },
            ]
        );
        assert_eq!(repair_tokens(html), "<p>Dear {{First Name}}, {{Last Name}} {{ok}}</p>");
    }

    #[test]
    fn spans_and_spaces_left_by_the_editor_go() {
        let html = r#"{{<span style="x">First</span> <span>Name</span> }} and {{{Raw <i>Html</i>}}}"#;
        assert_eq!(repair_tokens(html), "{{First Name}} and {{{Raw Html}}}");
    }

    #[test]
    fn text_outside_tokens_and_unclosed_braces_are_untouched() {
        for html in ["<b>{{</b>", "a &nbsp; b", "{{a <b", "{{x}} <i>y</i> {{", "{{a {{b}}", "é{{é}}é"] {
            assert_eq!(repair_tokens(html), html, "{html}");
        }
        assert_eq!(repair_tokens("{{a {{b <i>c</i>}}"), "{{a {{b c}}");
    }
}
