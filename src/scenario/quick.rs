//! The fast path for a task object: one tight scan of the visible text, with no decoder calls.
//!
//! Almost every task in a large file is written the same plain way: known fields, strings without
//! escapes, numbers within range. Reading such a task through the general [`Decoder`] (a call per
//! token, a closure per field, a path kept for messages) cost several thousand instructions; here
//! it is a few hundred. Anything else (an escape, an unknown, duplicate or rarer field, a value
//! out of range or of the wrong type, the end of what the lexer can see) gives up with nothing
//! consumed and nothing recorded, and the general decoder reads the task from its start, finding
//! and reporting whatever is there exactly as before. So this path never reports anything.

use super::bounds::{MAX_ATTEMPTS, MAX_FACTOR, MAX_MS, MAX_MULTIPLIER};
use super::decode::{Bound, Decoder, NONE, pos32};
use super::lexer::same_bytes;
use super::meta::*;
use super::number::{self, Scan};
use super::types::{Strategy, TaskSpec};

/// A cursor over the visible text.
struct Cursor<'t> {
    s: &'t str,
    i: usize,
}

impl<'t> Cursor<'t> {
    #[inline]
    fn ws(&mut self) {
        let b = self.s.as_bytes();
        // Mostly there is none (generated files are compact).
        if b.get(self.i).is_some_and(|&c| c > b' ') {
            return;
        }
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(self.i) {
            self.i += 1;
        }
    }

