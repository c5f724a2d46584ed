//! The console's colours, as data. Every colour on screen is a [`Role`] of the [`Theme`], so the
//! panes agree (a running task is the same cyan everywhere) and a user can change any role in the
//! `[theme]` table of the config file (see `config.rs`). The marks that go with states (`▶`, `✓`,
//! `✗` …) are here too: they keep the screen readable without colour.
//!
//! `NO_COLOR` ([`Theme::without_colour`]) drops every colour and keeps bold and reverse video: the
//! selection and the focused pane's title are then shown in reverse. The colours are dropped here
//! rather than left to crossterm because crossterm writes a colour change under `NO_COLOR` as
//! `ESC[m`, which also ends bold and reverse: the selection would vanish from the screen.

use ratatui::style::{Color, Modifier, Style};

use crate::core::state::{AgentRt, TaskRt, TaskState};

/// What a colour means on screen. The name is the key of the `[theme]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Ok,
    Error,
    Warning,
    Urgent,
    Active,
    Operator,
    Muted,
    Highlight,
    Critical,
    Border,
    FocusedBorder,
    Selection,
    Key,
    Team,
    AuctionsVotes,
    Bid,
    Decline,
    Broadcast,
    HelpExchange,
    LogInfo,
    GaugeBackground,
}

impl Role {
    /// Every role, in the order `config --print` lists them (`ALL[i] as usize == i`).
    pub const ALL: [Role; 21] = [
        Role::Ok,
        Role::Error,
        Role::Warning,
        Role::Urgent,
        Role::Active,
        Role::Operator,
        Role::Muted,
        Role::Highlight,
        Role::Critical,
        Role::Border,
        Role::FocusedBorder,
        Role::Selection,
        Role::Key,
        Role::Team,
        Role::AuctionsVotes,
        Role::Bid,
        Role::Decline,
        Role::Broadcast,
        Role::HelpExchange,
        Role::LogInfo,
        Role::GaugeBackground,
    ];

    /// The role's name in the `[theme]` table, its default colour and what it colours.
    fn spec(self) -> (&'static str, Color, &'static str) {
        match self {
            Role::Ok => ("ok", Color::Green, "success: done tasks, idle agents, awards, approvals, what was done"),
            Role::Error => {
                ("error", Color::Red, "failure: failed tasks, down agents, errors and refusals, dead letters")
            }
            Role::Warning => (
                "warning",
                Color::Yellow,
                "waiting or at risk: retries, the paused clock, draining agents, open auctions and ballots, an SLA",
            ),
            Role::Urgent => (
                "urgent",
                Color::LightRed,
                "needs the operator: escalated tasks, an open breaker, an SLA about to expire",
            ),
            Role::Active => ("active", Color::Cyan, "work under way: running tasks, busy agents, recent load"),
            Role::Operator => (
                "operator",
                Color::Magenta,
                "the operator's hand: held tasks, read-only, replay, operator awards, injected faults",
            ),
            Role::Muted => ("muted", Color::DarkGray, "secondary text: hints, waiting and skipped tasks, heartbeats"),
            Role::Highlight => ("highlight", Color::White, "ready tasks, the edges of the selected task"),
            Role::Critical => ("critical", Color::LightYellow, "the critical path"),
            Role::Border => ("border", Color::DarkGray, "pane borders"),
            Role::FocusedBorder => ("focused_border", Color::Cyan, "the focused pane's border and popups' borders"),
            Role::Selection => ("selection", Color::DarkGray, "the background of the selected row"),
            Role::Key => ("key", Color::Cyan, "keys and commands in the help"),
            Role::Team => ("team", Color::Blue, "delegation: delegate and report messages, delegation chains"),
            Role::AuctionsVotes => {
                ("auctions_votes", Color::LightBlue, "auction and vote messages: cfp, award, ballot, vote")
            }
            Role::Bid => ("bid", Color::LightGreen, "bid messages"),
            Role::Decline => ("decline", Color::LightYellow, "decline messages (an agent that will not bid)"),
            Role::Broadcast => ("broadcast", Color::LightYellow, "broadcast messages"),
            Role::HelpExchange => ("help_exchange", Color::LightMagenta, "help request and response messages"),
            Role::LogInfo => ("log_info", Color::Gray, "info lines of the log"),
            Role::GaugeBackground => ("gauge_background", Color::Black, "the empty part of the progress gauge"),
        }
    }

