//! A Lambda function's CPU share: Lambda gives a function CPU in proportion to its memory, a
//! full vCPU at 1,769 MB, so 128 MB gets 128/1769 of one (about 7.2%). Init runs at full speed
//! (Lambda boosts it); from the first event on, the share holds.
//!
//! A CFS bandwidth limit does the same here: each measured process gets a fresh cgroup (so no
//! process starts with quota a previous one used up) whose quota is `mb/1769` of each period,
//! and is moved into it once its init is done (its first poll of
//! `/runtime/invocation/next`), before its first event. cgroup v1 (`/sys/fs/cgroup/cpu`) and
//! v2 (`cpu.max`) both work; without either (no root, another OS) the run is unthrottled and
//! the report says so. Every cgroup is removed again: a process's when it has stopped, the
//! bench's parent group when the bench ends.
//!
//! The period is 20 ms by default: on Lambda at 128 MB a CPU-bound loop runs about 1.4 ms,
//! then pauses for whole multiples of 20 ms (measured by github.com/pwrdrvr/lambda-throttling,
//! whose published timeline shows pauses of 20, 40, 60 and 80 ms), which is a 20 ms CFS period.
//! The kernel's default 100 ms period would let a cold start burst 7 ms unthrottled, where
//! Lambda allows 1.4 ms (`--cfs-period-us 100000` measures that way too).
//!
//! Moving a process into a fresh cgroup takes the kernel about 20 ms (an RCU grace period on
//! cgroup v1) while the process waits on `/next`; the runner does not count that time.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{anyhow, Context};

/// Lambda's memory size at which a function gets one full vCPU.
pub const FULL_VCPU_MB: u64 = 1769;
/// Lambda's CFS period, as measured (above).
pub const LAMBDA_PERIOD_US: u64 = 20_000;

/// Where the cgroups go, and how their quota is written.
enum Hierarchy {
    /// `cpu.cfs_period_us` and `cpu.cfs_quota_us`.
    V1,
    /// `cpu.max`.
    V2,
}

pub struct CpuLimit {
    pub memory_mb: u64,
    pub period_us: u64,
    /// The bench's parent cgroup; `None`: unthrottled, and `why_not` says why.
    parent: Option<(PathBuf, Hierarchy)>,
    why_not: Option<String>,
    made: AtomicU64,
}

/// A process's cgroup, removed when dropped (once the process has stopped).
pub struct Confined(PathBuf);

impl Drop for Confined {
    fn drop(&mut self) {
        remove(&self.0);
    }
}

impl CpuLimit {
    /// The bench's parent cgroup for `memory_mb`'s share, or an unthrottled limit saying why.
    pub fn new(memory_mb: u64, period_us: u64, wanted: bool) -> Self {
        let parent = if wanted {
            create_parent()
        } else {
            Err(anyhow!("--no-throttle"))
        };
        let (parent, why_not) = match parent {
            Ok(p) => (Some(p), None),
            Err(why) => (None, Some(format!("{why:#}"))),
        };
        CpuLimit {
            memory_mb,
            period_us,
            parent,
            why_not,
            made: AtomicU64::new(0),
        }
    }

    pub fn quota_us(&self) -> u64 {
        quota_us(self.memory_mb, self.period_us)
    }

    /// One line for the report.
    pub fn describe(&self) -> String {
        let share = self.quota_us() as f64 * 100.0 / self.period_us as f64;
        let period = self.period_us;
        match (&self.parent, &self.why_not) {
            (Some((dir, _)), _) => format!(
                "CPU after init: {share:.1}% of a vCPU ({} MB: CFS quota {} us per {period} us, a cgroup per process under {})",
                self.memory_mb,
                self.quota_us(),
                dir.display()
            ),
            (None, why) => format!(
                "CPU: UNTHROTTLED ({}); a {} MB Lambda would get {share:.1}% of a vCPU after init",
                why.as_deref().unwrap_or("no cgroup"),
                self.memory_mb,
            ),
        }
    }

