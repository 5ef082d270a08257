//! Packed training: many networks of one architecture and schedule trained as
//! one batched model whose every tensor carries a leading member dimension.
//! Each member keeps its own stream (initial weights, minibatches, dropout), its
//! own learning rate, weight decay and balance weight (DragonNet: its own
//! rates, momentum, plateau schedule and targeted-regularization weight), its
//! own best-parameter snapshot and early stopping, and fails alone when it
//! diverges (it is frozen, not dropped from the shapes). TARNet, CFR and the
//! learners train on cfrnet's loop (`train.rs`), DragonNet on Keras' epochs
//! (`epochs.rs`).
//!
//! The promise: a member's bytes do not depend on its pack, neither on how many
//! members it has nor on who they are. It holds because nothing in a step mixes
//! members (batched products slice by slice in `numerics::gemm`, reductions over
//! a member's own rows, the optimiser member by member) and because row counts
//! are padded to a granule that keeps every member's elements in the vector body
//! of ATen's elementwise loops (`net::granule`). `pack/tests.rs` checks it for
//! every packed kind against packs of different sizes and mixed hyperparameters.

mod adam;
mod dragon;
mod epochs;
mod kinds;
mod memory;
mod model;
mod net;
mod sgd;
#[cfg(test)]
mod tests;
mod train;

pub use dragon::DragonArch;
pub use epochs::Epochs;
pub use kinds::{Planned, dragonnet, dragonnet_group, learner, learner_group, tarnet, tarnet_group};
pub use memory::{Footprint, footprint};
pub use model::{Arch, Scalars};
pub use train::{Net, NetJob, NetResult, Shape};

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use super::layers::LayerSpec;
use crate::estimate::{Estimate, EstimateError};

/// Whether the packed engine builds every layer of `layers`. A stack with a
/// layer it lacks (a kind added to `LayerSpec` without a packed version) trains
/// one network at a time through `train.rs`; the decision is the layers', never
/// the estimator kind's.
pub fn supports(layers: &[LayerSpec]) -> bool {
    layers.iter().all(|l| matches!(l, LayerSpec::Dense { .. } | LayerSpec::Dropout { .. } | LayerSpec::LayerNorm))
}

/// How large a pack may grow: at most `members` networks, and no more than
/// fit in `memory` bytes by their estimated working set (`memory.rs`); a
/// network whose own estimate is over the budget still trains, in a pack of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackLimit {
    pub members: usize,
    pub memory: u64,
}

impl PackLimit {
    /// One network at a time.
    pub const ALONE: PackLimit = PackLimit { members: 1, memory: u64::MAX };

    /// At most `members`, whatever their memory.
    pub fn members(members: usize) -> PackLimit {
        PackLimit { members, memory: u64::MAX }
    }
}

/// Train every job, in packs of the same architecture, schedule and data
/// shapes within `limit` (in the order the jobs come); the results come back
/// in the jobs' order.
pub fn train_all(jobs: Vec<NetJob>, limit: PackLimit) -> Vec<Result<NetResult, EstimateError>> {
    train_all_with(jobs, limit, &train::train_pack)
}

/// The results of training one pack, one per member.
type Trained = Vec<Result<NetResult, EstimateError>>;

/// [`train_all`] with the pack trainer given (the tests inject faults through it).
fn train_all_with(jobs: Vec<NetJob>, limit: PackLimit, train: &dyn Fn(Vec<NetJob>) -> Trained) -> Trained {
    let groups = packs(&jobs, limit);
    let mut slots: Vec<Option<NetJob>> = jobs.into_iter().map(Some).collect();
    let mut results: Vec<Option<Result<NetResult, EstimateError>>> = slots.iter().map(|_| None).collect();
    for members in groups {
        let pack: Vec<NetJob> = members.iter().filter_map(|&i| slots[i].take()).collect();
        for (&i, result) in members.iter().zip(contained(pack, train)) {
            results[i] = Some(result);
        }
    }
    results.into_iter().flatten().collect()
}

