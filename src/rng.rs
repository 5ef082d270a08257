//! The one random generator type of a run, below every other module: data, scm,
//! estimate and run all draw from it, and none of them depends on another for it.
//! Every random draw (data, split, weight initialisation, minibatch order,
//! dropout) comes from a `RunRng` seeded from the run's key; nothing reads a
//! global generator.

/// ChaCha20: a counter-based stream cipher generator, the same stream on every
/// platform, with independent streams (`set_stream`) for a run's stages.
pub type RunRng = rand_chacha::ChaCha20Rng;
