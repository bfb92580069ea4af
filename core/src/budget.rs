//! Microsoft 365's daily budgets a campaign must live within, and the plan shown before it
//! starts: every recipient counts against the mailbox's rolling 24 hours (10,000), and
//! each one outside the tenant against the tenant's external recipient limit (TERRL,
//! `500 × licences^0.7 + 9,500`, shared by the whole tenant). A recipient is internal when
//! the domain of the address is one of the tenant's (Graph's `/organization`
//! `verifiedDomains`, an approximation of its accepted domains); with none known, every
//! recipient counts as external.

use crate::merge::Message;
use crate::send::{Limits, Millis};

/// The request that lists the tenant's organization (with `User.Read`).
pub const ORGANIZATION_PATH: &str = "/organization?$select=verifiedDomains";

/// Graph's `organization` resource, the part a plan uses.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Organization {
    /// The tenant's verified domains.
    pub verified_domains: Vec<VerifiedDomain>,
}

/// One verified domain.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct VerifiedDomain {
    /// `contoso.com`.
    pub name: String,
}

/// The tenant's domains, lower case, from `GET /organization`'s answer.
pub fn tenant_domains(answer: &[u8]) -> Result<Vec<String>, String> {
    let page: crate::contacts::Page<Organization> =
        serde_json::from_slice(answer).map_err(|e| e.to_string())?;
    // A handful of domains: kept in Graph's order without a sort (which would link a sort of
    // strings into the add-in's first module for nothing).
    let mut domains: Vec<String> = Vec::new();
    for d in page.value.iter().flat_map(|o| &o.verified_domains) {
        let name = d.name.trim().to_lowercase();
        if !name.is_empty() && !domains.contains(&name) {
            domains.push(name);
        }
    }
    Ok(domains)
}

/// Whether `address` is outside the tenant whose domains (lower case) are `domains`.
pub fn is_external(address: &str, domains: &[String]) -> bool {
    let domain = address.rsplit_once('@').map_or("", |(_, d)| d).trim().trim_end_matches('.').to_lowercase();
    !domains.contains(&domain)
}

/// The recipients (To + CC + BCC) of a message outside the tenant.
pub fn external_recipients(message: &Message, domains: &[String]) -> u32 {
    let all = message.to.iter().chain(&message.cc).chain(&message.bcc);
    all.filter(|m| is_external(&m.address, domains)).count() as u32
}

/// The tenant's external recipient limit per rolling 24 hours, estimated from Microsoft's
/// documented formula for its number of licences (trial tenants: 5,000).
pub fn tenant_external_limit(licences: u32) -> u32 {
    (500.0 * f64::from(licences.max(1)).powf(0.7) + 9_500.0).floor() as u32
}

/// What a campaign will take, before it starts (the add-in hands it to the pane as is: its
/// `Forecast` TypeScript type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Forecast {
    /// Messages.
    pub messages: usize,
    /// Recipients (To + CC + BCC) of all of them.
    pub recipients: u64,
    /// Those outside the tenant.
    pub external: u64,
    /// The mailbox's recipients per rolling 24 hours.
    pub mailbox_budget: u32,
    /// The tenant's external recipients per rolling 24 hours.
    pub tenant_external_budget: u32,
    /// Days (rolling windows) the budgets spread the campaign over: 1 when it fits in one.
    pub days: u64,
    /// When the last message goes, at the pace and within the budgets, from `start`.
    pub finish_at: Millis,
}

/// The forecast of sending `messages` from `start` within `limits`.
pub fn forecast(messages: &[Message], limits: &Limits, domains: &[String], start: Millis) -> Forecast {
    let recipients: u64 = messages.iter().map(|m| (m.to.len() + m.cc.len() + m.bcc.len()) as u64).sum();
    let external: u64 = messages.iter().map(|m| u64::from(external_recipients(m, domains))).sum();
    let days_for = |n: u64, per_day: u32| n.div_ceil(u64::from(per_day.max(1))).max(1);
    let days = days_for(recipients, limits.recipients_per_window)
        .max(days_for(external, limits.external_per_window));
    let pace = (messages.len() as u64).saturating_sub(1).saturating_mul(limits.send_interval_ms());
    // A campaign over several days sends a day's budget at the pace each day.
    let per_day = pace.div_ceil(days);
    let finish_at =
        start.saturating_add((days - 1).saturating_mul(limits.recipient_window_ms)).saturating_add(per_day);
    Forecast {
        messages: messages.len(),
        recipients,
        external,
        mailbox_budget: limits.recipients_per_window,
        tenant_external_budget: limits.external_per_window,
        days,
        finish_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_formula_and_its_examples() {
        // Microsoft's examples: 1 licence → 10,000; 100 → 22,059; 1,000 → 72,446.
        assert_eq!(tenant_external_limit(1), 10_000);
        assert_eq!(tenant_external_limit(100), 22_059);
        assert_eq!(tenant_external_limit(1_000), 72_446);
    }

    #[test]
    fn the_tenants_domains_come_from_its_organization() {
        let answer = br#"{"value":[{"id":"t","verifiedDomains":[{"name":"Contoso.com","isDefault":true},{"name":"contoso.onmicrosoft.com"}]}]}"#;
        assert_eq!(tenant_domains(answer).unwrap(), ["contoso.com", "contoso.onmicrosoft.com"]);
        assert!(tenant_domains(b"{}").unwrap().is_empty());
        assert!(tenant_domains(b"nope").is_err());
    }

    #[test]
    fn internal_means_one_of_the_tenants_domains() {
        let domains = vec!["contoso.com".to_owned(), "contoso.onmicrosoft.com".to_owned()];
        assert!(!is_external("Ada@CONTOSO.com", &domains));
        assert!(!is_external("bob@contoso.onmicrosoft.com", &domains));
        assert!(is_external("eve@sales.contoso.com", &domains), "a subdomain is its own accepted domain");
        assert!(is_external("x@fabrikam.com", &domains));
        assert!(is_external("x@contoso.com", &[]), "no domains known: everyone is external");
    }
}
