//! How the panes write times and cut text to fit: one spelling of a duration and of a clock
//! reading across the console, and one way of marking a cut (`…`).

/// Formats virtual milliseconds as `m:ss.mmm` (or `h:mm:ss` past an hour).
pub fn clock(ms: u64) -> String {
    let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}.{milli:03}") }
}

/// A short human duration: `850ms`, `1.2s`, `12.3s`, `2m05s`, `1h02m`.
pub fn duration(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        60_000..3_600_000 => format!("{}m{:02}s", ms / 60_000, ms / 1000 % 60),
        _ => format!("{}h{:02}m", ms / 3_600_000, ms / 60_000 % 60),
    }
}

/// Cuts `s` to `width` characters, marking the cut with `…`.
pub fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_formats() {
        assert_eq!(clock(0), "0:00.000");
        assert_eq!(clock(61_234), "1:01.234");
        assert_eq!(clock(3_723_000), "1:02:03");
    }

    #[test]
    fn durations_and_cuts() {
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(1_234), "1.2s");
        assert_eq!(duration(125_000), "2m05s");
        assert_eq!(duration(3_720_000), "1h02m");
        assert_eq!(truncate("capabilities", 5), "capa…");
        assert_eq!(truncate("ok", 5), "ok");
        assert_eq!(truncate("ok", 0), "");
    }
}
