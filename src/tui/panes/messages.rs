//! The Messages pane: bus traffic, newest at the bottom. While the selection is on the last row the
//! pane follows new messages like `tail -f`; moving up stops that, End resumes it.
//!
//! The filter (`/`) is a list of words, all of which must hold:
//! - `agent:NAME` — messages from or to that agent, and broadcasts (which it receives too);
//! - `type:KIND` — messages of that type (`task_request`, `task_result`, `cancel`, `status`,
//!   `heartbeat`);
//! - `dead` — dead letters only (messages that could not be delivered, marked `✗ dead`);
//! - anything else — a case-insensitive substring of the row as shown.
//!
//! Several `agent:` words (or several `type:` words) mean any of them: `type:cancel type:status`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::list::{ListNav, count_note, mark};
use super::text::{clock, truncate};
use super::{Band, Ctx, Pane, Place, Reply, Selection, pane_block};
use crate::tui::keymap::Action;
use crate::core::bus::StatusNote;
use crate::core::{AgentId, Coordinator, Endpoint, Message, MsgKind, Payload};
use crate::tui::theme::{Role, Theme};
use crate::tui::view::MsgRow;

/// A parsed filter.
#[derive(Debug, Default, Clone, PartialEq)]
struct Filter {
    /// As typed, for the title.
    text: String,
    agents: Vec<String>,
    kinds: Vec<MsgKind>,
    /// `type:` words naming no message type: nothing matches, and the pane says why.
    bad_kinds: Vec<String>,
    /// Lower-cased substrings.
    words: Vec<String>,
    /// Only dead letters.
    dead: bool,
}

impl Filter {
    fn parse(text: &str) -> Filter {
        let mut f = Filter { text: text.trim().to_string(), ..Filter::default() };
        for word in text.split_whitespace() {
            if let Some(name) = word.strip_prefix("agent:") {
                f.agents.push(name.to_string());
            } else if let Some(kind) = word.strip_prefix("type:") {
                match MsgKind::from_name(&kind.to_lowercase()) {
                    Some(k) => f.kinds.push(k),
                    None => f.bad_kinds.push(kind.to_string()),
                }
            } else if word.eq_ignore_ascii_case("dead") {
                f.dead = true;
            } else {
                f.words.push(word.to_ascii_lowercase());
            }
        }
        f
    }
}

/// Who a message is from or to, as the list shows it.
pub(super) fn endpoint(coord: &Coordinator, ep: Endpoint) -> &str {
    match ep {
        Endpoint::Coordinator => "coord",
        Endpoint::Agent(a) => coord.agent_name(a),
        Endpoint::Broadcast => "*",
    }
}

/// What a message carries, in a few words.
pub(super) fn payload_summary(coord: &Coordinator, payload: &Payload) -> String {
    let mut out = String::new();
    write_payload(&mut out, coord, payload);
    out
}

/// [`payload_summary`] into a buffer (the filter runs it over thousands of rows per frame).
fn write_payload(out: &mut String, coord: &Coordinator, payload: &Payload) {
    let _ = match *payload {
        Payload::Task { task, attempt, .. } | Payload::Cancel { task, attempt } => {
            write!(out, "{} attempt {attempt}", coord.task_name(task))
        }
        Payload::Result { task, attempt, error } => {
            write!(out, "{} attempt {attempt}: {}", coord.task_name(task), error.map_or("ok", |e| e.text()))
        }
        Payload::Status(note) => write!(out, "{}", status_text(coord, note)),
        Payload::Heartbeat { running } => write!(out, "running {running}"),
        Payload::Delegate { task, level } => write!(out, "{} to level {level}", coord.task_name(task)),
        Payload::Report { task } => write!(out, "{} done", coord.task_name(task)),
        Payload::Cfp { auction, task, closes_ms } => {
            write!(out, "{} auction #{auction} until {}", coord.task_name(task), clock(closes_ms))
        }
        Payload::Bid { auction, eta_ms, price, confidence } => {
            write!(out, "#{auction} price {price:.2} eta {eta_ms}ms conf {confidence:.2}")
        }
        Payload::Decline { auction, reason } => write!(out, "#{auction} declined: {reason}"),
        Payload::Award { auction, task } => write!(out, "{} won auction #{auction}", coord.task_name(task)),
        Payload::Ballot { task, .. } => write!(out, "{}?", coord.task_name(task)),
        Payload::Vote { task, choice, .. } => write!(out, "{}: {}", coord.task_name(task), choice.name()),
        Payload::Broadcast { text } => write!(out, "“{text}”"),
        Payload::HelpRequest { task, attempt } => {
            write!(out, "question on {} attempt {attempt}", coord.task_name(task))
        }
        Payload::HelpResponse { task, answered, .. } => {
            write!(out, "{} for {}", if answered { "answer" } else { "no answer" }, coord.task_name(task))
        }
    };
}

