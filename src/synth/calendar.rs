//! Just enough calendar for the generator: seconds since the Unix epoch to ISO 8601.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub fn iso_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn iso_timestamp(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let s = seconds.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}",
        iso_date(days),
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(iso_date(days_from_civil(2026, 2, 2)), "2026-02-02");
        assert_eq!(iso_date(days_from_civil(2024, 2, 29) + 1), "2024-03-01");
        assert_eq!(
            iso_timestamp(days_from_civil(2026, 2, 2) * 86_400 + 8 * 3600 + 15 * 60 + 7),
            "2026-02-02T08:15:07"
        );
        for d in -1000..1000 {
            let (y, m, day) = civil_from_days(d * 37);
            assert_eq!(days_from_civil(y, m, day), d * 37);
        }
    }
}
