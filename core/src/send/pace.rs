//! Pace: the mailbox's limits, kept exactly, from the caller's clock readings.

use std::collections::VecDeque;

use super::Millis;

/// The limits a campaign keeps. The defaults are Exchange Online's and Graph's for one
/// mailbox; a tenant's admin may have changed them, so all are settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Messages per `message_window_ms` (Exchange Online: 30 per minute).
    pub messages_per_window: u32,
    /// The message-rate window.
    pub message_window_ms: u64,
    /// Recipients (To + CC + BCC) per rolling `recipient_window_ms` (10,000 per 24 hours).
    pub recipients_per_window: u32,
    /// Recipients outside the tenant per rolling `recipient_window_ms`: the tenant's
    /// external recipient limit (TERRL, `500 × licences^0.7 + 9,500`; 10,000 for one).
    pub external_per_window: u32,
    /// The recipient-budget window.
    pub recipient_window_ms: u64,
    /// Requests in flight at once (Graph: 4 per mailbox).
    pub max_concurrency: u32,
    /// Requests per `request_window_ms` (Graph: 10,000 per 10 minutes).
    pub requests_per_window: u32,
    /// The request-rate window.
    pub request_window_ms: u64,
    /// The first retry delay when the service gives no `Retry-After` (doubled each
    /// attempt, with full jitter).
    pub backoff_base_ms: u64,
    /// The longest retry delay.
    pub backoff_cap_ms: u64,
    /// Attempts of one request before the campaign stops (it resumes when run again).
    pub max_attempts: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            messages_per_window: 30,
            message_window_ms: 60_000,
            recipients_per_window: 10_000,
            external_per_window: 10_000,
            recipient_window_ms: 24 * 60 * 60 * 1000,
            max_concurrency: 4,
            requests_per_window: 10_000,
            request_window_ms: 10 * 60 * 1000,
            backoff_base_ms: 1_000,
            backoff_cap_ms: 180_000,
            max_attempts: 10,
        }
    }
}

impl Limits {
    /// The even spacing of sends at the full rate.
    pub fn send_interval_ms(&self) -> u64 {
        self.message_window_ms / u64::from(self.messages_per_window.max(1))
    }
}

/// What the pacer says about sending a message now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Send it.
    Go,
    /// Not before this time.
    Wait(Millis),
    /// Not until a send in flight completes.
    Busy,
    /// The rolling recipient budget is spent until `resume_at`.
    Budget { resume_at: Millis },
}

/// What one message spends of the rolling budgets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cost {
    /// Every recipient (To + CC + BCC).
    pub(crate) recipients: u32,
    /// Those outside the tenant.
    pub(crate) external: u32,
}

impl Cost {
    fn fits(self, used: Cost, limits: &Limits) -> bool {
        u64::from(used.recipients) + u64::from(self.recipients) <= u64::from(limits.recipients_per_window)
            && u64::from(used.external) + u64::from(self.external) <= u64::from(limits.external_per_window)
    }

    fn add(self, other: Cost) -> Cost {
        Cost {
            recipients: self.recipients.saturating_add(other.recipients),
            external: self.external.saturating_add(other.external),
        }
    }