    /// Consume `c` (after whitespace).
    #[inline]
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        let found = self.s.as_bytes().get(self.i) == Some(&c);
        self.i += usize::from(found);
        found
    }

    /// A string without escapes or control characters (after whitespace): its text and the index
    /// of its opening quote.
    #[inline(always)]
    fn string(&mut self) -> Option<(&'t str, usize)> {
        self.ws();
        let b = self.s.as_bytes();
        let open = self.i;
        if b.get(open) != Some(&b'"') {
            return None;
        }
        let mut i = open + 1;
        loop {
            let special = match b.get(i..i + 8) {
                Some(chunk) => super::lexer::special_bytes(u64::from_le_bytes(chunk.try_into().ok()?)),
                None => return self.string_tail(open),
            };
            if special != 0 {
                let end = i + special.trailing_zeros() as usize / 8;
                if b[end] != b'"' {
                    return None;
                }
                self.i = end + 1;
                return Some((&self.s[open + 1..end], open));
            }
            i += 8;
        }
    }

    /// [`string`](Self::string) near the end of the visible text, a byte at a time.
    #[cold]
    fn string_tail(&mut self, open: usize) -> Option<(&'t str, usize)> {
        let b = self.s.as_bytes();
        let end = open + 1 + b[open + 1..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        if b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        Some((&self.s[open + 1..end], open))
    }

    /// `pattern` right at the cursor: consume it.
    #[inline(always)]
    fn lit(&mut self, pattern: &[u8]) -> bool {
        let end = self.i + pattern.len();
        let found = self.s.as_bytes().get(self.i..end).is_some_and(|b| same_bytes(b, pattern));
        if found {
            self.i = end;
        }
        found
    }

    /// The next key (after whitespace) as its index in `keys` (each written `"NAME":`), with its
    /// `:` consumed. Keys usually come in the order of `keys`: `keys[next]` is tried first, with a
    /// comparison or two.
    #[inline(always)]
    fn key(&mut self, keys: &[&[u8]], next: usize) -> Option<usize> {
        self.ws();
        if let Some(k) = keys.get(next)
            && self.lit(k)
        {
            return Some(next);
        }
        self.other_key(keys, next)
    }

    /// [`key`](Self::key) when it is not `keys[next]`: a later one, or any.
    #[inline(never)]
    fn other_key(&mut self, keys: &[&[u8]], next: usize) -> Option<usize> {
        for (k, name) in keys.iter().enumerate().skip(next + 1) {
            if self.lit(name) {
                return Some(k);
            }
        }
        let (key, _) = self.string()?;
        if !self.eat(b':') {
            return None;
        }
        keys.iter().position(|k| &k[1..k.len() - 2] == key.as_bytes())
    }

    /// Whether the object goes on with a key (consuming the `,` unless `first`), or ends (its `}`).
    #[inline]
    fn more_keys(&mut self, first: bool) -> Option<bool> {
        if self.eat(b'}') {
            return Some(false);
        }
        (first || self.eat(b',')).then_some(true)
    }

    /// A well-formed number that ends within the visible text.
    #[inline(always)]
    fn number(&mut self) -> Option<Scan> {
        self.ws();
        let b = self.s.as_bytes();
        let s = number::scan(b, self.i).ok().filter(|s| s.end < b.len())?;
        self.i = s.end;
        Some(s)
    }

    /// A whole number (written without fraction or exponent) within `min..=max`.
    #[inline(always)]
    fn int(&mut self, min: i64, max: i64) -> Option<i64> {
        self.number()?.int().filter(|v| (min..=max).contains(v))
    }

    /// A number (without exponent) within `bound`.
    #[inline(always)]
    fn float(&mut self, bound: Bound) -> Option<f64> {
        self.number()?.float().filter(|&v| bound.admits(v))
    }

    /// An array of strings: calls `each(text, index of its quote)` for every element.
    #[inline(always)]
    fn strings(&mut self, mut each: impl FnMut(&'t str, usize)) -> Option<()> {
        if !self.eat(b'[') {
            return None;
        }
        if self.eat(b']') {
            return Some(());
        }
        loop {
            let (s, at) = self.string()?;
            each(s, at);
            if self.eat(b']') {
                return Some(());
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }
}

/// A task as read on the fast path, before anything is recorded (indices into the visible text).
struct Read<'t> {
    flags: u8,
    id: (&'t str, usize),
    capability: usize,
    /// The `[` of `specializations`, if given.
    specs: Option<usize>,
}

/// Read the task object at the cursor (after whitespace) into `t` if it is a plain one, all but
/// its id and dependencies. `deps` gets each `depends_on` entry's text as `(start, end)`.
fn read<'t>(c: &mut Cursor<'t>, deps: &mut Vec<(u32, u32)>, t: &mut TaskSpec, tail: &mut Tail) -> Option<Read<'t>> {
    let mut r = Read { flags: 0, id: ("", 0), capability: 0, specs: None };
    if !c.eat(b'{') {
        return None;
    }
    let (mut seen, mut next) = (0u32, 0);
    let mut first = true;
    // Where the task's tail starts (see [`Tail`]), once its head has been read.
    let mut tail_from = None;
    loop {
        if next == Tail::FIRST_KEY && tail_from.is_none() && seen & !Tail::HEAD_KEYS == 0 {
            if tail.reuse(c, t, &mut r.flags) {
                seen |= tail.seen;
                break;
            }
            tail_from = Some((c.i, seen, r.flags));
        }
        if !c.more_keys(std::mem::take(&mut first))? {
            break;
        }
        let k = c.key(&TASK_KEYS, next)?;
        if seen & (1 << k) != 0 {
            return None;
        }
        seen |= 1 << k;
        next = k + 1;
        match k {
            0 => r.id = c.string().filter(|(id, _)| plain_id(id))?,
            1 => t.description = c.string()?.0.to_owned(),
            2 => {
                let (cap, at) = c.string()?;
                t.capability = cap.into();
                r.capability = at;
            }
            3 => {
                c.ws();
                r.specs = Some(c.i);
                let mut specs = Vec::new();
                c.strings(|s, _| specs.push(s.into()))?;
                specs.shrink_to_fit();
                t.specializations = specs;
            }
            4 => c.strings(|s, at| deps.push((at as u32 + 1, (at + 1 + s.len()) as u32)))?,
            5 => {
                t.priority = c.int(i64::MIN, i64::MAX)?;
                r.flags |= GIVEN_PRIORITY;
            }
            6 => {
                t.timeout_ms = c.int(1, MAX_MS as i64)? as u64;
                r.flags |= GIVEN_TIMEOUT;
            }
            7 => r.flags |= tail.retry_object(c, &mut t.retry)?,
            8 => t.allocation = Some(Strategy::from_name(c.string()?.0)?),
            _ => t.work = c.float(Bound::AboveUpTo(0.0, MAX_FACTOR))?,
        }
    }
    if let Some((from, head_seen, head_flags)) = tail_from {
        tail.remember(&c.s.as_bytes()[from..c.i], t, seen & !head_seen, r.flags & !head_flags);
    }
    // `id` and `capability` are required (a decision task, which needs none, is not read here).
    (seen & 0b101 == 0b101).then_some(r)
}

/// The last task's *tail*: the text after its `depends_on` to the end of its object, when that
/// held only numbers and settings (`"priority": 0, "timeout_ms": 1000, "retry": {…}, "work":
/// 1.0}`), with what reading it set. Most tasks of a large file end with the very same text, which
/// is then compared and its values copied instead of read again: half of a generated task's
/// bytes, and all of its numbers. What a tail sets is a function of its text alone (the fields it
/// may hold start at their defaults, none of them was given before it, and it records no
/// position), so this gives exactly what reading it would.
#[derive(Debug, Default)]
pub(crate) struct Tail {
    text: Vec<u8>,
    /// The task keys it gives (bits of `TASK_KEYS`), and their `GIVEN_*` bits.
    seen: u32,
    flags: u8,
    priority: i64,
    timeout_ms: u64,
    retry: super::types::RetryPolicy,
    allocation: Option<Strategy>,
    work: f64,
    /// The last `retry` object read (its text, values and `GIVEN_*` bits), by itself.
    last_retry: (Vec<u8>, super::types::RetryPolicy, u8),
}

impl Tail {
    /// The key after `depends_on`: a tail starts where it would be read.
    const FIRST_KEY: usize = 5;
    /// The keys a task's head may give (`id` to `depends_on`); those of a tail are the others.
    const HEAD_KEYS: u32 = (1 << Self::FIRST_KEY) - 1;

    /// If the text at the cursor is the remembered tail, set what it sets and consume it.
    #[inline]
    fn reuse(&self, c: &mut Cursor, t: &mut TaskSpec, flags: &mut u8) -> bool {
        let rest = &c.s.as_bytes()[c.i..];
        if self.text.is_empty() || !rest.starts_with(&self.text) {
            return false;
        }
        c.i += self.text.len();
        t.priority = self.priority;
        t.timeout_ms = self.timeout_ms;
        t.retry = self.retry.clone();
        t.allocation = self.allocation;
        t.work = self.work;
        *flags |= self.flags;
        true
    }

    /// A `retry` object at the cursor (after whitespace): when it is the same text as the last
    /// one read, its values are copied (files that vary a task's timeout mostly keep its retry).
    #[inline(never)]
    fn retry_object(&mut self, c: &mut Cursor, r: &mut super::types::RetryPolicy) -> Option<u8> {
        c.ws();
        let (last, policy, given) = &self.last_retry;
        if !last.is_empty() && c.s.as_bytes()[c.i..].starts_with(last) {
            c.i += last.len();
            *r = policy.clone();
            return Some(*given);
        }
        let from = c.i;
        let given = retry(c, r)?;
        self.last_retry = (c.s.as_bytes()[from..c.i].to_vec(), r.clone(), given);
        Some(given)
    }

    /// Remember `text`, a tail just read into `t`, if it held no key of a task's head.
    #[inline]
    fn remember(&mut self, text: &[u8], t: &TaskSpec, seen: u32, flags: u8) {
        if seen & Self::HEAD_KEYS != 0 || text == self.text.as_slice() {
            return;
        }
        self.text.clear();
        self.text.extend_from_slice(text);
        self.seen = seen;
        self.flags = flags;
        self.priority = t.priority;
        self.timeout_ms = t.timeout_ms;
        self.retry = t.retry.clone();
        self.allocation = t.allocation;
        self.work = t.work;
    }
}

/// The task fields this path reads (a bit each in `seen`), as written before their values.
const TASK_KEYS: [&[u8]; 10] = [
    b"\"id\":",
    b"\"description\":",
    b"\"capability\":",
    b"\"specializations\":",
    b"\"depends_on\":",
    b"\"priority\":",
    b"\"timeout_ms\":",
    b"\"retry\":",
    b"\"allocation\":",
    b"\"work\":",
];

/// The fields of `retry`, in the same way.
const RETRY_KEYS: [&[u8]; 5] =
    [b"\"max_attempts\":", b"\"backoff_ms\":", b"\"multiplier\":", b"\"max_backoff_ms\":", b"\"jitter\":"];

/// An id the general path would accept without a word: not empty, and only printable ASCII
/// (others may still be fine, but are left to it).
fn plain_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b > b' ' && b < 0x7f)
}