    /// The role's key in the `[theme]` table.
    pub fn name(self) -> &'static str {
        self.spec().0
    }

    pub fn default_colour(self) -> Color {
        self.spec().1
    }

    /// What the role colours, for `config --print`.
    pub fn about(self) -> &'static str {
        self.spec().2
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// A colour per role; none at all under `NO_COLOR`.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    colours: [Option<Color>; Role::ALL.len()],
}

impl Default for Theme {
    fn default() -> Self {
        Theme { colours: Role::ALL.map(|r| Some(r.default_colour())) }
    }
}

impl Theme {
    /// The same theme without any colour (`NO_COLOR`).
    pub fn without_colour(self) -> Theme {
        Theme { colours: [None; Role::ALL.len()] }
    }

    /// Whether the theme colours anything (false under `NO_COLOR`).
    pub fn has_colour(&self) -> bool {
        self.colours.iter().any(Option::is_some)
    }

    pub fn set(&mut self, role: Role, colour: Color) {
        self.colours[role as usize] = Some(colour);
    }

    pub fn colour(&self, role: Role) -> Option<Color> {
        self.colours[role as usize]
    }

    /// Text in the role's colour.
    pub fn fg(&self, role: Role) -> Style {
        self.colour(role).map_or(Style::new(), |c| Style::new().fg(c))
    }

    /// Bold text in the role's colour.
    pub fn bold(&self, role: Role) -> Style {
        self.fg(role).add_modifier(Modifier::BOLD)
    }

    /// Secondary text.
    pub fn dim(&self) -> Style {
        self.fg(Role::Muted)
    }

    /// Headings and titles: bold, in the terminal's own colour.
    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// A pane's title; without colour the focused pane's is in reverse video, since its border
    /// no longer stands out.
    pub fn pane_title(&self, focused: bool) -> Style {
        if focused && !self.has_colour() { self.title().add_modifier(Modifier::REVERSED) } else { self.title() }
    }

    pub fn border(&self, focused: bool) -> Style {
        self.fg(if focused { Role::FocusedBorder } else { Role::Border })
    }

    /// The selected row (or task): on the selection colour, or in reverse video without colour.
    pub fn selected(&self) -> Style {
        match self.colour(Role::Selection) {
            Some(c) => Style::new().bg(c).add_modifier(Modifier::BOLD),
            None => Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        }
    }

    /// Tasks and edges on the critical path.
    pub fn critical(&self) -> Style {
        self.bold(Role::Critical)
    }

    /// The progress gauge: done in `ok`, to do in `gauge_background`.
    pub fn gauge(&self) -> Style {
        let style = self.fg(Role::Ok);
        self.colour(Role::GaugeBackground).map_or(style, |c| style.bg(c))
    }

    /// How a task looks: a one-character mark (readable without colour) and a style.
    pub fn task_look(&self, t: &TaskRt) -> (&'static str, Style) {
        if t.held && !t.state.is_terminal() {
            return ("‖", self.fg(Role::Operator));
        }
        match t.state {
            TaskState::Waiting => ("·", self.fg(Role::Muted)),
            TaskState::Ready => ("○", self.fg(Role::Highlight)),
            TaskState::Running => ("▶", self.bold(Role::Active)),
            TaskState::Retrying => ("↻", self.fg(Role::Warning)),
            TaskState::Escalated => ("!", self.bold(Role::Urgent)),
            TaskState::Completed => ("✓", self.fg(Role::Ok)),
            TaskState::Failed => ("✗", self.bold(Role::Error)),
            TaskState::Skipped => ("-", self.fg(Role::Muted).add_modifier(Modifier::CROSSED_OUT)),
            TaskState::Dormant => ("↺", self.fg(Role::Muted).add_modifier(Modifier::DIM)),
        }
    }

