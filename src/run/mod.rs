//! The runner: expand experiments into runs, derive keys and seeds, look them up
//! in the content-addressed cache, execute the rest in parallel, emit events.

/// The one random generator type of a run. Every random draw (data, split, weight
/// initialisation, minibatch order) comes from a `RunRng` seeded from the run key.
pub type RunRng = rand_chacha::ChaCha20Rng;
