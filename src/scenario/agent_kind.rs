//! The agent fields that say what runs an agent: `kind` and the fields of each kind.
//!
//! They are read in any order (a field may come before the `kind` it belongs to) and checked
//! against each other when the agent object ends: a field of another kind, or a missing one the
//! kind needs, is reported at the field (or at the agent).

use std::collections::BTreeMap;

use super::decode::{Decoder, NONE, pos32};
use super::lexer::LexResult as R;
use super::types::{AgentKind, Delivery, LlmSpec, NatsSpec, ProcessSpec};

/// The kind fields, in the order they follow the other agent fields.
pub(crate) const KIND_FIELDS: [&str; 11] = [
    "kind",
    "command",
    "env",
    "cwd",
    "base_url",
    "model",
    "api_key_env",
    "system",
    "timeout_ms",
    "ca_file",
    "delivery",
];

const KINDS: [&str; 4] = ["sim", "process", "llm", "nats"];
const PROCESS: u8 = 1 << 1;
const LLM: u8 = 1 << 2;
const NATS: u8 = 1 << 3;
/// Which kinds each of `KIND_FIELDS[1..]` belongs to (a bit per index into `KINDS`).
const OWNERS: [u8; 10] = [PROCESS | NATS, PROCESS | NATS, PROCESS | NATS, LLM, LLM, LLM, LLM, LLM, LLM, NATS];
/// Default of an LLM agent's `timeout_ms`.
pub const DEFAULT_LLM_TIMEOUT_MS: u64 = 60_000;

/// What an agent object said about its kind, as read.
#[derive(Debug)]
pub(crate) struct KindFields {
    kind: usize,
    command: Vec<String>,
    env: BTreeMap<String, String>,
    cwd: Option<String>,
    base_url: String,
    model: String,
    api_key_env: Option<String>,
    system: String,
    timeout_ms: u64,
    ca_file: Option<String>,
    delivery: Delivery,
    /// Offset of each field of `KIND_FIELDS` given, `NONE` otherwise.
    at: [u32; 11],
    kind_given: bool,
}

impl Default for KindFields {
    fn default() -> KindFields {
        KindFields {
            kind: 0,
            command: Vec::new(),
            env: BTreeMap::new(),
            cwd: None,
            base_url: String::new(),
            model: String::new(),
            api_key_env: None,
            system: String::new(),
            timeout_ms: DEFAULT_LLM_TIMEOUT_MS,
            ca_file: None,
            delivery: Delivery::default(),
            at: [NONE; 11],
            kind_given: false,
        }
    }
}

impl KindFields {
    /// Reads field `KIND_FIELDS[f]`; the lexer is on its value.
    pub(crate) fn read(&mut self, d: &mut Decoder, f: usize) -> R<()> {
        self.at[f] = pos32(d.lx.peek()?.1);
        match f {
            0 => {
                // An unusable kind is `NONE` here (though given): the other fields are not checked
                // against a kind the file did not mean.
                self.at[0] = NONE;
                if let Some((name, at)) = d.string()? {
                    match KINDS.iter().position(|k| *k == name) {
                        Some(k) => {
                            self.kind = k;
                            self.at[0] = pos32(at);
                        }
                        None => {
                            let message =
                                format!("unknown agent kind {name:?} (expected one of: sim, process, llm, nats)");
                            d.problem(at, message);
                        }
                    }
                }
                self.kind_given = true;
            }
            1 => {
                if let Some(at) = d.strings(&mut self.command)? {
                    match self.command.first() {
                        None => d.problem(at, "at least the program is required"),
                        Some(p) if p.is_empty() => d.problem(at, "the program (first element) must not be empty"),
                        Some(_) => {}
                    }
                }
            }
            2 => d.string_map(&mut self.env)?,
            3 => self.cwd = non_empty(d)?,
            4 => {
                if let Some((url, at)) = d.string()? {
                    if let Err(why) = crate::agents::llm_url::check_base_url(&url) {
                        d.problem(at, why);
                    }
                    self.base_url = url;
                }
            }
            5 => self.model = non_empty(d)?.unwrap_or_default(),
            6 => {
                let at = d.lx.peek()?.1;
                self.api_key_env = non_empty(d)?;
                if let Some(name) = &self.api_key_env
                    && !is_variable_name(name)
                {
                    // Never repeated: a key pasted here by mistake would end up on the screen.
                    let message = "must be the name of an environment variable (ASCII letters, digits and _, not \
                                   starting with a digit): the variable holds the key, the scenario never does";
                    d.problem(at, message);
                }
            }
            7 => self.system = d.string()?.map_or_else(String::new, |s| s.0),
            8 => self.timeout_ms = d.ms(1)?.unwrap_or(DEFAULT_LLM_TIMEOUT_MS),
            10 => {
                if let Some((name, at)) = d.string()? {
                    match name.as_str() {
                        "work_queue" => self.delivery = Delivery::WorkQueue,
                        "direct" => self.delivery = Delivery::Direct,
                        _ => d.problem(at, format!("unknown delivery {name:?} (expected work_queue or direct)")),
                    }
                }
            }
            _ => {
                let at = d.lx.peek()?.1;
                self.ca_file = non_empty(d)?;
                // Checked now, so a wrong path is reported at the field rather than when a request fails.
                if let Some(path) = &self.ca_file {
                    let full = d.diag.base_dir.join(path);
                    let mut roots = rustls::RootCertStore::empty();
                    if let Err(why) = crate::agents::llm_tls::read_ca_file(&full, &mut roots) {
                        d.problem(at, why);
                    }
                }
            }
        }
        Ok(())
    }

