//! How a campaign would send, as the pane says it (`CampaignOptions`), and the send engine's
//! settings made from it: in every module, since the plan's forecast (`Spreadsheet.forecast`)
//! weighs the daily budgets before anything is sent.

use localmerge_core::send::{self, CampaignId, CampaignSettings, Limits, Millis, Mode, Sender};
use serde::{Deserialize, Serialize};

/// How a campaign sends (the `CampaignOptions` TypeScript type).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Options {
    pub(crate) id: String,
    /// Where Graph is (only a module that sends reads it).
    #[cfg(any(test, feature = "send"))]
    pub(crate) graph_url: String,
    #[serde(default)]
    drafts_only: bool,
    schedule: Option<f64>,
    from: Option<String>,
    per_minute: Option<u32>,
    daily_recipients: Option<u32>,
    #[serde(default)]
    domains: Vec<String>,
    tenant_external: Option<u32>,
    seed: f64,
    /// A follow-up's rows and the messages they answer.
    #[serde(default)]
    pub(crate) replies: Vec<FollowupRow>,
}

/// A row a follow-up answers and its first message (the `FollowupRow` TypeScript type).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct FollowupRow {
    pub(crate) row: u32,
    pub(crate) original: String,
}

/// The engine's settings from the pane's options (pure; tested natively).
pub fn settings(options: &Options, folder: &str) -> Result<CampaignSettings, send::EngineError> {
    let mut limits = Limits::default();
    if let Some(n) = options.per_minute.filter(|n| *n > 0) {
        limits.messages_per_window = n;
    }
    if let Some(n) = options.daily_recipients.filter(|n| *n > 0) {
        limits.recipients_per_window = n;
    }
    if let Some(n) = options.tenant_external.filter(|n| *n > 0) {
        limits.external_per_window = n;
    }
    Ok(CampaignSettings {
        id: CampaignId::parse(&options.id)?,
        sender: options.from.clone().filter(|a| !a.trim().is_empty()).map_or(Sender::Me, Sender::Shared),
        mode: if options.drafts_only { Mode::DraftsOnly } else { Mode::Send },
        schedule: options.schedule.map(|t| t as Millis),
        limits,
        // Without the tenant's domains every recipient counts as external (the budget is
        // then at most the mailbox's own, 10,000, by default).
        internal_domains: options.domains.iter().map(|d| d.trim().to_lowercase()).collect(),
        skipped: Vec::new(),
        replies: options.replies.iter().map(|r| (r.row, r.original.clone())).collect(),
        folder_name: format!("localmerge {folder}"),
        seed: options.seed as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(json: &str) -> Options {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn options_become_engine_settings() {
        let s = settings(
            &options(r#"{"id":"c1","graphUrl":"https://graph.microsoft.com/v1.0","seed":7,"perMinute":20,"from":"team@x.org","schedule":1700000000000}"#),
            "c1",
        )
        .unwrap();
        assert_eq!(s.limits.messages_per_window, 20);
        assert_eq!(s.limits.recipients_per_window, 10_000);
        assert_eq!(s.sender, Sender::Shared("team@x.org".into()));
        assert_eq!((s.mode, s.schedule, s.seed), (Mode::Send, Some(1_700_000_000_000), 7));
        let err = settings(&options(r#"{"id":"a b","graphUrl":"x","seed":1}"#), "a b").unwrap_err();
        assert!(err.to_string().contains("invalid campaign id"), "{err}");
        let drafts =
            settings(&options(r#"{"id":"c","graphUrl":"x","seed":1,"draftsOnly":true,"from":" "}"#), "c");
        assert_eq!(drafts.map(|s| (s.mode, s.sender)).unwrap(), (Mode::DraftsOnly, Sender::Me));
    }
}
