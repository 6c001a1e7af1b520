//! The times clients send (epoch seconds or milliseconds, ISO 8601), read
//! into epoch milliseconds — what every stored and sent time is.

use thiserror::Error;

/// Why a time a client sent was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TimeError {
    /// Not a finite, positive number.
    #[error("time must be a positive epoch, got {0}")]
    NotAnEpoch(f64),
    /// Before 2000 or after 2100: a clock that is wrong, or a unit mix-up.
    #[error("time {0} is not between 2000 and 2100")]
    OutOfRange(f64),
    /// Neither a number nor a date in a form we read.
    #[error("cannot read the time {0:?}: use epoch milliseconds or ISO 8601")]
    Unreadable(String),
}

/// Epoch seconds or milliseconds (as Traccar decides: below 2³¹ it is
/// seconds) to milliseconds, refusing times before 2000 or absurdly late.
pub fn epoch_ms(v: f64) -> Result<i64, TimeError> {
    if !v.is_finite() || v < 0.0 {
        return Err(TimeError::NotAnEpoch(v));
    }
    let ms = if v < f64::from(i32::MAX) {
        v * 1000.0
    } else {
        v
    };
    // 2000-01-01 to 2100-01-01.
    if !(946_684_800_000.0..4_102_444_800_000.0).contains(&ms) {
        return Err(TimeError::OutOfRange(v));
    }
    Ok(ms as i64)
}

/// ISO 8601 / RFC 3339, or "yyyy-MM-dd HH:mm:ss" taken as UTC, to epoch ms.
pub fn parse_time(s: &str) -> Result<i64, TimeError> {
    if let Ok(v) = s.parse::<f64>() {
        return epoch_ms(v);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return epoch_ms(t.timestamp_millis() as f64);
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return epoch_ms(t.and_utc().timestamp_millis() as f64);
        }
    }
    Err(TimeError::Unreadable(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_form() {
        assert_eq!(epoch_ms(1_767_225_600.0).unwrap(), 1_767_225_600_000);
        assert_eq!(epoch_ms(1_767_225_600_000.0).unwrap(), 1_767_225_600_000);
        assert_eq!(
            parse_time("2026-01-01T00:00:00Z").unwrap(),
            1_767_225_600_000
        );
        assert_eq!(
            parse_time("2026-01-01T08:00:00+08:00").unwrap(),
            1_767_225_600_000
        );
        assert_eq!(
            parse_time("2026-01-01 00:00:00").unwrap(),
            1_767_225_600_000
        );
        assert!(parse_time("yesterday").is_err());
        assert!(epoch_ms(f64::NAN).is_err());
        assert!(epoch_ms(5.0).is_err());
    }
}