pub(super) fn status_text(coord: &Coordinator, note: StatusNote) -> String {
    match note {
        StatusNote::RunStarted => "run started".into(),
        StatusNote::AgentDown(a) => format!("agent down: {}", coord.agent_name(a)),
        StatusNote::AgentUp(a) => format!("agent up: {}", coord.agent_name(a)),
        StatusNote::RunFinished => "run finished".into(),
    }
}

/// A message type's colour; failed results are red whatever their type's colour.
pub(super) fn kind_style(msg: &Message, theme: &Theme) -> Style {
    match (msg.kind, msg.payload) {
        (_, Payload::Result { error: Some(_), .. }) => theme.fg(Role::Error),
        (MsgKind::TaskRequest, _) => theme.fg(Role::Active),
        (MsgKind::TaskResult, _) => theme.fg(Role::Ok),
        (MsgKind::Cancel, _) => theme.fg(Role::Warning),
        (MsgKind::Status, _) => theme.fg(Role::Operator),
        (MsgKind::Heartbeat, _) => theme.dim(),
        (MsgKind::Delegate | MsgKind::Report, _) => theme.fg(Role::Team),
        (MsgKind::Cfp | MsgKind::Award, _) => theme.fg(Role::AuctionsVotes),
        (MsgKind::HelpRequest | MsgKind::HelpResponse, _) => theme.fg(Role::HelpExchange),
        (MsgKind::Broadcast, _) => theme.fg(Role::Broadcast),
        (MsgKind::Bid, _) => theme.fg(Role::Bid),
        (MsgKind::Decline, _) => theme.fg(Role::Decline),
        (MsgKind::Ballot | MsgKind::Vote, _) => theme.fg(Role::AuctionsVotes),
    }
}

/// The mark of a dead letter, before its payload.
fn dead_mark(r: &MsgRow) -> String {
    r.dead.map(|why| format!("✗ dead ({}) ", why.name())).unwrap_or_default()
}

/// Rows known to contain every filter word, so that each frame only examines new messages (a
/// row's text never changes once listed, and formatting 5,000 rows a frame is not free).
#[derive(Debug, Default)]
struct WordHits {
    /// Ids of matching messages, ascending.
    ids: VecDeque<u64>,
    /// The newest message id examined.
    upto: Option<u64>,
}

impl WordHits {
    /// Brings the hits up to date with `messages` and returns them.
    fn update(&mut self, ctx: &Ctx, words: &[String]) -> &VecDeque<u64> {
        let messages = &ctx.view.messages;
        let (Some(front), Some(back)) = (messages.front(), messages.back()) else {
            *self = WordHits::default();
            return &self.ids;
        };
        if self.upto.is_some_and(|u| u > back.msg.id) {
            // Ids went backwards: a new run. Start over.
            *self = WordHits::default();
        }
        let start = self.upto.map_or(0, |u| messages.partition_point(|r| r.msg.id <= u));
        let mut text = String::new();
        for r in messages.range(start..) {
            text.clear();
            write_row_text(&mut text, ctx.coord, r);
            text.make_ascii_lowercase();
            if words.iter().all(|w| text.contains(w.as_str())) {
                self.ids.push_back(r.msg.id);
            }
        }
        self.upto = Some(back.msg.id);
        while self.ids.front().is_some_and(|&id| id < front.msg.id) {
            self.ids.pop_front();
        }
        &self.ids
    }
}

/// The bus traffic list.
#[derive(Debug)]
pub struct MessagesPane {
    filter: Filter,
    /// Cache for the filter's words (reset with the filter); a cell because `selection` reads rows
    /// through `&self`.
    hits: RefCell<WordHits>,
    /// The selected message's bus id (ids only grow, so positions can be found by bisection).
    selected: Option<u64>,
    /// Whether the newest message is selected and kept in view as messages arrive.
    follow: bool,
    nav: ListNav,
}

impl Default for MessagesPane {
    fn default() -> Self {
        MessagesPane {
            filter: Filter::default(),
            hits: RefCell::default(),
            selected: None,
            follow: true,
            nav: ListNav::default(),
        }
    }
}