    fn sub(self, other: Cost) -> Cost {
        Cost {
            recipients: self.recipients.saturating_sub(other.recipients),
            external: self.external.saturating_sub(other.external),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Record {
    id: u64,
    completed: Option<Millis>,
    cost: Cost,
}

/// The send pacer. Sends are spaced evenly at the configured rate and, in addition, a send
/// is dispatched only when fewer than `messages_per_window` earlier sends either are in
/// flight or completed within the window: the service accepted each of those before it
/// answered, so the service never sees more than its limit in any window, whatever the
/// network's latency. A send the service throttles teaches the pacer the mailbox's real
/// limit (a tenant may have lowered it): the sends it accepted within the window, and never
/// less than half the limit in force, so a passing storm cannot stall the campaign. The
/// learned limit holds for the rest of the run: probing upwards would be throttled again.
#[derive(Debug, Clone)]
pub(crate) struct Pacer {
    limits: Limits,
    records: VecDeque<Record>,
    last_dispatch: Option<Millis>,
    /// The messages per window in force: the configured limit, or what throttling taught.
    limit: u32,
    next_id: u64,
}

impl Pacer {
    pub(crate) fn new(limits: Limits) -> Self {
        Pacer {
            limits,
            records: VecDeque::new(),
            last_dispatch: None,
            limit: limits.messages_per_window.max(1),
            next_id: 0,
        }
    }

    /// A send confirmed before this run (from the journal).
    pub(crate) fn remember(&mut self, at: Millis, cost: Cost) {
        let id = self.bump();
        let pos = self
            .records
            .iter()
            .position(|r| r.completed.is_some_and(|c| c > at))
            .unwrap_or(self.records.len());
        self.records.insert(pos, Record { id, completed: Some(at), cost });
        self.last_dispatch = Some(self.last_dispatch.map_or(at, |l| l.max(at)));
    }

    fn bump(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn interval(&self) -> u64 {
        self.limits.message_window_ms / u64::from(self.limit)
    }

    /// The messages per window in force.
    pub(crate) fn limit(&self) -> u32 {
        self.limit
    }

    fn prune(&mut self, now: Millis) {
        let keep = self.limits.recipient_window_ms.max(self.limits.message_window_ms);
        while let Some(r) = self.records.front() {
            match r.completed {
                Some(c) if c.saturating_add(keep) <= now => {
                    self.records.pop_front();
                }
                _ => break,
            }
        }
    }

    pub(crate) fn check(&mut self, now: Millis, cost: Cost) -> Gate {
        self.prune(now);
        let in_window = |r: &Record, w: u64| r.completed.is_none_or(|c| c.saturating_add(w) > now);
        // The rolling budgets: every recipient, and those outside the tenant.
        let used = self
            .records
            .iter()
            .filter(|r| in_window(r, self.limits.recipient_window_ms))
            .fold(Cost::default(), |sum, r| sum.add(r.cost));
        if !cost.fits(used, &self.limits) {
            if self.records.iter().any(|r| r.completed.is_none()) {
                return Gate::Busy;
            }
            let mut completed: Vec<(Millis, Cost)> = self
                .records
                .iter()
                .filter(|r| in_window(r, self.limits.recipient_window_ms))
                .filter_map(|r| r.completed.map(|c| (c, r.cost)))
                .collect();
            completed.sort_unstable_by_key(|(c, _)| *c);
            let mut left = used;
            let mut resume_at = now;
            for (c, spent) in completed {
                left = left.sub(spent);
                resume_at = c + self.limits.recipient_window_ms;
                if cost.fits(left, &self.limits) {
                    break;
                }
            }
            return Gate::Budget { resume_at };
        }
        // Even spacing.
        if let Some(last) = self.last_dispatch {
            let next = last.saturating_add(self.interval());
            if next > now {
                return Gate::Wait(next);
            }
        }
        // The window, counted on completions. The caller's clock reads whole milliseconds
        // (a completion at 1000.7 ms reads 1000), the service's is finer: a completion
        // leaves the window one millisecond later than it reads here.
        let limit = self.limit as usize;
        let w = self.limits.message_window_ms + 1;
        let mut recent: Vec<Option<Millis>> =
            self.records.iter().filter(|r| in_window(r, w)).map(|r| r.completed).collect();
        if recent.len() >= limit {
            if recent.iter().filter(|c| c.is_none()).count() >= limit {
                return Gate::Busy;
            }
            // The oldest completions must leave the window first.
            recent.sort_unstable_by_key(|c| c.unwrap_or(Millis::MAX));
            let excess = recent.len() + 1 - limit;
            return match recent[excess - 1] {
                Some(c) => Gate::Wait(c + w),
                None => Gate::Busy,
            };
        }
        Gate::Go
    }

    /// A send is dispatched; the id is given back to [`Pacer::finish`].
    pub(crate) fn dispatch(&mut self, now: Millis, cost: Cost) -> u64 {
        let id = self.bump();
        self.records.push_back(Record { id, completed: None, cost });
        // The slot this send was due in: a send dispatched a little late (a timer's
        // granularity, a journal write) does not push every later send back with it.
        let interval = self.interval();
        self.last_dispatch = Some(match self.last_dispatch {
            Some(last) if now < last.saturating_add(2 * interval) => last.saturating_add(interval).min(now),
            _ => now,
        });
        id
    }

    /// The send's answer came: `accepted` when the service took it (or may have), false
    /// when it was refused before taking effect.
    pub(crate) fn finish(&mut self, id: u64, now: Millis, accepted: bool) {
        if let Some(pos) = self.records.iter().position(|r| r.id == id) {
            if accepted {
                self.records[pos].completed = Some(now);
            } else {
                self.records.remove(pos);
            }
        }
    }

    /// The service throttled a send at `now`: learn the limit from the sends it accepted
    /// within the window.
    pub(crate) fn slow_down(&mut self, now: Millis) {
        let w = self.limits.message_window_ms;
        let accepted =
            self.records.iter().filter(|r| r.completed.is_some_and(|c| c.saturating_add(w) > now)).count()
                as u32;
        let floor = (self.limit / 2).max(1);
        self.limit = if accepted < self.limit { accepted.max(floor) } else { floor };
    }
}

/// Release times for a scheduled campaign: from `start`, evenly spaced at the limits'
/// rate, and never more than the recipient budgets within any window (later messages move
/// to the next window, over several days if needed).
pub(crate) fn release_times(limits: &Limits, start: Millis, costs: &[Cost]) -> Vec<Millis> {
    let interval = limits.send_interval_ms();
    let window = limits.recipient_window_ms;
    let mut out = Vec::with_capacity(costs.len());
    let mut recent: VecDeque<(Millis, Cost)> = VecDeque::new();
    let mut used = Cost::default();
    let mut t = start;
    for (i, &n) in costs.iter().enumerate() {
        if i > 0 {
            t = t.saturating_add(interval);
        }
        loop {
            while let Some(&(at, k)) = recent.front() {
                if at + window <= t {
                    used = used.sub(k);
                    recent.pop_front();
                } else {
                    break;
                }
            }
            if n.fits(used, limits) || recent.is_empty() {
                break;
            }
            t = recent.front().map_or(t, |&(at, _)| at + window);
        }
        recent.push_back((t, n));
        used = used.add(n);
        out.push(t);
    }
    out
}

/// A small deterministic generator for jitter, seeded by the caller (core observes no
/// randomness; splitmix64 is enough for spreading retries and needs no crate).
#[derive(Debug, Clone)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new(seed: u64) -> Self {
        Jitter(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A delay in `[0, bound]`.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 { 0 } else { self.next() % (bound + 1) }
    }
}

/// The delay before retry number `attempt` (1 for the first retry): the service's
/// `Retry-After` exactly the first time, and from then on the larger of it and an
/// exponential backoff with full jitter.
pub(crate) fn retry_delay(
    limits: &Limits,
    jitter: &mut Jitter,
    attempt: u32,
    retry_after: Option<u64>,
) -> u64 {
    let exp = limits
        .backoff_base_ms
        .saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
        .min(limits.backoff_cap_ms);
    match retry_after {
        Some(ra) if attempt <= 1 => ra,
        Some(ra) => ra.max(jitter.below(exp)),
        None => jitter.below(exp).max(limits.backoff_base_ms / 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message of `n` recipients, all external.
    fn c(n: u32) -> Cost {
        Cost { recipients: n, external: n }
    }

    fn limits(per: u32, window: u64) -> Limits {
        Limits { messages_per_window: per, message_window_ms: window, ..Limits::default() }
    }

    /// Simulates sends with a fixed latency; returns the dispatch times.
    fn simulate(l: Limits, n: usize, latency: u64) -> Vec<Millis> {
        let mut p = Pacer::new(l);
        let mut now = 0;
        let mut out = Vec::new();
        while out.len() < n {
            match p.check(now, c(1)) {
                Gate::Go => {
                    let id = p.dispatch(now, c(1));
                    out.push(now);
                    now += latency;
                    p.finish(id, now, true);
                }
                Gate::Wait(t) => now = t.max(now + 1),
                other => panic!("{other:?}"),
            }
        }
        out
    }

    #[test]
    fn sends_are_spaced_at_the_rate_and_no_window_ever_holds_more_than_the_limit() {
        for latency in [0, 5, 700] {
            let times = simulate(limits(30, 60_000), 300, latency);
            // The service's acceptance time lies between dispatch and answer; check the
            // worst case of both ends: any window (t - W, t] of acceptances.
            for (i, &t) in times.iter().enumerate() {
                if i >= 30 {
                    assert!(
                        t >= times[i - 30] + latency + 60_000,
                        "window broken at {i} (latency {latency})"
                    );
                }
            }
            let last = *times.last().unwrap();
            // 300 messages at 30/min: the last one leaves at 598 s at the full rate.
            assert!(last >= 598_000 && last <= 598_000 + 10 * latency + 1000, "{last} (latency {latency})");
        }
    }

    #[test]
    fn a_throttled_send_teaches_the_real_limit_without_collapsing() {
        let mut p = Pacer::new(limits(40, 1000));
        for t in 0..20 {
            p.remember(t * 25, c(1));
        }
        p.slow_down(500);
        assert_eq!(p.limit(), 20, "the service took 20 in its window");
        assert_eq!(p.interval(), 50);
        // A storm while far below the limit halves it at most.
        let mut q = Pacer::new(limits(40, 1000));
        q.remember(0, c(1));
        q.slow_down(10);
        assert_eq!(q.limit(), 20);
    }

    #[test]
    fn the_rolling_budget_stops_and_says_when_to_resume() {
        let l = Limits { recipients_per_window: 10, recipient_window_ms: 1000, ..limits(1000, 1000) };
        let mut p = Pacer::new(l);
        p.remember(100, c(4));
        p.remember(200, c(4));
        assert_eq!(p.check(300, c(2)), Gate::Go);
        assert_eq!(p.check(300, c(3)), Gate::Budget { resume_at: 1100 });
        assert_eq!(p.check(1100, c(3)), Gate::Go);
    }

    #[test]
    fn the_tenants_external_budget_binds_external_recipients_only() {
        let l = Limits {
            recipients_per_window: 100,
            external_per_window: 5,
            recipient_window_ms: 1000,
            ..limits(1000, 1000)
        };
        let mut p = Pacer::new(l);
        p.remember(100, Cost { recipients: 10, external: 4 });
        let internal = Cost { recipients: 20, external: 0 };
        assert_eq!(p.check(200, internal), Gate::Go, "colleagues are not external");
        assert_eq!(p.check(200, Cost { recipients: 2, external: 2 }), Gate::Budget { resume_at: 1100 });
        assert_eq!(p.check(200, Cost { recipients: 1, external: 1 }), Gate::Go);
        let times = release_times(&l, 0, &[c(3), internal, c(3), c(1)]);
        assert_eq!(times, vec![0, 1, 1000, 1001], "the second external batch waits a window");
    }

    #[test]
    fn release_times_keep_rate_and_budget_over_days() {
        let l = Limits {
            messages_per_window: 2,
            message_window_ms: 10,
            recipients_per_window: 5,
            recipient_window_ms: 100,
            ..Limits::default()
        };
        let times = release_times(&l, 1000, &[c(2), c(2), c(2), c(1), c(1)]);
        assert_eq!(times, vec![1000, 1005, 1100, 1105, 1110]);
    }

    #[test]
    fn retry_delays_honour_retry_after_then_back_off() {
        let l = Limits::default();
        let mut j = Jitter::new(7);
        assert_eq!(retry_delay(&l, &mut j, 1, Some(2_000)), 2_000);
        for attempt in 2..12 {
            let d = retry_delay(&l, &mut j, attempt, Some(2_000));
            assert!((2_000..=180_000).contains(&d), "{d}");
        }
        for attempt in 1..12 {
            let d = retry_delay(&l, &mut j, attempt, None);
            assert!((500..=180_000).contains(&d), "{d}");
        }
    }
}