    /// Moves the process `pid` (all its threads) into a fresh limited cgroup; `None` when the
    /// run is unthrottled.
    pub fn confine(&self, pid: u32) -> anyhow::Result<Option<Confined>> {
        let Some((parent, hierarchy)) = &self.parent else {
            return Ok(None);
        };
        let n = self.made.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!("process-{n}"));
        make(&dir)?;
        let confined = Confined(dir.clone());
        let quota = self.quota_us();
        match hierarchy {
            Hierarchy::V1 => {
                write(&dir, "cpu.cfs_period_us", &self.period_us.to_string())?;
                write(&dir, "cpu.cfs_quota_us", &quota.to_string())?;
            }
            Hierarchy::V2 => write(&dir, "cpu.max", &format!("{quota} {}", self.period_us))?,
        }
        write(&dir, "cgroup.procs", &pid.to_string())?;
        Ok(Some(confined))
    }
}

impl Drop for CpuLimit {
    fn drop(&mut self) {
        if let Some((dir, _)) = &self.parent {
            remove(dir);
        }
    }
}

/// The quota per period for `memory_mb`'s share (at least the kernel's minimum, 1 ms).
pub fn quota_us(memory_mb: u64, period_us: u64) -> u64 {
    (period_us * memory_mb).div_ceil(FULL_VCPU_MB).max(1000)
}

/// `/sys/fs/cgroup/cpu/hitl-bench-<pid>` (v1) or `/sys/fs/cgroup/hitl-bench-<pid>` (v2, with
/// the cpu controller enabled for its children).
fn create_parent() -> anyhow::Result<(PathBuf, Hierarchy)> {
    let name = format!("hitl-bench-{}", std::process::id());
    let v1 = Path::new("/sys/fs/cgroup/cpu");
    if v1.join("cpu.cfs_quota_us").exists() {
        let dir = v1.join(&name);
        make(&dir)?;
        return Ok((dir, Hierarchy::V1));
    }
    let v2 = Path::new("/sys/fs/cgroup");
    if v2.join("cgroup.controllers").exists() {
        enable_cpu(v2)?;
        let dir = v2.join(&name);
        make(&dir)?;
        return match enable_cpu(&dir) {
            Ok(()) => Ok((dir, Hierarchy::V2)),
            Err(e) => {
                remove(&dir);
                Err(e)
            }
        };
    }
    Err(anyhow!("no cgroup cpu controller at /sys/fs/cgroup"))
}

fn enable_cpu(dir: &Path) -> anyhow::Result<()> {
    let enabled =
        std::fs::read_to_string(dir.join("cgroup.subtree_control")).context("cgroup v2")?;
    if enabled.split_whitespace().any(|c| c == "cpu") {
        return Ok(());
    }
    write(dir, "cgroup.subtree_control", "+cpu")
}

fn make(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir(dir).with_context(|| format!("create {}", dir.display()))
}

fn write(dir: &Path, file: &str, value: &str) -> anyhow::Result<()> {
    std::fs::write(dir.join(file), value).with_context(|| format!("write {}/{file}", dir.display()))
}

/// Removes a cgroup; its processes may take a moment to be gone.
fn remove(dir: &Path) {
    for _ in 0..20 {
        if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    eprintln!("hitl-bench: could not remove the cgroup {}", dir.display());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_is_memory_over_1769_mb() {
        assert_eq!(quota_us(128, 100_000), 7236);
        assert_eq!(quota_us(256, 100_000), 14472);
        assert_eq!(quota_us(512, 100_000), 28943);
        assert_eq!(quota_us(128, LAMBDA_PERIOD_US), 1448);
        assert_eq!(quota_us(1769, LAMBDA_PERIOD_US), LAMBDA_PERIOD_US);
        // Above 1,769 MB, Lambda gives more than one vCPU.
        assert_eq!(quota_us(3538, LAMBDA_PERIOD_US), 2 * LAMBDA_PERIOD_US);
    }
}