    /// An agent's state word and style: `lost`, `down`, `breaker`, `probing`, `draining`, `busy`
    /// or `idle`.
    pub fn agent_look(&self, a: &AgentRt) -> (&'static str, Style) {
        use crate::core::health::BreakerState;
        if !a.alive && a.lost {
            // Given up for silence: it comes back by itself if it speaks again.
            ("lost", self.bold(Role::Error))
        } else if !a.alive {
            ("down", self.bold(Role::Error))
        } else if let BreakerState::Open { .. } = a.health.breaker {
            ("breaker", self.bold(Role::Urgent))
        } else if a.health.breaker == BreakerState::HalfOpen {
            ("probing", self.bold(Role::Warning))
        } else if a.draining {
            ("draining", self.fg(Role::Warning))
        } else if !a.running.is_empty() {
            ("busy", self.fg(Role::Active))
        } else {
            ("idle", self.fg(Role::Ok))
        }
    }
}

/// Whether the environment asks for no colour: `NO_COLOR` set and not empty (<https://no-color.org>).
pub fn no_colour_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// The word for a task's state as the console shows it (held is shown as "paused").
pub fn task_state_word(t: &TaskRt) -> &'static str {
    if t.held && !t.state.is_terminal() { "paused" } else { t.state.name() }
}

/// A colour as a config file gives it: a name (`cyan`, `dark_gray`, `light-red`, `Grey` …),
/// `#rrggbb`, or an index of the 256-colour palette (`0` … `255`).
pub fn parse_colour(text: &str) -> Result<Color, String> {
    text.parse::<Color>()
        .map_err(|_| format!("`{text}` is not a colour (a name such as cyan or dark_gray, #rrggbb, or 0 to 255)"))
}

/// A colour as `config --print` writes it (and [`parse_colour`] reads it back).
pub fn colour_name(c: Color) -> String {
    match c {
        Color::Reset => "reset".into(),
        Color::Black => "black".into(),
        Color::Red => "red".into(),
        Color::Green => "green".into(),
        Color::Yellow => "yellow".into(),
        Color::Blue => "blue".into(),
        Color::Magenta => "magenta".into(),
        Color::Cyan => "cyan".into(),
        Color::Gray => "gray".into(),
        Color::DarkGray => "dark_gray".into(),
        Color::LightRed => "light_red".into(),
        Color::LightGreen => "light_green".into(),
        Color::LightYellow => "light_yellow".into(),
        Color::LightBlue => "light_blue".into(),
        Color::LightMagenta => "light_magenta".into(),
        Color::LightCyan => "light_cyan".into(),
        Color::White => "white".into(),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => i.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_listed_once_in_index_order_with_distinct_names() {
        for (i, role) in Role::ALL.into_iter().enumerate() {
            assert_eq!(role as usize, i, "{role:?}");
            assert_eq!(Role::from_name(role.name()), Some(role));
            assert!(role.name().chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{}", role.name());
        }
    }

    #[test]
    fn colours_read_back_as_written() {
        for c in [Color::DarkGray, Color::LightRed, Color::Rgb(1, 2, 255), Color::Indexed(42), Color::Reset] {
            assert_eq!(parse_colour(&colour_name(c)), Ok(c));
        }
        assert_eq!(parse_colour("Light-Blue"), Ok(Color::LightBlue));
        assert!(parse_colour("teal").unwrap_err().contains("`teal` is not a colour"));
    }

    #[test]
    fn without_colour_nothing_is_coloured_and_the_selection_is_reversed() {
        let plain = Theme::default().without_colour();
        assert!(!plain.has_colour());
        for role in Role::ALL {
            assert_eq!(plain.fg(role), Style::new());
        }
        assert!(plain.selected().add_modifier.contains(Modifier::REVERSED));
        assert_eq!(plain.selected().bg, None);
        assert!(plain.pane_title(true).add_modifier.contains(Modifier::REVERSED));
        assert_eq!(Theme::default().pane_title(true), Theme::default().title());
    }
}