/// Train one pack. If libtorch runs out of memory inside it (the memory
/// budget's estimate is an estimate), its two halves train again as packs of
/// their own, halving further as long as they run out, which gives every
/// member the same bytes (a member's bytes do not depend on its pack); a
/// member that runs out of memory by itself fails with libtorch's reason, and
/// the others keep their results. Any other panic is a bug and goes on
/// unwinding, to be reported as one.
fn contained(pack: Vec<NetJob>, train: &dyn Fn(Vec<NetJob>) -> Trained) -> Trained {
    let Some(kind) = pack.first().map(|j| j.kind) else { return Vec::new() };
    let k = pack.len();
    let spares: Vec<NetJob> = if k > 1 { pack.iter().map(NetJob::duplicate).collect() } else { Vec::new() };
    let panic = match catch_unwind(AssertUnwindSafe(|| train(pack))) {
        Ok(results) => return results,
        Err(panic) => panic,
    };
    let Some(reason) = out_of_memory(panic.as_ref()) else { resume_unwind(panic) };
    if k == 1 {
        return vec![Err(train::failed_out_of_memory(kind, &reason))];
    }
    // The panic's own message is already on stderr (libtorch's reason); say
    // that the process goes on.
    eprintln!(
        "note: a pack of {k} {kind} networks ran out of memory; training it again as two packs of at most {}",
        k.div_ceil(2)
    );
    let mut first = spares;
    let second = first.split_off(k.div_ceil(2));
    let mut results = contained(first, train);
    results.extend(contained(second, train));
    results
}

/// `f` with gradients off, as `tch::no_grad`, but through a guard, so that the
/// previous mode also comes back when `f` panics: tch's own leaves gradients
/// off while unwinding, and a pack that ran out of memory is unwound and
/// trained again on the same thread (it failed with "does not require grad").
fn without_grad<T>(f: impl FnOnce() -> T) -> T {
    let _guard = tch::no_grad_guard();
    f()
}

/// libtorch's reason, when a panic is its allocator failing (tch panics with
/// the C++ exception's text).
fn out_of_memory(panic: &(dyn std::any::Any + Send)) -> Option<String> {
    let text = panic.downcast_ref::<String>().map(String::as_str).or_else(|| panic.downcast_ref::<&str>().copied())?;
    let memory = ["can't allocate memory", "out of memory", "Cannot allocate memory"];
    memory.iter().any(|m| text.contains(m)).then(|| text.lines().next().unwrap_or_default().to_string())
}

/// Train the networks of many runs together, in packs within `limit`, and
/// finish each run's estimate; one result per run, in order.
pub fn estimate_packed(planned: Vec<Planned>, limit: PackLimit) -> Vec<Result<Estimate, EstimateError>> {
    let mut counts = Vec::with_capacity(planned.len());
    let mut jobs = Vec::new();
    let mut finishes = Vec::with_capacity(planned.len());
    for p in planned {
        counts.push(p.jobs.len());
        jobs.extend(p.jobs);
        finishes.push(p.finish);
    }
    let mut results = train_all(jobs, limit).into_iter();
    counts
        .into_iter()
        .zip(finishes)
        .map(|(n, finish)| {
            // Taken in full before judging: a failed first network must not leave
            // its run's second one to the next run.
            let mine: Vec<_> = results.by_ref().take(n).collect();
            mine.into_iter().collect::<Result<Vec<NetResult>, EstimateError>>().and_then(finish)
        })
        .collect()
}

/// The jobs' packs (indices into `jobs`): each job joins the first pack of its
/// key that stays within `limit` with it, or starts one.
fn packs(jobs: &[NetJob], limit: PackLimit) -> Vec<Vec<usize>> {
    let max_pack = limit.members.max(1);
    // (key, the pack's footprint, its members)
    let mut groups: Vec<(String, Footprint, Vec<usize>)> = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let key = job.pack_key();
        let mine = if max_pack > 1 { footprint(job) } else { Footprint { per_member: 0, once: 0 } };
        let slot = groups.iter().position(|(k, f, members)| {
            *k == key && members.len() < max_pack && f.max(mine).bytes(members.len() + 1) <= limit.memory
        });
        match slot {
            Some(g) => {
                groups[g].1 = groups[g].1.max(mine);
                groups[g].2.push(i);
            }
            None => groups.push((key, mine, vec![i])),
        }
    }
    groups.into_iter().map(|(_, _, members)| members).collect()
}