impl Pane for MessagesPane {
    fn id(&self) -> &'static str {
        "messages"
    }

    fn title(&self) -> &'static str {
        "Messages"
    }

    fn help(&self) -> &'static str {
        "the bus traffic, newest at the bottom"
    }

    fn place(&self) -> Place {
        Place { band: Band::Bottom, column: 0, width: 42, height: 1 }
    }

    fn set_filter(&mut self, filter: &str) {
        self.filter = Filter::parse(filter);
        self.hits = RefCell::default();
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let (rows, problem) = match self.rows(ctx) {
            Ok(rows) => (rows, None),
            Err(why) => (Vec::new(), Some(why)),
        };
        let total = ctx.view.messages.len();
        let mut note = count_note(rows.len(), total, "messages", &self.filter.text);
        if ctx.view.lost_messages > 0 {
            let _ = write!(note, " · {} lost to faults", ctx.view.lost_messages);
        }
        if ctx.view.dropped_messages > 0 {
            let _ = write!(note, " · {} dropped", ctx.view.dropped_messages);
        }
        let dead = ctx.coord.state().context().dead_count;
        if dead > 0 {
            let _ = write!(note, " · {dead} dead");
        }
        let last = ctx.keys.label(Action::Last);
        if !self.follow && !last.is_empty() {
            let _ = write!(note, " · {last}: follow");
        }
        let block = pane_block("Messages", Some(note), ctx);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if inner.height < 2 || inner.width == 0 {
            return;
        }
        let body = Rect { y: inner.y + 1, height: inner.height - 1, ..inner };
        self.nav.pos = self.locate(&rows, ctx).unwrap_or(0);
        let visible = self.nav.fit(rows.len(), body);
        if let Some(&i) = rows.get(self.nav.pos) {
            self.selected = Some(ctx.view.messages[i].msg.id);
        }
        if rows.is_empty() {
            let text = problem.unwrap_or_else(|| {
                if total == 0 {
                    "no messages yet".into()
                } else {
                    format!("no message matches “{}”", self.filter.text)
                }
            });
            f.render_widget(Paragraph::new(Span::styled(text, theme.dim())), inner);
            return;
        }

        // Names get what the payload can spare, within reason; widths do not depend on the rows shown.
        let names = ctx.coord.scenario().agents.iter().map(|a| a.id.chars().count()).max().unwrap_or(0);
        let id_w = format!("#{}", ctx.view.messages.back().map_or(0, |r| r.msg.id)).len();
        // `m:ss.mmm` grows to `mm:ss.mmm` after ten minutes (and back to `h:mm:ss` after an hour).
        let time_w = if ctx.view.messages.back().is_some_and(|r| r.t_ms >= 600_000) { 9 } else { 8 };
        let fixed = 1 + time_w + id_w + 12 + id_w + 6;
        // One end of every message is the coordinator (`coord`), so a route is one name plus 8.
        let spare = (inner.width as usize).saturating_sub(fixed + 8 + 10);
        let name_w = names.clamp(5, 16).min(spare.max(6));
        let route_w = name_w + 8;
        let payload_w = (inner.width as usize).saturating_sub(fixed + route_w);

        let header = ["", "time", "id", "from → to", "type", "re", "payload"].map(Cell::from);
        let table_rows = rows[visible].iter().map(|&i| {
            let r = &ctx.view.messages[i];
            let [time, id, kind, corr, payload] = row_cells(ctx.coord, r);
            let route = format!(
                "{} → {}",
                truncate(endpoint(ctx.coord, r.msg.from), name_w),
                truncate(endpoint(ctx.coord, r.msg.to), name_w)
            );
            let selected = Some(r.msg.id) == self.selected;
            let row = Row::new(vec![
                mark(selected),
                Cell::from(time),
                Cell::from(Line::from(id).right_aligned()),
                Cell::from(route),
                Cell::from(Span::styled(kind, kind_style(&r.msg, theme))),
                Cell::from(Span::styled(corr, theme.dim())),
                Cell::from(Span::styled(
                    truncate(&payload, payload_w),
                    if r.dead.is_some() { theme.fg(Role::Error) } else { Style::new() },
                )),
            ]);
            if selected { row.style(theme.selected()) } else { row }
        });
        let widths = [1, time_w, id_w, route_w, 12, id_w, payload_w].map(|w| Constraint::Length(w as u16));
        let table = Table::new(table_rows, widths).header(Row::new(header).style(theme.title())).column_spacing(1);
        f.render_widget(table, inner);
    }

    fn handle(&mut self, action: Action, ctx: &Ctx) -> Reply {
        let rows = self.rows(ctx).unwrap_or_default();
        self.nav.pos = self.locate(&rows, ctx).unwrap_or(0);
        if !self.nav.step(action, rows.len()) {
            return Reply::Ignored;
        }
        self.select(&rows, self.nav.pos, ctx);
        Reply::Done
    }

    /// Selects the message under a mouse click; false if the click is not on a row.
    fn click(&mut self, column: u16, row: u16, ctx: &Ctx) -> bool {
        let rows = self.rows(ctx).unwrap_or_default();
        let Some(pos) = self.nav.row_at(column, row, rows.len()) else { return false };
        self.select(&rows, pos, ctx);
        true
    }

    fn selection(&self, ctx: &Ctx) -> Option<Selection> {
        let rows = self.rows(ctx).ok()?;
        let pos = self.locate(&rows, ctx)?;
        Some(Selection::Message(ctx.view.messages[rows[pos]].msg.id))
    }
}

