//! What the pool learns from its processes' Runtime APIs (ready, finished), and the reaper
//! of idle processes.

use std::sync::Weak;
use std::time::{Duration, Instant};

use super::{process, Inner, Phase, IDLE_STOP};
use crate::runtime_api::Lifecycle;

/// The pool's view of one process's Runtime API.
pub(super) struct Hooks {
    pub pool: Weak<Inner>,
    pub instance: u64,
}

impl Lifecycle for Hooks {
    fn ready(&self) {
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        let mut st = pool.lock();
        match st.instances.get(&self.instance) {
            Some(entry) if !entry.retiring => {}
            _ => return,
        }
        match st.waiting.pop_front() {
            Some(invocation) => st.hand_to(self.instance, invocation),
            None => {
                if let Some(entry) = st.instances.get_mut(&self.instance) {
                    entry.phase = Phase::Idle(Instant::now());
                }
                st.idle.push(self.instance);
            }
        }
    }

    fn finished(&self, timed_out: bool) {
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        let mut st = pool.lock();
        st.busy = st.busy.saturating_sub(1);
        if timed_out {
            st.stats.timeouts += 1;
            if let Some(entry) = st.instances.get_mut(&self.instance) {
                // Lambda resets a timed-out environment: its next event gets a fresh process.
                entry.retiring = true;
                if let Some(pid) = entry.pid {
                    process::kill(pid);
                }
            }
        }
    }
}

/// Stops processes idle for [`IDLE_STOP`], keeping one.
pub(super) async fn reap_idle(pool: Weak<Inner>) {
    loop {
        tokio::time::sleep(Duration::from_secs(30)).await;
        let Some(pool) = pool.upgrade() else { return };
        if pool.stopping() {
            return;
        }
        let mut st = pool.lock();
        let now = Instant::now();
        let stale: Vec<u64> = st
            .idle
            .iter()
            .copied()
            .filter(|id| {
                matches!(st.instances.get(id).map(|i| i.phase),
                    Some(Phase::Idle(since)) if now - since > IDLE_STOP)
            })
            .collect();
        for id in stale {
            if st.instances.values().filter(|i| !i.retiring).count() <= 1 {
                break;
            }
            st.idle.retain(|i| *i != id);
            if let Some(entry) = st.instances.get_mut(&id) {
                entry.retiring = true;
                if let Some(pid) = entry.pid {
                    process::kill(pid);
                }
            }
        }
    }
}
