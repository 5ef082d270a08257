//! glibc's allocator set to keep the memory a training step frees for the next
//! step, instead of returning it to the kernel and faulting it back in.
//!
//! A packed step allocates `[K, rows, width]` activations of megabytes each
//! (5 MB at K = 64, 100 rows, 200 units). By default glibc serves blocks over
//! its dynamic threshold with fresh `mmap`s and trims the heap's top once more
//! than twice that threshold is free, which at the end of every step it is: the
//! next step then pays a page fault and a zeroed page for every 4 KiB it
//! touches. A profile of a pack of 64 TARNets put 11% of the step in the
//! kernel's page-fault path (about 460,000 faults for 40 steps); with blocks up
//! to 32 MiB taken from the heap and up to 256 MiB of free heap top kept per
//! arena, most of those faults are gone. The cost is resident memory: a worker
//! keeps up to that much freed memory for reuse. Where memory is placed decides
//! speed only, never a value.

use std::sync::Once;

/// Blocks at least this large are mapped on their own (glibc's largest
/// threshold on 64-bit; larger ones, such as CFR's evaluation grids on many
/// rows, still go back to the kernel when freed).
const MMAP_THRESHOLD: i32 = 32 << 20;
/// Free memory at the top of a heap beyond this is returned to the kernel.
const TRIM_THRESHOLD: i32 = 256 << 20;

static TUNED: Once = Once::new();

/// Apply the settings once per process (glibc only; elsewhere a no-op).
pub fn keep_freed_memory() {
    TUNED.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            // glibc's `mallopt` parameters (malloc.h).
            const M_TRIM_THRESHOLD: i32 = -1;
            const M_MMAP_THRESHOLD: i32 = -3;
            unsafe extern "C" {
                fn mallopt(param: i32, value: i32) -> i32;
            }
            // SAFETY: mallopt takes two ints and only changes allocator tunables;
            // a refused value leaves the default (it returns 0), which is harmless.
            unsafe {
                mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
                mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    /// Both values are within what glibc accepts (`mallopt` returns 1), so the
    /// settings really take effect where the library is glibc.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn glibc_accepts_the_settings() {
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // Setting the same values again (the process may have them already).
        unsafe {
            assert_eq!(mallopt(-3, super::MMAP_THRESHOLD), 1);
            assert_eq!(mallopt(-1, super::TRIM_THRESHOLD), 1);
        }
    }
}