impl MessagesPane {
    pub fn new() -> MessagesPane {
        MessagesPane::default()
    }

    /// The filter as typed.
    pub fn filter(&self) -> &str {
        &self.filter.text
    }

    /// Whether the pane is following the newest message.
    pub fn following(&self) -> bool {
        self.follow
    }


    /// Positions in `view.messages` of the rows passing the filter, oldest first; or why none can.
    fn rows(&self, ctx: &Ctx) -> Result<Vec<usize>, String> {
        let f = &self.filter;
        let messages = &ctx.view.messages;
        if f.agents.is_empty() && f.kinds.is_empty() && f.bad_kinds.is_empty() && f.words.is_empty() && !f.dead {
            return Ok((0..messages.len()).collect());
        }
        if let Some(bad) = f.bad_kinds.first() {
            let known: Vec<&str> = MsgKind::ALL.iter().map(|k| k.name()).collect();
            return Err(format!("no message type “{bad}” (types: {})", known.join(", ")));
        }
        let specs = &ctx.coord.scenario().agents;
        let mut agents = Vec::with_capacity(f.agents.len());
        for name in &f.agents {
            match specs.iter().position(|a| a.id.eq_ignore_ascii_case(name)) {
                Some(i) => agents.push(Endpoint::Agent(AgentId(i as u32))),
                None => return Err(format!("no agent named “{name}”")),
            }
        }
        let mut hits = self.hits.borrow_mut();
        let hits = if f.words.is_empty() { None } else { Some(hits.update(ctx, &f.words)) };
        // Both lists ascend by id, so the word hits are walked once alongside the messages.
        let mut next_hit = 0;
        let mut keep = |r: &MsgRow| {
            let m = &r.msg;
            if let Some(hits) = hits {
                while next_hit < hits.len() && hits[next_hit] < m.id {
                    next_hit += 1;
                }
                if hits.get(next_hit) != Some(&m.id) {
                    return false;
                }
            }
            let kind_ok = f.kinds.is_empty() || f.kinds.contains(&m.kind);
            let agent_ok =
                agents.is_empty() || m.to == Endpoint::Broadcast || agents.iter().any(|&a| m.from == a || m.to == a);
            kind_ok && agent_ok && (!f.dead || r.dead.is_some())
        };
        Ok((0..messages.len()).filter(|&i| keep(&messages[i])).collect())
    }

    /// Where the selection is among `rows`: the last row when following, else the selected message
    /// or, if it is no longer listed, the next newer one.
    fn locate(&self, rows: &[usize], ctx: &Ctx) -> Option<usize> {
        let last = rows.len().checked_sub(1)?;
        if self.follow {
            return Some(last);
        }
        let Some(id) = self.selected else { return Some(self.nav.pos.min(last)) };
        let found = rows.binary_search_by_key(&id, |&i| ctx.view.messages[i].msg.id);
        Some(found.unwrap_or_else(|newer| newer).min(last))
    }

    /// Makes position `pos` the selection; reaching the last row turns following back on.
    fn select(&mut self, rows: &[usize], pos: usize, ctx: &Ctx) {
        self.nav.pos = pos;
        self.selected = rows.get(pos).map(|&i| ctx.view.messages[i].msg.id);
        self.follow = pos + 1 >= rows.len();
    }




}

/// A row's cells as drawn: time, id, type, correlation, payload (the route is drawn with its
/// names truncated to the column).
fn row_cells(coord: &Coordinator, r: &MsgRow) -> [String; 5] {
    let m = &r.msg;
    [
        clock(r.t_ms),
        format!("#{}", m.id),
        m.kind.name().to_string(),
        m.correlation.map(|c| format!("#{c}")).unwrap_or_default(),
        format!("{}{}", dead_mark(r), payload_summary(coord, &m.payload)),
    ]
}

/// A row as the substring filter sees it: every cell, the route untruncated, in one buffer.
fn write_row_text(out: &mut String, coord: &Coordinator, r: &MsgRow) {
    let m = &r.msg;
    let _ = write!(
        out,
        "{} #{} {} → {} {} ",
        clock(r.t_ms),
        m.id,
        endpoint(coord, m.from),
        endpoint(coord, m.to),
        m.kind.name()
    );
    if let Some(c) = m.correlation {
        let _ = write!(out, "#{c} ");
    }
    out.push_str(&dead_mark(r));
    write_payload(out, coord, &m.payload);
}

#[cfg(test)]
mod tests;
