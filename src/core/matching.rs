//! Posted and unexpected queues per context, in arrival and posting order.
//!
//! Frames from one sender arrive in order (one ring per pair) and are matched in that order
//! against receives in the order they were posted, which gives MPI's non-overtaking rule, with
//! wildcards included.

use std::collections::VecDeque;

use super::idhash::IdMap;

/// Who sent a message, on which context, with which tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope {
    pub context: u32,
    /// World rank of the sender.
    pub src: u32,
    pub tag: i32,
}

/// What a receive accepts. `None` is a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern {
    pub context: u32,
    pub src: Option<u32>,
    pub tag: Option<i32>,
}

impl Pattern {
    pub fn matches(&self, e: &Envelope) -> bool {
        self.context == e.context && self.src.is_none_or(|s| s == e.src) && self.tag.is_none_or(|t| t == e.tag)
    }
}

struct Queues<R, U> {
    posted: VecDeque<(Pattern, R)>,
    unexpected: VecDeque<(Envelope, U)>,
}

impl<R, U> Default for Queues<R, U> {
    fn default() -> Self {
        Queues { posted: VecDeque::new(), unexpected: VecDeque::new() }
    }
}

/// Matching state: `R` names a posted receive, `U` holds an unexpected message.
pub struct Matching<R, U> {
    by_context: IdMap<u32, Queues<R, U>>,
}

impl<R, U> Default for Matching<R, U> {
    fn default() -> Self {
        Matching { by_context: IdMap::default() }
    }
}

impl<R: Copy + PartialEq, U> Matching<R, U> {
    /// A message arrived: the first posted receive that accepts it, removed from the queue.
    pub fn arrive(&mut self, env: &Envelope) -> Option<R> {
        let q = self.by_context.get_mut(&env.context)?;
        let i = q.posted.iter().position(|(p, _)| p.matches(env))?;
        q.posted.remove(i).map(|(_, r)| r)
    }

    /// Keeps a message no receive was waiting for.
    pub fn keep_unexpected(&mut self, env: Envelope, msg: U) {
        self.by_context.entry(env.context).or_default().unexpected.push_back((env, msg));
    }

    /// A receive is posted: the oldest unexpected message it accepts, or `None` after queueing it.
    pub fn post(&mut self, pat: Pattern, req: R) -> Option<(Envelope, U)> {
        let q = self.by_context.entry(pat.context).or_default();
        if let Some(i) = q.unexpected.iter().position(|(e, _)| pat.matches(e)) {
            return q.unexpected.remove(i);
        }
        q.posted.push_back((pat, req));
        None
    }

    /// Takes the oldest unexpected message `pat` accepts without posting anything.
    pub fn take_unexpected(&mut self, pat: &Pattern) -> Option<(Envelope, U)> {
        let q = self.by_context.get_mut(&pat.context)?;
        let i = q.unexpected.iter().position(|(e, _)| pat.matches(e))?;
        q.unexpected.remove(i)
    }

    /// The oldest unexpected message `pat` accepts, left in place (probe).
    pub fn peek(&self, pat: &Pattern) -> Option<&(Envelope, U)> {
        self.by_context.get(&pat.context)?.unexpected.iter().find(|(e, _)| pat.matches(e))
    }

    /// Drops the unexpected messages `drop` picks, on every context (those of a sender
    /// that died before they could be read).
    pub fn drop_unexpected(&mut self, mut drop: impl FnMut(&Envelope, &U) -> bool) {
        for q in self.by_context.values_mut() {
            q.unexpected.retain(|(e, u)| !drop(e, u));
        }
    }

    /// Removes a posted receive (cancel). True if it was still posted.
    pub fn unpost(&mut self, context: u32, req: R) -> bool {
        if let Some(q) = self.by_context.get_mut(&context) {
            if let Some(i) = q.posted.iter().position(|(_, r)| *r == req) {
                q.posted.remove(i);
                return true;
            }
        }
        false
    }

    /// A receive on `context` matching `env` (posted earlier) and an unexpected message
    /// it matches, each the oldest: one look-up where a blocking receive needs both.
    #[inline]
    pub fn posted_and_unexpected(&self, env: &Envelope) -> (bool, Option<&(Envelope, U)>) {
        match self.by_context.get(&env.context) {
            None => (false, None),
            Some(q) if q.posted.is_empty() && q.unexpected.is_empty() => (false, None),
            Some(q) => {
                let posted = q.posted.iter().any(|(p, _)| p.matches(env));
                let pat = Pattern { context: env.context, src: Some(env.src), tag: Some(env.tag) };
                (posted, q.unexpected.iter().find(|(e, _)| pat.matches(e)))
            }
        }
    }

    /// The oldest posted receive on `context` whose pattern satisfies `pred`.
    pub fn first_posted(&self, context: u32, pred: impl Fn(&Pattern) -> bool) -> Option<R> {
        self.by_context.get(&context)?.posted.iter().find(|(p, _)| pred(p)).map(|(_, r)| *r)
    }

    /// Forgets a context altogether (a recovery retired it): its unexpected messages are
    /// dropped and its posted receives returned, to be failed by the caller.
    pub fn retire_context(&mut self, context: u32) -> Vec<R> {
        match self.by_context.remove(&context) {
            Some(q) => q.posted.into_iter().map(|(_, r)| r).collect(),
            None => Vec::new(),
        }
    }

    /// Drops a context's queues when its communicator is gone and nothing is left in them.
    pub fn forget_context_if_idle(&mut self, context: u32) {
        if self.by_context.get(&context).is_some_and(|q| q.posted.is_empty() && q.unexpected.is_empty()) {
            self.by_context.remove(&context);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(src: u32, tag: i32) -> Envelope {
        Envelope { context: 0, src, tag }
    }

    #[test]
    fn unexpected_then_posted_in_order() {
        let mut m: Matching<u32, &str> = Matching::default();
        m.keep_unexpected(env(1, 5), "a");
        m.keep_unexpected(env(1, 5), "b");
        let any = Pattern { context: 0, src: None, tag: None };
        assert_eq!(m.post(any, 9).map(|x| x.1), Some("a"));
        assert_eq!(m.post(any, 9).map(|x| x.1), Some("b"));
        assert_eq!(m.post(any, 9), None);
        assert_eq!(m.arrive(&env(2, 1)), Some(9));
    }

    #[test]
    fn posted_receives_match_in_posting_order_and_contexts_are_apart() {
        let mut m: Matching<u32, ()> = Matching::default();
        m.post(Pattern { context: 0, src: Some(1), tag: None }, 1);
        m.post(Pattern { context: 0, src: None, tag: Some(3) }, 2);
        assert_eq!(m.arrive(&Envelope { context: 1, src: 1, tag: 3 }), None);
        assert_eq!(m.arrive(&env(2, 3)), Some(2));
        assert_eq!(m.arrive(&env(1, 3)), Some(1));
        assert!(!m.unpost(0, 1));
    }
}
