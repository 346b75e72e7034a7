//! Surviving a mapped file that shrinks while it is read.
//!
//! When another process truncates a memory-mapped file, reading a mapped page past the new
//! end raises SIGBUS, which kills the process (leaving a viewer's terminal in the alternate
//! screen). No safe crate covers this (`memmap2` documents it as the caller's problem), so a
//! SIGBUS handler does the one thing that lets readers finish: it maps a page of zeros over the
//! faulting page, records that the file was truncated, and returns. The read then sees zeros,
//! which the walk reports as damage, and callers check [`MapGuard::truncated`] to fail with "the
//! file was truncated while being read" instead of showing partial data as complete.
//!
//! Faults outside the registered mappings go to the handler that was installed before (the
//! standard library's, or the default action), so other faults behave as they always did.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Mappings watched at once; further ones are read unguarded (the old behaviour).
const SLOTS: usize = 64;

struct Slot {
    /// Start address of the mapping; 0 when the slot is free.
    start: AtomicUsize,
    len: AtomicUsize,
    claimed: AtomicBool,
    truncated: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)]
const FREE: Slot = Slot {
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    claimed: AtomicBool::new(false),
    truncated: AtomicBool::new(false),
};

static WATCHED: [Slot; SLOTS] = [FREE; SLOTS];
static PAGE_SIZE: AtomicUsize = AtomicUsize::new(4096);
/// The SIGBUS action before ours (the handler reads it with one atomic load).
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

/// Watches one mapping for the life of the guard.
#[derive(Debug)]
pub struct MapGuard {
    slot: Option<usize>,
}

impl MapGuard {
    /// Starts watching `bytes` (a file mapping). Without a free slot the mapping is unguarded.
    pub fn watch(bytes: &[u8]) -> MapGuard {
        install();
        let slot = WATCHED.iter().position(|s| {
            s.claimed
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        });
        if let Some(i) = slot {
            let s = &WATCHED[i];
            s.truncated.store(false, Ordering::Relaxed);
            s.len.store(bytes.len(), Ordering::Relaxed);
            s.start.store(bytes.as_ptr() as usize, Ordering::Release);
        }
        MapGuard { slot }
    }

    /// True once a read of the mapping faulted because the file had shrunk.
    pub fn truncated(&self) -> bool {
        self.slot
            .is_some_and(|i| WATCHED[i].truncated.load(Ordering::Acquire))
    }
}

impl Drop for MapGuard {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            let s = &WATCHED[i];
            s.start.store(0, Ordering::Release);
            s.len.store(0, Ordering::Relaxed);
            s.claimed.store(false, Ordering::Release);
        }
    }
}

fn install() {
    PREVIOUS.get_or_init(|| {
        // SAFETY: sysconf reads a constant; sigaction installs `on_sigbus` (which only touches
        // atomics, mmap and sigaction) and returns the old action, kept for faults that are
        // not ours. No mapping is registered before this returns.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE);
            if let Ok(page) = usize::try_from(page) {
                PAGE_SIZE.store(page.max(1), Ordering::Relaxed);
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGBUS, &action, &mut old);
            old
        }
    });
}

/// The SIGBUS handler: async-signal-safe (atomics, mmap, sigaction only).
extern "C" fn on_sigbus(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let address = unsafe { (*info).si_addr() } as usize;
    for slot in &WATCHED {
        let start = slot.start.load(Ordering::Acquire);
        let len = slot.len.load(Ordering::Relaxed);
        if start == 0 || address < start || address - start >= len {
            continue;
        }
        let page_size = PAGE_SIZE.load(Ordering::Relaxed);
        let page = address & !(page_size - 1);
        // SAFETY: the page lies inside a live read-only file mapping of ours (registered
        // until the mapping is dropped); replacing it with zeros changes what readers see
        // from "fault" to "zeros", never memory that anything else owns.
        let mapped = unsafe {
            libc::mmap(
                page as *mut libc::c_void,
                page_size,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if mapped != libc::MAP_FAILED {
            slot.truncated.store(true, Ordering::Release);
            return;
        }
    }
    // Not ours: hand over to the previous action, or die as SIGBUS would have made us.
    // SAFETY: the previous action is a handler of the matching signature (SA_SIGINFO says
    // which), or SIG_DFL/SIG_IGN; resetting to SIG_DFL is async-signal-safe.
    unsafe {
        match PREVIOUS.get().copied() {
            Some(old) if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN => {
                if old.sa_flags & libc::SA_SIGINFO != 0 {
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        std::mem::transmute(old.sa_sigaction);
                    f(signal, info, context);
                } else {
                    let f: extern "C" fn(libc::c_int) = std::mem::transmute(old.sa_sigaction);
                    f(signal);
                }
            }
            _ => {
                // Returning re-runs the faulting access, which now takes the default action.
                libc::signal(libc::SIGBUS, libc::SIG_DFL);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_released() {
        let bytes = vec![1u8; 10];
        // Other tests of this process may hold slots too: take every free one.
        let guards: Vec<MapGuard> = std::iter::from_fn(|| {
            let guard = MapGuard::watch(&bytes);
            guard.slot.is_some().then_some(guard)
        })
        .collect();
        assert!(!guards.is_empty() && guards.len() <= SLOTS);
        drop(guards);
        let again = MapGuard::watch(&bytes);
        assert!(again.slot.is_some());
        assert!(!again.truncated());
    }
}