    /// Checks the fields against the kind and builds it; `at` is the agent object's offset.
    pub(crate) fn finish(self, d: &mut Decoder, at: usize) -> AgentKind {
        let kind = KINDS[self.kind];
        if self.kind_given && self.at[0] == NONE {
            return AgentKind::Sim; // reported already
        }
        for (i, owners) in OWNERS.iter().enumerate() {
            let pos = self.at[i + 1];
            if pos != NONE && owners & (1 << self.kind) == 0 {
                let field = KIND_FIELDS[i + 1];
                let names: Vec<String> =
                    (0..KINDS.len()).filter(|k| owners & (1 << k) != 0).map(|k| format!("\"{}\"", KINDS[k])).collect();
                let message = format!(
                    "\"{field}\" applies only to agents of kind {} (this agent's kind is \"{kind}\")",
                    names.join(" or ")
                );
                d.problem(pos as usize, message);
            }
        }
        let needs: &[usize] = match self.kind {
            1 => &[1],
            2 => &[4, 5],
            _ => &[],
        };
        for &i in needs {
            if self.at[i] == NONE {
                let message =
                    format!("missing required field \"{}\" (agents of kind \"{kind}\" need it)", KIND_FIELDS[i]);
                d.problem(at, message);
            }
        }
        match self.kind {
            1 => AgentKind::Process(ProcessSpec { command: self.command, env: self.env, cwd: self.cwd }),
            2 => AgentKind::Llm(LlmSpec {
                base_url: self.base_url,
                model: self.model,
                api_key_env: self.api_key_env,
                system: self.system,
                timeout_ms: self.timeout_ms,
                ca_file: self.ca_file,
            }),
            3 => AgentKind::Nats(NatsSpec {
                command: self.command,
                env: self.env,
                cwd: self.cwd,
                delivery: self.delivery,
            }),
            _ => AgentKind::Sim,
        }
    }
}

/// A NATS agent's id is part of its subjects (`switchyard.RUN.agent.ID.…`): letters, digits, `-`
/// and `_`, as a run name.
pub(crate) fn check_subject_token(id: &str) -> Result<(), String> {
    match id.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        Some(c) => Err(format!(
            "agent id {id:?} has {c:?}: the id of an agent of kind \"nats\" is letters, digits, `-` and `_` \
             (it is a NATS subject token)"
        )),
        None if id.len() > 64 => {
            Err(format!("agent id {id:?} is {} characters long; a NATS agent's is at most 64", id.len()))
        }
        None => Ok(()),
    }
}

/// Whether `name` is a portable environment variable name.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A string that must not be empty (reported if it is).
fn non_empty(d: &mut Decoder) -> R<Option<String>> {
    Ok(match d.string()? {
        Some((s, at)) if s.is_empty() => {
            d.problem(at, "must not be empty");
            None
        }
        Some((s, _)) => Some(s),
        None => None,
    })
}

/// Makes process agents' working directories absolute: a relative `cwd` is taken from `dir` (the
/// scenario file's directory), and an agent without one runs in `dir`. A relative program path
/// with a `/` in it is then taken from that working directory, so a scenario works from anywhere.
/// An LLM agent's relative `ca_file` is taken from `dir` too.
pub(crate) fn resolve_paths(sc: &mut super::Scenario, dir: &std::path::Path) {
    let dir = if dir.as_os_str().is_empty() { std::path::Path::new(".") } else { dir };
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    for a in &mut sc.agents {
        if let AgentKind::Llm(l) = &mut a.kind
            && let Some(ca) = &mut l.ca_file
        {
            *ca = dir.join(ca.as_str()).to_string_lossy().into_owned();
        }
        if let AgentKind::Process(p) = &mut a.kind {
            let cwd = match &p.cwd {
                Some(c) => dir.join(c),
                None => dir.clone(),
            };
            if let Some(program) = p.command.first_mut()
                && program.contains('/')
                && std::path::Path::new(program.as_str()).is_relative()
            {
                *program = cwd.join(program.as_str()).to_string_lossy().into_owned();
            }
            p.cwd = Some(cwd.to_string_lossy().into_owned());
        }
    }
}
