//! Hash indexes over a decoded scenario, for the semantic checks that ask "is there an agent named
//! X", "does any agent have capability Y", "does task T depend on Z".
//!
//! Answering such a question by scanning the scenario is fine once, but a check asks it once per
//! reference, and a file can hold a hundred thousand references to a hundred thousand agents. Each
//! index is built on first use, in one pass, and answers in constant time, so validation stays
//! linear in the file's size. Where a name is defined twice, the first definition counts (as a
//! scan would find it).

use std::cell::OnceCell;

use super::types::Scenario;
use crate::fasthash::{FastMap, FastSet};

/// Lazily built indexes over one scenario.
pub(crate) struct Lookup<'s> {
    sc: &'s Scenario,
    agents: OnceCell<FastMap<&'s str, u32>>,
    tasks: OnceCell<FastMap<&'s str, u32>>,
    caps: OnceCell<FastSet<&'s str>>,
    agent_caps: OnceCell<FastSet<(u32, &'s str)>>,
    deps: OnceCell<FastSet<(u32, &'s str)>>,
    /// For each name in some `depends_on`, the first two tasks (in file order) that list it.
    dependents: OnceCell<FastMap<&'s str, [u32; 2]>>,
}

const NO_TASK: u32 = u32::MAX;

impl<'s> Lookup<'s> {
    pub(crate) fn new(sc: &'s Scenario) -> Lookup<'s> {
        Lookup {
            sc,
            agents: OnceCell::new(),
            tasks: OnceCell::new(),
            caps: OnceCell::new(),
            agent_caps: OnceCell::new(),
            deps: OnceCell::new(),
            dependents: OnceCell::new(),
        }
    }

    pub(crate) fn scenario(&self) -> &'s Scenario {
        self.sc
    }

    /// The index of the (first) agent with this id.
    pub(crate) fn agent(&self, id: &str) -> Option<u32> {
        let map = self.agents.get_or_init(|| first_index(self.sc.agents.iter().map(|a| a.id.as_str())));
        map.get(id).copied()
    }

    /// The index of the (first) task with this id.
    pub(crate) fn task(&self, id: &str) -> Option<u32> {
        let map = self.tasks.get_or_init(|| first_index(self.sc.tasks.iter().map(|t| t.id.as_str())));
        map.get(id).copied()
    }

    /// Whether some agent has this capability.
    pub(crate) fn has_capability(&self, cap: &str) -> bool {
        let set = self
            .caps
            .get_or_init(|| self.sc.agents.iter().flat_map(|a| a.capabilities.iter().map(String::as_str)).collect());
        set.contains(cap)
    }

    /// Whether agent `a` has capability `cap`.
    pub(crate) fn agent_has(&self, a: u32, cap: &str) -> bool {
        let set = self.agent_caps.get_or_init(|| {
            let sc = self.sc;
            let pairs = sc.agents.iter().enumerate();
            pairs.flat_map(|(i, a)| a.capabilities.iter().map(move |c| (i as u32, c.as_str()))).collect()
        });
        set.contains(&(a, cap))
    }

    /// Whether task `t` lists `name` in its `depends_on`.
    pub(crate) fn depends_on(&self, t: u32, name: &str) -> bool {
        let set = self.deps.get_or_init(|| {
            let sc = self.sc;
            let pairs = sc.tasks.iter().enumerate();
            pairs.flat_map(|(i, t)| t.depends_on.iter().map(move |d| (i as u32, d.as_str()))).collect()
        });
        set.contains(&(t, name))
    }

    /// The first task other than `except` that lists `name` in its `depends_on`.
    pub(crate) fn dependent_other_than(&self, name: &str, except: u32) -> Option<u32> {
        let map = self.dependents.get_or_init(|| {
            let mut map: FastMap<&str, [u32; 2]> = FastMap::default();
            for (i, t) in self.sc.tasks.iter().enumerate() {
                for d in &t.depends_on {
                    let slot = map.entry(d.as_str()).or_insert([NO_TASK; 2]);
                    if slot[0] == NO_TASK {
                        slot[0] = i as u32;
                    } else if slot[1] == NO_TASK && slot[0] != i as u32 {
                        slot[1] = i as u32;
                    }
                }
            }
            map
        });
        let found = map.get(name)?;
        found.iter().copied().find(|&k| k != NO_TASK && k != except)
    }
}

/// Each name's first index.
fn first_index<'s>(names: impl Iterator<Item = &'s str>) -> FastMap<&'s str, u32> {
    let mut map = FastMap::default();
    for (i, name) in names.enumerate() {
        map.entry(name).or_insert(i as u32);
    }
    map
}
