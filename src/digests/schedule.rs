//! When digests go out: at each recipient's hour — and, for weekly digests, weekday — in
//! Europe/Paris (`chrono-tz`), daylight saving included.
//!
//! A recipient's *slot* is the latest scheduled instant at or before now; its *period* is the local
//! date of that instant, the key under which at most one digest is sent. On the day clocks go forward
//! an hour that does not exist (02:00) falls on the first instant after the gap (03:00); on the day
//! they go back, on the first of the two 02:00s — and since the period is the date, the second one
//! never sends again.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Paris;

/// A slot missed for longer than this (workers down) is not sent late: the recipient's next digest
/// covers its content, since a digest covers everything since the previous one.
pub const CATCH_UP_HOURS: i64 = 24;

/// How often a recipient gets a digest.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Daily,
    Weekly,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "daily" => Some(Frequency::Daily),
            "weekly" => Some(Frequency::Weekly),
            _ => None,
        }
    }

    /// What a first digest covers (there is no previous one).
    pub fn length(self) -> Duration {
        match self {
            Frequency::Daily => Duration::days(1),
            Frequency::Weekly => Duration::days(7),
        }
    }
}

/// A recipient's slot: the period it is the digest of, and the instant it falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub period: NaiveDate,
    pub at: DateTime<Utc>,
}

/// `hour`:00 of local `date` in Paris, as an instant.
pub fn instant(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    let local = date.and_hms_opt(hour.min(23), 0, 0).expect("valid hour");
    match Paris.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        // In the gap of the spring change: the first instant after it. The gap is one hour and
        // starts on the hour, so the next hour exists.
        LocalResult::None => Paris
            .from_local_datetime(&(local + Duration::hours(1)))
            .earliest()
            .expect("the hour after a gap exists")
            .with_timezone(&Utc),
    }
}

/// The latest slot at or before `now` of a recipient with this frequency, ISO weekday `day`
/// (1 = Monday; ignored for daily digests) and `hour`.
pub fn latest_slot(frequency: Frequency, day: u32, hour: u32, now: DateTime<Utc>) -> Slot {
    let today = now.with_timezone(&Paris).date_naive();
    for back in 0..=8 {
        let date = today - Duration::days(back);
        if frequency == Frequency::Weekly && date.weekday().number_from_monday() != day {
            continue;
        }
        let at = instant(date, hour);
        if at <= now {
            return Slot { period: date, at };
        }
    }
    unreachable!("a weekday comes back within eight days")
}

/// One (frequency, day, hour) schedule and its latest slot.
#[derive(Debug, Clone, Copy)]
pub struct Due {
    pub frequency: Frequency,
    /// ISO weekday for weekly digests; 0 for daily ones.
    pub day: i16,
    pub hour: i16,
    pub slot: Slot,
}

/// Every schedule (24 daily hours, 7 × 24 weekly ones) whose latest slot is within the catch-up
/// window: the recipients on these schedules with no digest for that period yet are due.
pub fn due(now: DateTime<Utc>) -> Vec<Due> {
    let window = Duration::hours(CATCH_UP_HOURS);
    let mut out = Vec::with_capacity(24 * 8);
    for hour in 0..24u32 {
        out.push(Due {
            frequency: Frequency::Daily,
            day: 0,
            hour: hour as i16,
            slot: latest_slot(Frequency::Daily, 0, hour, now),
        });
        for day in 1..=7u32 {
            out.push(Due {
                frequency: Frequency::Weekly,
                day: day as i16,
                hour: hour as i16,
                slot: latest_slot(Frequency::Weekly, day, hour, now),
            });
        }
    }
    out.retain(|d| now - d.slot.at < window);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn winter_and_summer_hours() {
        // Winter: Paris is UTC+1; summer: UTC+2.
        let s = latest_slot(Frequency::Daily, 0, 8, utc("2026-12-05T09:00:00Z"));
        assert_eq!(s.at, utc("2026-12-05T07:00:00Z"));
        assert_eq!(s.period.to_string(), "2026-12-05");
        let s = latest_slot(Frequency::Daily, 0, 8, utc("2026-07-01T05:59:00Z"));
        assert_eq!(s.at, utc("2026-06-30T06:00:00Z"));
        // 2026-12-05 is a Saturday; the latest Monday 08:00 was 2026-11-30.
        let s = latest_slot(Frequency::Weekly, 1, 8, utc("2026-12-05T09:00:00Z"));
        assert_eq!(s.period.to_string(), "2026-11-30");
        assert_eq!(s.at, utc("2026-11-30T07:00:00Z"));
    }

    #[test]
    fn spring_forward_hour_falls_after_the_gap() {
        // 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC).
        let d = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(instant(d, 2), utc("2026-03-29T01:00:00Z"));
        assert_eq!(instant(d, 3), utc("2026-03-29T01:00:00Z"));
        assert_eq!(instant(d, 8), utc("2026-03-29T06:00:00Z"));
        assert_eq!(instant(d, 1), utc("2026-03-29T00:00:00Z"));
    }

    #[test]
    fn fall_back_hour_is_the_first_of_the_two() {
        // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:00 happens twice.
        let d = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        assert_eq!(instant(d, 2), utc("2026-10-25T00:00:00Z"));
        assert_eq!(instant(d, 3), utc("2026-10-25T02:00:00Z"));
    }

    #[test]
    fn due_keeps_slots_of_the_last_day() {
        let now = utc("2026-12-05T09:30:00Z");
        let due = due(now);
        // Every daily hour has had a slot within a day; weekly ones only on Friday after 10:30
        // (local) and Saturday up to 10:30.
        assert_eq!(
            due.iter()
                .filter(|d| d.frequency == Frequency::Daily)
                .count(),
            24
        );
        assert!(due.iter().all(|d| now - d.slot.at < Duration::hours(24)));
        assert!(
            due.iter()
                .filter(|d| d.frequency == Frequency::Weekly)
                .all(|d| d.day == 5 || d.day == 6)
        );
    }
}