/// A `retry` object of known fields within range; returns their `GIVEN_*` bits.
fn retry(c: &mut Cursor, r: &mut super::types::RetryPolicy) -> Option<u8> {
    const BITS: [u8; 5] = [GIVEN_MAX_ATTEMPTS, GIVEN_BACKOFF, GIVEN_MULTIPLIER, GIVEN_MAX_BACKOFF, GIVEN_JITTER];
    if !c.eat(b'{') {
        return None;
    }
    let (mut given, mut next) = (0u8, 0);
    let mut first = true;
    while c.more_keys(std::mem::take(&mut first))? {
        let k = c.key(&RETRY_KEYS, next)?;
        if given & BITS[k] != 0 {
            return None;
        }
        given |= BITS[k];
        next = k + 1;
        match k {
            0 => r.max_attempts = c.int(1, MAX_ATTEMPTS.into())? as u32,
            1 => r.backoff_ms = c.int(0, MAX_MS as i64)? as u64,
            2 => r.multiplier = c.float(Bound::Between(1.0, MAX_MULTIPLIER))?,
            3 => r.max_backoff_ms = c.int(0, MAX_MS as i64)? as u64,
            _ => r.jitter = c.float(Bound::Unit)?,
        }
    }
    Some(given)
}

impl Decoder<'_, '_> {
    /// Read the task at the cursor on the fast path and record it as [`Decoder::task`] would.
    /// `false`: it is not a plain one, and nothing was consumed or recorded.
    pub(crate) fn quick_task(&mut self, tasks: &mut Vec<TaskSpec>, meta: &mut Meta) -> bool {
        let (text, base) = self.lx.rest();
        let mut c = Cursor { s: text, i: 0 };
        let (deps, tail) = (&mut self.quick_deps, &mut self.quick_tail);
        deps.clear();
        // Read in place: a task is too large to be moved about cheaply.
        let index = tasks.len();
        tasks.push(TaskSpec::default());
        let read = read(&mut c, deps, &mut tasks[index], tail);
        let name = |j: u32| tasks[j as usize].id.as_str();
        let Some(Read { flags, id: (id, id_at), capability, specs }) =
            read.filter(|r| meta.task_ids.insert(r.id.0, index as u32, name).is_ok())
        else {
            // Not a plain task, or a duplicate id: the general path reads and reports it.
            tasks.pop();
            return false;
        };
        tasks[index].id = id.into();
        let dep_text = |&(start, end): &(u32, u32)| &text[start as usize..end as usize];
        for span in deps.iter() {
            let name = |j: u32| tasks[j as usize].id.as_str();
            meta.dep_target.push(meta.task_ids.get(dep_text(span), name).unwrap_or(UNRESOLVED));
            meta.dep_pos.push(pos32(base + span.0 as usize - 1));
        }
        tasks[index].depends_on = deps.iter().map(|span| dep_text(span).into()).collect();
        let at = |i: usize| pos32(base + i);
        let specs = specs.map_or(NONE, at);
        meta.tasks.push(TaskMeta { id: at(id_at), canon: index as u32, capability: at(capability), specs, flags });
        self.lx.advance(c.i);
        true
    }
}
